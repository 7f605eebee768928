//! detect-changes with filters derived from the pipeline model (.shipgate.yml).

mod common;

use common::{Action, TestRepo};

const MODEL: &str = r#"version: 1
tiers: [experimental, stable]
environments:
  - name: staging
    tiers: [experimental, stable]
  - name: prod
    tiers: [stable]
groups:
  parking: { paths: ["etl/parking/{component}/**"] }
  housing: { paths: ["etl/housing/**"] }
components:
  Cash_Collection_Date: { tier: stable, group: parking }
  ml_parking_predictions: { tier: experimental, group: parking }
  rent_roll: { tier: stable, group: housing, paths: ["etl/housing/rent/**"] }
overrides:
  prod: { groups: { housing: { enabled: false } } }
"#;

fn repo() -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.write(".shipgate.yml", MODEL)
        .write("etl/parking/Cash_Collection_Date/job.py", "1")
        .write("etl/parking/ml_parking_predictions/job.py", "1")
        .write("etl/housing/rent/job.py", "1");
    let base = repo.commit("base");
    repo.write("etl/parking/ml_parking_predictions/job.py", "2")
        .write("etl/housing/rent/job.py", "2");
    repo.commit("change an experimental and a housing job");
    (repo, base)
}

#[test]
fn outputs_per_component_group_and_tier() {
    let (repo, base) = repo();
    let run = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.get("Cash_Collection_Date"), "false");
    assert_eq!(run.get("ml_parking_predictions"), "true");
    assert_eq!(run.get("rent_roll"), "true");
    assert_eq!(run.get("group-parking"), "true");
    assert_eq!(run.get("group-housing"), "true");
    assert_eq!(run.get("tier-experimental"), "true");
    assert_eq!(run.get("tier-stable"), "true");
    assert_eq!(
        run.get("components"),
        r#"["ml_parking_predictions","rent_roll"]"#
    );
    assert_eq!(
        run.get("matrix"),
        r#"{"component":["ml_parking_predictions","rent_roll"]}"#
    );
}

#[test]
fn environment_narrows_components_to_what_it_gets() {
    let (repo, base) = repo();
    // prod gets only the stable tier, and housing is switched off there.
    let prod = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .input("env", "prod")
        .run();
    assert_eq!(prod.code, 0, "{}{}", prod.stdout, prod.stderr);
    assert_eq!(prod.get("components"), "[]");
    assert_eq!(prod.get("matrix"), r#"{"component":[]}"#);
    assert_eq!(
        prod.get("tier-experimental"),
        "true",
        "per-filter outputs are not narrowed"
    );
    let staging = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .input("env", "staging")
        .run();
    assert_eq!(
        staging.get("components"),
        r#"["ml_parking_predictions","rent_roll"]"#
    );
}

#[test]
fn stable_only_change_leaves_experimental_tier_false() {
    let repo = TestRepo::new();
    repo.write(".shipgate.yml", MODEL)
        .write("etl/parking/Cash_Collection_Date/job.py", "1");
    let base = repo.commit("base");
    repo.write("etl/parking/Cash_Collection_Date/job.py", "2");
    repo.commit("hotfix");
    let run = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .input("config", ".shipgate.yml")
        .run();
    assert_eq!(run.get("tier-stable"), "true");
    assert_eq!(run.get("tier-experimental"), "false");
}

#[test]
fn unknown_environment_and_broken_model_are_bad_input() {
    let (repo, base) = repo();
    let run = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .input("env", "qa9")
        .run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.output_file.is_empty());
    assert!(
        run.stdout.contains("::error") && run.stdout.contains("qa9"),
        "{}",
        run.stdout
    );
    repo.write(
        "broken.yml",
        "version: 1\ntiers: [a]\nenvironments: [{name: x}]\ncomponents:\n  c: { tier: b }\n",
    );
    let run = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .input("config", "broken.yml")
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.contains("::error file=broken.yml,line=5"),
        "{}",
        run.stdout
    );
}

#[test]
fn no_filters_and_no_model_is_bad_input() {
    let repo = TestRepo::new();
    repo.write("a", "1");
    let base = repo.commit("one");
    let run = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .contains("Input required and not supplied: filters"),
        "{}",
        run.stdout
    );
}
