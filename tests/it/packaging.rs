//! The files users consume without reading our code: action metadata, workflows, GitLab
//! templates and examples. Each is checked by the tools GitHub and GitLab users run
//! (actionlint, the SchemaStore schemas via check-jsonschema, ShellCheck), and the action
//! and template inputs are compared with the CLI's flags so the two cannot drift apart.

use crate::support::peers;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use peers::{clean_env, flags, peer, project_yaml, root, run, verbs, yaml, Flag};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(120);

/// Inputs of the GitLab templates that configure the job rather than the verb.
const GITLAB_JOB_INPUTS: [&str; 4] = ["image", "stage", "detect-job", "changed-jobs-stage"];
/// Flags that only make sense on GitHub (the REST API for pull-request files).
const GITHUB_ONLY_FLAGS: [&str; 2] = ["token", "use-api"];

/// Files under `dir` (relative to the project root) whose names end with one of `exts`.
fn files_in(dir: &str, exts: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root().join(dir)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if exts.iter().any(|e| path.to_string_lossy().ends_with(e)) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn action_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("action.yml")];
    files.extend(files_in("actions", &["/action.yml"]));
    files
}

fn workflow_files() -> Vec<PathBuf> {
    let workflows = files_in(".github/workflows", &[".yml", ".yaml"]);
    assert!(!workflows.is_empty(), "no workflows in .github/workflows");
    workflows
}

fn example_workflows() -> Vec<PathBuf> {
    files_in("examples", &["github-workflow.yml"])
}

fn check_jsonschema(schema: &str, files: &[PathBuf]) {
    assert!(!files.is_empty(), "nothing to validate against {schema}");
    let mut cmd = Command::new(peer("check-jsonschema"));
    clean_env(&mut cmd)
        .args(["--builtin-schema", schema])
        .args(files)
        .current_dir(root());
    run(&mut cmd, LIMIT).assert_success();
}

fn actionlint(dir: &Path, files: &[PathBuf], extra_ignores: &[&str]) {
    let mut cmd = Command::new(peer("actionlint"));
    clean_env(&mut cmd)
        // The kjanat build warns about node20 actions/checkout@v4: not ours to fix.
        .args(["-ignore", "deprecated"])
        .arg("-shellcheck")
        .arg(peer("shellcheck"));
    for ignore in extra_ignores {
        cmd.args(["-ignore", ignore]);
    }
    cmd.args(files).current_dir(dir);
    run(&mut cmd, LIMIT).assert_success();
}

#[test]
fn workflows_and_example_workflows_pass_actionlint() {
    let mut files = workflow_files();
    files.extend(example_workflows());
    actionlint(&root(), &files, &[]);
}

/// The examples name the published action; linted against our local action.yml instead,
/// actionlint checks every `with:` key and required input of the examples.
#[test]
fn example_workflows_use_only_inputs_our_actions_declare() {
    let project = tempfile::tempdir().expect("temp dir");
    let dir = project.path();
    fs::create_dir_all(dir.join(".git")).expect("mark the project root for actionlint");
    copy_tree(&root().join("actions"), &dir.join("actions"));
    fs::copy(root().join("action.yml"), dir.join("action.yml")).expect("copy action.yml");
    let workflows = dir.join(".github/workflows");
    fs::create_dir_all(&workflows).expect("workflows dir");
    let mut linted = Vec::new();
    for (i, example) in example_workflows().iter().enumerate() {
        let text = fs::read_to_string(example).expect("read example");
        let local = text
            .replace("uses: shipgate/shipgate/actions/", "uses: ./actions/")
            .replace("uses: shipgate/shipgate@v1", "uses: ./");
        assert_ne!(text, local, "{} uses no shipgate action", example.display());
        let target = workflows.join(format!("example{i}.yml"));
        fs::write(&target, local).expect("write example copy");
        linted.push(target);
    }
    // Per-filter outputs (`steps.x.outputs.backend`) are dynamic, as in dorny/paths-filter;
    // actionlint only knows the declared ones.
    actionlint(
        dir,
        &linted,
        &[r"is not defined in object type \{changes: string; matrix: string\}"],
    );
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    for entry in fs::read_dir(from).expect("read dir").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).expect("copy file");
        }
    }
}

