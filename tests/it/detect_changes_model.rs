//! detect-changes with filters derived from the pipeline model (.shipgate.yml).

use crate::support as common;

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

/// A repository whose only change after `base` is `edit` applied to the model.
fn model_edit(edit: impl Fn(&str) -> String) -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.write(".shipgate.yml", MODEL)
        .write("etl/parking/Cash_Collection_Date/job.py", "1")
        .write("etl/parking/ml_parking_predictions/job.py", "1")
        .write("etl/housing/rent/job.py", "1");
    let base = repo.commit("base");
    repo.write(".shipgate.yml", edit(MODEL));
    repo.commit("model edit");
    (repo, base)
}

fn run_env(repo: &TestRepo, base: &str, env: Option<&str>) -> common::Run {
    let mut action = Action::github("detect-changes", repo.path())
        .input("base", base)
        .input("list-files", "json");
    if let Some(env) = env {
        action = action.input("env", env);
    }
    let run = action.run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run
}

#[test]
fn a_tier_promotion_in_the_model_changes_the_component_where_it_now_deploys() {
    let (repo, base) = model_edit(|m| {
        m.replace(
            "ml_parking_predictions: { tier: experimental",
            "ml_parking_predictions: { tier: stable",
        )
    });
    let prod = run_env(&repo, &base, Some("prod"));
    assert_eq!(prod.get("ml_parking_predictions"), "true");
    assert_eq!(
        prod.get("ml_parking_predictions_files"),
        r#"[".shipgate.yml"]"#
    );
    assert_eq!(prod.get("components"), r#"["ml_parking_predictions"]"#);
    assert_eq!(prod.get("tier-stable"), "true");
    assert_eq!(
        prod.get("tier-experimental"),
        "false",
        "prod never got that tier"
    );
    assert_eq!(prod.get("group-parking"), "true");
    assert_eq!(prod.get("Cash_Collection_Date"), "false");
    assert_eq!(prod.get("rent_roll"), "false");
    assert_eq!(prod.get("group-housing"), "false");
    assert_eq!(
        prod.get("changes"),
        r#"["ml_parking_predictions","group-parking","tier-stable"]"#
    );
    // staging got it before, in the tier it left.
    let any = run_env(&repo, &base, None);
    assert_eq!(any.get("tier-experimental"), "true");
    assert_eq!(any.get("tier-stable"), "true");
}

#[test]
fn a_group_switched_off_in_overrides_changes_its_components_there_only() {
    let (repo, base) = model_edit(|m| {
        m.replace(
            "  prod: { groups: { housing: { enabled: false } } }\n",
            "  prod: { groups: { housing: { enabled: false } } }\n  staging: { groups: { parking: { enabled: false, reason: incident } } }\n",
        )
    });
    let staging = run_env(&repo, &base, Some("staging"));
    assert_eq!(staging.get("Cash_Collection_Date"), "true");
    assert_eq!(staging.get("ml_parking_predictions"), "true");
    assert_eq!(staging.get("group-parking"), "true");
    assert_eq!(staging.get("rent_roll"), "false");
    assert_ne!(staging.get("changes"), "[]");
    // prod's plan is the same as before: nothing changed there.
    let prod = run_env(&repo, &base, Some("prod"));
    assert_eq!(prod.get("changes"), "[]");
    // Without an environment: changed where any environment's plan changed.
    let any = run_env(&repo, &base, None);
    assert_eq!(any.get("group-parking"), "true");
    assert_eq!(any.get("group-housing"), "false");
}

#[test]
fn metadata_and_version_edits_count_and_a_description_edit_does_not() {
    let (repo, base) = model_edit(|m| {
        m.replace(
            "rent_roll: { tier: stable, group: housing, paths: [\"etl/housing/rent/**\"] }",
            "rent_roll: { tier: stable, group: housing, paths: [\"etl/housing/rent/**\"], metadata: { schedule: daily } }",
        )
    });
    let run = run_env(&repo, &base, Some("staging"));
    assert_eq!(
        run.get("changes"),
        r#"["rent_roll","group-housing","tier-stable"]"#
    );
    let (repo, base) = model_edit(|m| {
        m.replace(
            "  prod: { groups: { housing: { enabled: false } } }\n",
            "  prod:\n    groups: { housing: { enabled: false } }\n    components: { Cash_Collection_Date: { version: v2 } }\n",
        )
    });
    let run = run_env(&repo, &base, Some("prod"));
    assert_eq!(
        run.get("changes"),
        r#"["Cash_Collection_Date","group-parking","tier-stable"]"#
    );
    let (repo, base) = model_edit(|m| {
        m.replace(
            "  housing: { paths: [\"etl/housing/**\"] }",
            "  housing: { paths: [\"etl/housing/**\"], description: Housing team }",
        )
    });
    let run = run_env(&repo, &base, None);
    assert_eq!(run.get("changes"), "[]", "the plans are the same");
}

#[test]
fn a_new_model_counts_every_deployed_component_as_changed() {
    let repo = TestRepo::new();
    repo.write("etl/housing/rent/job.py", "1");
    let base = repo.commit("before the model");
    repo.write(".shipgate.yml", MODEL);
    repo.commit("add the model");
    let prod = run_env(&repo, &base, Some("prod"));
    assert_eq!(prod.get("components"), r#"["Cash_Collection_Date"]"#);
    assert_eq!(
        prod.get("ml_parking_predictions"),
        "false",
        "prod does not get it"
    );
}

#[test]
fn derived_filters_combine_with_extra_filters_in_one_step() {
    let (repo, base) = repo();
    repo.write("docs/x.md", "d");
    repo.commit("docs");
    let run = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .input("config", ".shipgate.yml")
        .input("filters", "docs: 'docs/**'\nci: '.github/**'\n")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.get("rent_roll"), "true");
    assert_eq!(run.get("docs"), "true");
    assert_eq!(run.get("ci"), "false");
    assert_eq!(
        run.get("components"),
        r#"["ml_parking_predictions","rent_roll"]"#
    );
    assert_eq!(
        run.get("changes"),
        r#"["ml_parking_predictions","rent_roll","group-parking","group-housing","tier-experimental","tier-stable","docs"]"#
    );
    // With `env` too, and an extra filter may not take a derived name.
    let run = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .input("env", "prod")
        .input("filters", "docs: 'docs/**'")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.get("docs"), "true");
    assert_eq!(run.get("components"), "[]");
    let run = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .input("config", ".shipgate.yml")
        .input("filters", "rent_roll: 'docs/**'")
        .run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "component 'rent_roll' and filter 'rent_roll' both become the output 'rent_roll'"
        ),
        "{}",
        run.stdout
    );
    // Without config or env, filters alone stay filters alone (as paths-filter).
    let run = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .input("filters", "docs: 'docs/**'")
        .run();
    assert_eq!(run.code, 0);
    let names: Vec<&str> = run.outputs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["docs", "docs_count", "changes", "matrix"]);
}

#[test]
fn an_unreadable_earlier_model_warns_and_counts_every_deployed_component() {
    let repo = TestRepo::new();
    repo.write(".shipgate.yml", "version: 1\ntiers: [a\n")
        .write("etl/housing/rent/job.py", "1");
    let base = repo.commit("a broken model");
    repo.write(".shipgate.yml", MODEL);
    repo.commit("fix the model");
    let run = run_env(&repo, &base, Some("prod"));
    assert!(
        run.stdout.contains("::warning::The earlier pipeline model")
            && run
                .stdout
                .contains("every component it deploys counts as changed"),
        "{}",
        run.stdout
    );
    assert_eq!(run.get("components"), r#"["Cash_Collection_Date"]"#);
}