#[test]
fn action_metadata_matches_the_github_actions_schema() {
    check_jsonschema("vendor.github-actions", &action_files());
}

#[test]
fn workflows_match_the_github_workflows_schema() {
    let mut files = workflow_files();
    files.extend(example_workflows());
    check_jsonschema("vendor.github-workflows", &files);
}

/// GitLab component templates are two YAML documents (`spec:` header, `---`, jobs), which
/// check-jsonschema cannot read: each is validated on its own. The schema does not look
/// inside hidden jobs, so the jobs are also validated un-hidden with every input replaced
/// by its default, which is what GitLab itself does before it validates.
#[test]
fn gitlab_templates_and_examples_match_the_gitlab_ci_schema() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    let templates = files_in("gitlab-templates", &[".yml"]);
    assert!(!templates.is_empty(), "no GitLab templates");
    for template in &templates {
        let text = fs::read_to_string(template).expect("read template");
        let (header, jobs) = split_template(&text, template);
        let stem = template.file_stem().unwrap().to_string_lossy().to_string();
        let inputs = spec_inputs(&yaml(header, "template header"));
        let mut expanded = yaml(jobs, "template jobs");
        interpolate(&mut expanded, &inputs);
        let text = serde_json::to_string_pretty(&expanded).unwrap();
        assert!(
            !text.contains("$[["),
            "{stem}: interpolation of an undeclared input:\n{text}"
        );
        // Un-hide the jobs (`.name` -> `name`) so the schema checks their keys.
        let unhidden: serde_json::Map<String, Value> = expanded
            .as_object()
            .expect("jobs document is a mapping")
            .iter()
            .map(|(k, v)| (k.strip_prefix('.').unwrap_or(k).to_string(), v.clone()))
            .collect();
        let unhidden = serde_json::to_string_pretty(&unhidden).unwrap();
        for (name, body) in [
            (format!("{stem}.header.yml"), header),
            (format!("{stem}.jobs.yml"), jobs),
            (format!("{stem}.expanded.json"), unhidden.as_str()),
        ] {
            let path = scratch.path().join(name);
            fs::write(&path, body).expect("write split document");
            files.push(path);
        }
    }
    files.extend(files_in("examples", &["gitlab-ci.yml"]));
    check_jsonschema("vendor.gitlab-ci", &files);
}

/// Replaces `$[[ inputs.<name> ]]` in every string by the input's default (required
/// inputs get a placeholder file name), as GitLab does value by value.
fn interpolate(value: &mut Value, inputs: &[(String, Option<String>)]) {
    match value {
        Value::String(s) => {
            for (name, default) in inputs {
                let given = default
                    .clone()
                    .unwrap_or_else(|| format!("given-{name}.yml"));
                *s = s.replace(&format!("$[[ inputs.{name} ]]"), &given);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| interpolate(v, inputs)),
        Value::Object(map) => map.values_mut().for_each(|v| interpolate(v, inputs)),
        _ => {}
    }
}

fn split_template<'a>(text: &'a str, path: &Path) -> (&'a str, &'a str) {
    let at = text
        .find("\n---\n")
        .unwrap_or_else(|| panic!("{}: no `---` after the spec header", path.display()));
    (&text[..at + 1], &text[at + 5..])
}

/// The inputs a template header declares, with their defaults (None: required).
fn spec_inputs(header: &Value) -> Vec<(String, Option<String>)> {
    let inputs = header["spec"]["inputs"]
        .as_object()
        .expect("spec: inputs: is a mapping");
    inputs
        .iter()
        .map(|(name, spec)| {
            let default = spec.get("default").map(|d| match d {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            (name.clone(), default)
        })
        .collect()
}

#[test]
fn shell_scripts_pass_shellcheck() {
    let mut scripts: Vec<PathBuf> = ["scripts/setup-test-peers", "scripts/test", ".ci/run"]
        .iter()
        .map(|s| root().join(s))
        .collect();
    scripts.retain(|s| s.is_file());
    assert_eq!(
        scripts.len(),
        3,
        "scripts/setup-test-peers, scripts/test and .ci/run must exist"
    );
    for script in &scripts {
        let mode = fs::metadata(script).expect("stat script");
        use std::os::unix::fs::PermissionsExt;
        assert!(
            mode.permissions().mode() & 0o111 != 0,
            "{} is not executable",
            script.display()
        );
    }
    let mut cmd = Command::new(peer("shellcheck"));
    clean_env(&mut cmd).args(&scripts).current_dir(root());
    run(&mut cmd, LIMIT).assert_success();
}

/// A verb's flags as a GitHub action exposes them: GitLab-only ones left out.
fn github_inputs_of(verb: &str) -> BTreeSet<String> {
    flags(&[verb])
        .into_iter()
        .filter(|f| !f.help.starts_with("GitLab:"))
        .map(|f| f.name)
        .collect()
}

fn declared_inputs(action: &Value) -> BTreeSet<String> {
    action["inputs"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn assert_same(what: &str, declared: &BTreeSet<String>, expected: &BTreeSet<String>) {
    let missing: Vec<_> = expected.difference(declared).collect();
    let extra: Vec<_> = declared.difference(expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: inputs and CLI flags differ.\n  flags without an input: {missing:?}\n  inputs without a flag: {extra:?}"
    );
}

#[test]
fn verb_actions_declare_exactly_the_verbs_flags() {
    let verbs = verbs();
    assert!(
        verbs.contains(&"detect-changes".to_string()),
        "verbs: {verbs:?}"
    );
    for verb in &verbs {
        let rel = format!("actions/{verb}/action.yml");
        if !root().join(&rel).is_file() {
            continue;
        }
        let action = project_yaml(&rel);
        assert_same(&rel, &declared_inputs(&action), &github_inputs_of(verb));
        assert_eq!(action["runs"]["using"], "docker", "{rel}");
        assert_eq!(action["runs"]["args"], serde_json::json!([verb]), "{rel}");
        for (name, spec) in action["inputs"].as_object().unwrap() {
            let description = spec["description"].as_str().unwrap_or("");
            assert!(
                description.len() >= 20,
                "{rel}: input {name} needs a real description"
            );
        }
    }
}

#[test]
fn umbrella_action_declares_command_and_every_verbs_flags() {
    let action = project_yaml("action.yml");
    let mut expected: BTreeSet<String> = ["command".to_string()].into();
    for verb in verbs() {
        expected.extend(github_inputs_of(&verb));
    }
    assert_same("action.yml", &declared_inputs(&action), &expected);
    assert_eq!(
        action["runs"]["args"],
        serde_json::json!(["${{ inputs.command }}"])
    );
    assert_eq!(action["inputs"]["command"]["required"], true);
    // The `command` description names every verb the umbrella runs.
    let command = action["inputs"]["command"]["description"].as_str().unwrap();
    for verb in verbs().iter().filter(|v| *v != "config" && *v != "help") {
        assert!(
            command.contains(&format!("`{verb}`")),
            "action.yml: the command input's description does not name `{verb}`: {command}"
        );
    }
    // A shared input behaves the same whichever action the user picks.
    let verb_action = project_yaml("actions/detect-changes/action.yml");
    for (name, spec) in verb_action["inputs"].as_object().unwrap() {
        assert_eq!(
            action["inputs"][name]["default"], spec["default"],
            "default of input {name} differs between action.yml and actions/detect-changes"
        );
    }
}

/// dorny/paths-filter's inputs keep their defaults, so swapping the `uses:` line is enough.
#[test]
fn detect_changes_action_keeps_paths_filter_defaults() {
    let action = project_yaml("actions/detect-changes/action.yml");
    let inputs = &action["inputs"];
    // Required unless the pipeline model gives the filters (`config`); paths-filter users pass it anyway.
    assert!(inputs["filters"].is_object());
    assert_eq!(inputs["token"]["default"], "${{ github.token }}");
    assert_eq!(inputs["list-files"]["default"], "none");
    assert_eq!(inputs["initial-fetch-depth"]["default"], "100");
    assert_eq!(inputs["predicate-quantifier"]["default"], "some");
    for name in ["working-directory", "base", "ref"] {
        assert!(inputs[name].is_object(), "input {name} is missing");
        assert!(
            inputs[name].get("default").is_none(),
            "input {name} has no default in paths-filter"
        );
    }
    let outputs: BTreeSet<String> = action["outputs"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        outputs,
        ["changes".to_string(), "matrix".to_string()].into()
    );
}

/// The GitLab template takes every verb flag but the GitHub-only ones, and hands each to the
/// job as an `INPUT_*` variable (never through the script line).
#[test]
fn gitlab_template_passes_every_flag_as_an_input_variable() {
    let rel = "gitlab-templates/detect-changes.yml";
    let text = fs::read_to_string(root().join(rel)).expect("read template");
    let (header, jobs) = split_template(&text, Path::new(rel));
    let declared: BTreeSet<String> = spec_inputs(&yaml(header, rel))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let verb_flags: Vec<Flag> = flags(&["detect-changes"]);
    let mut expected: BTreeSet<String> = verb_flags
        .iter()
        .map(|f| f.name.clone())
        .filter(|n| !GITHUB_ONLY_FLAGS.contains(&n.as_str()))
        .collect();
    expected.extend(GITLAB_JOB_INPUTS.iter().map(|s| s.to_string()));
    assert_same(rel, &declared, &expected);

    let jobs = yaml(jobs, rel);
    let job = &jobs[".shipgate-detect-changes"];
    assert_eq!(
        job["script"],
        serde_json::json!(["shipgate detect-changes"]),
        "{rel}: script"
    );
    assert_eq!(job["image"]["entrypoint"], serde_json::json!([""]));
    assert_eq!(job["image"]["name"], "$[[ inputs.image ]]");
    for name in expected
        .iter()
        .filter(|n| !GITLAB_JOB_INPUTS.contains(&n.as_str()))
    {
        let var = format!("INPUT_{}", name.to_uppercase().replace('-', "_"));
        assert_eq!(
            job["variables"][&var],
            format!("$[[ inputs.{name} ]]"),
            "{rel}: variable {var} should carry input {name}"
        );
    }
    assert_eq!(
        job["artifacts"]["reports"]["dotenv"],
        "$[[ inputs.dotenv ]]"
    );
    let trigger = &jobs[".shipgate-changed-jobs"]["trigger"];
    assert_eq!(trigger["strategy"], "depend");
    assert_eq!(
        trigger["include"][0]["artifact"],
        "$[[ inputs.child-pipeline ]]"
    );
    assert_eq!(trigger["include"][0]["job"], "$[[ inputs.detect-job ]]");
}

/// The container image the actions and templates name is the one release.yml publishes.
#[test]
fn actions_and_templates_run_the_published_image() {
    for file in action_files() {
        let rel = file.strip_prefix(root()).unwrap().display().to_string();
        let action = project_yaml(&rel);
        if action["runs"]["using"] == "docker" {
            assert_eq!(
                action["runs"]["image"], "docker://ghcr.io/shipgate/shipgate:1",
                "{rel}"
            );
        }
    }
    let release = fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    assert!(release.contains("ghcr.io/${{ github.repository_owner }}/shipgate"));
    assert!(release.contains("type=semver,pattern={{major}}"));
    let template = fs::read_to_string(root().join("gitlab-templates/detect-changes.yml")).unwrap();
    assert!(template.contains("default: ghcr.io/shipgate/shipgate:1"));
}

/// The README's first command runs the example filters against this repository: each
/// filter must match something in this tree, or the example teaches nothing.
#[test]
fn example_filters_each_match_part_of_this_repository() {
    let mut ls = Command::new("git");
    clean_env(&mut ls)
        .args(["ls-files", "--cached", "--others", "--exclude-standard"])
        .current_dir(root());
    let listed = run(&mut ls, LIMIT);
    listed.assert_success();
    let repo = peers::Repo::new();
    repo.write("placeholder", "");
    repo.commit("base");
    for path in listed.stdout.lines().filter(|p| !p.is_empty()) {
        repo.write(path, "");
    }
    repo.commit("this project's tree");

    let filters_file = root().join("examples/detect-changes/filters.yml");
    let mut cmd = Command::new(peers::shipgate());
    clean_env(&mut cmd)
        .env("SHIPGATE_PLATFORM", "local")
        .args([
            "--output",
            "json",
            "detect-changes",
            "--base",
            "HEAD~1",
            "--filters",
        ])
        .arg(&filters_file)
        .current_dir(repo.path());
    let out = run(&mut cmd, LIMIT);
    out.assert_success();
    let result: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("--output json is not JSON ({e})\n{}", out.dump()));
    let changed: BTreeSet<String> = result["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no `changes` array\n{}", out.dump()))
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let defined: BTreeSet<String> = project_yaml("examples/detect-changes/filters.yml")
        .as_object()
        .expect("filters are a mapping")
        .keys()
        .cloned()
        .collect();
    let unmatched: Vec<_> = defined.difference(&changed).collect();
    assert!(
        unmatched.is_empty(),
        "example filters matching nothing in this repository: {unmatched:?}"
    );
}

/// Composite actions run their scripts in the user's job: no `${{ }}` may be spliced into a
/// script (inputs travel in `env:`), and every script passes ShellCheck.
#[test]
fn composite_action_scripts_take_inputs_from_env_and_pass_shellcheck() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let mut scripts = Vec::new();
    for file in action_files() {
        let rel = file.strip_prefix(root()).unwrap().display().to_string();
        let action = project_yaml(&rel);
        if action["runs"]["using"] != "composite" {
            continue;
        }
        let steps = action["runs"]["steps"].as_array().expect("composite steps");
        for (i, step) in steps.iter().enumerate() {
            let Some(script) = step["run"].as_str() else {
                continue;
            };
            assert!(
                !script.contains("${{"),
                "{rel} step {i}: an expression is spliced into the script"
            );
            assert_eq!(
                step["shell"], "bash",
                "{rel} step {i}: scripts are written for bash"
            );
            let path = scratch
                .path()
                .join(format!("{}-{i}.sh", rel.replace('/', "_")));
            fs::write(&path, format!("#!/usr/bin/env bash\n{script}")).expect("write script");
            scripts.push(path);
        }
    }
    assert!(
        !scripts.is_empty(),
        "no composite action scripts found (actions/setup?)"
    );
    let mut cmd = Command::new(peer("shellcheck"));
    clean_env(&mut cmd).args(&scripts);
    run(&mut cmd, LIMIT).assert_success();
}

/// The image cannot be built here (no Docker engine), so the Dockerfile is linted and its
/// contract checked: a static musl build, git and CA certificates in the final image, the
/// binary as entrypoint and on PATH, and a build context that holds what cargo needs.
#[test]
fn dockerfile_passes_hadolint_and_keeps_its_contract() {
    let mut cmd = Command::new(peer("hadolint"));
    clean_env(&mut cmd)
        .args(["--no-color", "Dockerfile"])
        .current_dir(root());
    run(&mut cmd, LIMIT).assert_success();

    let dockerfile = fs::read_to_string(root().join("Dockerfile")).expect("read Dockerfile");
    let final_stage = dockerfile.rsplit("\nFROM ").next().expect("a final stage");
    assert!(dockerfile.contains("--target x86_64-unknown-linux-musl"));
    assert!(
        dockerfile.contains("--locked"),
        "the image builds from Cargo.lock"
    );
    for needed in ["git", "ca-certificates"] {
        assert!(
            final_stage.contains(needed),
            "the final image needs {needed}"
        );
    }
    assert!(
        final_stage.contains("COPY --from=build /usr/local/bin/shipgate /usr/local/bin/shipgate")
    );
    assert!(final_stage.contains(r#"ENTRYPOINT ["/usr/local/bin/shipgate"]"#));

    let ignore = fs::read_to_string(root().join(".dockerignore")).expect("read .dockerignore");
    let allowed: Vec<&str> = ignore
        .lines()
        .filter_map(|l| l.trim().strip_prefix('!'))
        .collect();
    for needed in ["Cargo.toml", "Cargo.lock", "src/"] {
        assert!(
            allowed.contains(&needed),
            ".dockerignore must let {needed} through"
        );
    }
    // A build script or extra targets would need their files in the context too.
    assert!(!root().join("build.rs").exists() || allowed.contains(&"build.rs"));
}
