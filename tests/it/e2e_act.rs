//! End to end under act (nektos/act, the GitHub Actions runner emulator): the built binary
//! runs in a workflow exactly as the container action runs it, and its outputs reach later
//! steps, job outputs, `if:` conditions and a matrix. Also the `actions/setup` composite
//! action, downloading from a local release mirror.
//!
//! act cannot run `runs.using: docker` actions here (no Docker engine), so the step that
//! stands for `uses: ./actions/detect-changes` is a `run: shipgate detect-changes` step whose
//! environment is what the runner gives a container action: every input of
//! actions/detect-changes/action.yml as `INPUT_<NAME>` (upper case, hyphens kept), the
//! given value or else the default or else empty.

use crate::support::peers;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use peers::{clean_env, path_with, peer, project_yaml, run, shipgate, Outcome, Repo};

const ACT_LIMIT: Duration = Duration::from_secs(180);

/// A JSON string literal, which is also a valid YAML scalar.
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("string to JSON")
}

/// The `env:` lines a container action step would get for these `with:` values.
fn container_action_env(with: &[(&str, &str)], indent: &str) -> String {
    let action = project_yaml("actions/detect-changes/action.yml");
    let inputs = action["inputs"].as_object().expect("action inputs");
    for (name, _) in with {
        assert!(
            inputs.contains_key(*name),
            "actions/detect-changes has no input {name}"
        );
    }
    let mut env = String::new();
    for (name, spec) in inputs {
        let value = with
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.to_string())
            .or_else(|| spec["default"].as_str().map(str::to_string))
            .unwrap_or_default();
        env.push_str(&format!(
            "{indent}{}: {}\n",
            q(&format!("INPUT_{}", name.to_uppercase())),
            q(&value)
        ));
    }
    env
}

/// Runs `act push` in `repo` with a push event from `before` to `after`.
fn act_push(
    repo: &Repo,
    workflow: &str,
    before: &str,
    after: &str,
    extra_path: &[&Path],
) -> Outcome {
    let event = serde_json::json!({
        "ref": "refs/heads/main",
        "before": before,
        "after": after,
        "repository": {"full_name": "acme/widgets", "default_branch": "main"},
        "head_commit": {"id": after},
    });
    let scratch = tempfile::tempdir().expect("temp dir");
    let event_path = scratch.path().join("event.json");
    std::fs::write(&event_path, event.to_string()).expect("write event");
    // act keeps its workspace copies under $HOME/.cache/act: one HOME per run keeps
    // parallel tests apart.
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home).expect("home dir");
    let mut cmd = Command::new(peer("act"));
    clean_env(&mut cmd)
        .env("HOME", &home)
        .env("PATH", path_with(extra_path))
        .arg("push")
        .args(["-W", workflow])
        .arg("-e")
        .arg(&event_path)
        .args(["-P", "ubuntu-latest=-self-hosted", "--no-cache-server"])
        .current_dir(repo.path());
    run(&mut cmd, ACT_LIMIT)
}

const FILTERS: &str = "backend:\n  - 'src/**'\nfrontend:\n  - 'web/**'\ndocs: '**/*.md'\n";

#[test]
fn detect_changes_outputs_reach_later_steps_jobs_conditions_and_matrix() {
    let repo = Repo::new();
    repo.write("src/app.rs", "fn main() {}\n")
        .write("web/index.html", "<h1>hi</h1>\n")
        .write("docs/guide.md", "# Guide\n")
        .write(".github/workflows/e2e.yml", detect_changes_workflow());
    let base = repo.commit("base");
    repo.write("src/app.rs", "fn main() { println!(\"hi\"); }\n")
        .write("src/lib.rs", "pub fn f() {}\n")
        .write("docs/guide.md", "# Guide\n\nMore.\n");
    let head = repo.commit("change backend and docs");

    let bin_dir = shipgate().parent().expect("binary folder").to_path_buf();
    let out = act_push(
        &repo,
        ".github/workflows/e2e.yml",
        &base,
        &head,
        &[&bin_dir],
    );
    println!("{}", out.dump());
    out.assert_success();

    // Read back in a later step of the same job.
    out.assert_contains("step backend=true")
        .assert_contains("step backend_count=2")
        .assert_contains("step backend_files=src/app.rs,src/lib.rs")
        .assert_contains("step frontend=false")
        .assert_contains("step frontend_count=0")
        .assert_contains("step docs=true")
        .assert_contains("step docs_files=docs/guide.md")
        .assert_contains(r#"step changes=["backend","docs"]"#)
        .assert_contains(r#"step matrix={"filter":["backend","docs"]}"#);
    // Through job outputs in a later job.
    out.assert_contains("job backend=true")
        .assert_contains("job frontend=false")
        .assert_contains("job backend_files=src/app.rs,src/lib.rs")
        .assert_contains(r#"job changes=["backend","docs"]"#);
    // `if:` on a filter and a matrix over the changed filters.
    out.assert_contains("backend job ran")
        .assert_lacks("frontend job ran")
        .assert_contains("matrix filter=backend")
        .assert_contains("matrix filter=docs")
        .assert_lacks("matrix filter=frontend");
}

fn detect_changes_workflow() -> String {
    let env = container_action_env(&[("filters", FILTERS), ("list-files", "csv")], "          ");
    let mut step_reads = String::new();
    let mut step_env = String::new();
    let mut job_outputs = String::new();
    for filter in ["backend", "frontend", "docs"] {
        for suffix in ["", "_count", "_files"] {
            let name = format!("{filter}{suffix}");
            let var = name.to_uppercase();
            step_env.push_str(&format!(
                "          {var}: ${{{{ steps.filter.outputs.{name} }}}}\n"
            ));
            step_reads.push_str(&format!("          echo \"step {name}=${var}\"\n"));
            job_outputs.push_str(&format!(
                "      {name}: ${{{{ steps.filter.outputs.{name} }}}}\n"
            ));
        }
    }
    format!(
        r#"name: e2e
on: push
jobs:
  changes:
    runs-on: ubuntu-latest
    outputs:
{job_outputs}      changes: ${{{{ steps.filter.outputs.changes }}}}
      matrix: ${{{{ steps.filter.outputs.matrix }}}}
    steps:
      - uses: actions/checkout@v4
      - id: filter
        name: shipgate detect-changes, as actions/detect-changes runs it
        run: shipgate detect-changes
        env:
{env}      - name: read the step outputs
        env:
{step_env}          CHANGES: ${{{{ steps.filter.outputs.changes }}}}
          MATRIX: ${{{{ steps.filter.outputs.matrix }}}}
        run: |
{step_reads}          echo "step changes=$CHANGES"
          echo "step matrix=$MATRIX"
  later:
    needs: changes
    runs-on: ubuntu-latest
    steps:
      - env:
          BACKEND: ${{{{ needs.changes.outputs.backend }}}}
          FRONTEND: ${{{{ needs.changes.outputs.frontend }}}}
          BACKEND_FILES: ${{{{ needs.changes.outputs.backend_files }}}}
          CHANGES: ${{{{ needs.changes.outputs.changes }}}}
        run: |
          echo "job backend=$BACKEND"
          echo "job frontend=$FRONTEND"
          echo "job backend_files=$BACKEND_FILES"
          echo "job changes=$CHANGES"
  backend:
    needs: changes
    if: needs.changes.outputs.backend == 'true'
    runs-on: ubuntu-latest
    steps:
      - run: echo "backend job ran"
  frontend:
    needs: changes
    if: needs.changes.outputs.frontend == 'true'
    runs-on: ubuntu-latest
    steps:
      - run: echo "frontend job ran"
  per-filter:
    needs: changes
    runs-on: ubuntu-latest
    strategy:
      matrix: ${{{{ fromJSON(needs.changes.outputs.matrix) }}}}
    steps:
      - env:
          FILTER: ${{{{ matrix.filter }}}}
        run: echo "matrix filter=$FILTER"
"#
    )
}

/// File names that attack a `run:` script when a list of them is spliced into it.
const HOSTILE_NAMES: &[&str] = &[
    "h/ok\n$(touch pwned1)",
    "h/it's\n$(touch pwned2)",
    "h/`touch pwned3`\nok",
    "h/a\u{2028}$(touch pwned4)",
    "h/tab\there",
    "h/plain.txt",
    "h/with space.md",
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn shell_and_escape_lists_spliced_into_a_run_script_run_nothing_and_round_trip() {
    let repo = Repo::new();
    repo.write("README.md", "r\n");
    let mut steps = String::new();
    for format in ["shell", "escape"] {
        let env = container_action_env(
            &[("filters", "h: 'h/*'"), ("list-files", format)],
            "          ",
        );
        steps.push_str(&format!(
            r#"      - id: {format}
        run: shipgate detect-changes
        env:
{env}      - name: splice the {format} list into a script
        run: |
          printf '%s\0' ${{{{ steps.{format}.outputs.h_files }}}} | od -An -v -tx1 | tr -d ' \n' | sed 's/^/{format} words=/'; echo
          if ls pwned* >/dev/null 2>&1; then echo "{format}: a command ran"; else echo "{format}: nothing ran"; fi
"#
        ));
    }
    let workflow = format!(
        "name: e2e\non: push\njobs:\n  changes:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n{steps}"
    );
    repo.write(".github/workflows/e2e.yml", &workflow);
    let base = repo.commit("base");
    for name in HOSTILE_NAMES {
        repo.write(name, "x\n");
    }
    let head = repo.commit("hostile names");
    let bin_dir = shipgate().parent().expect("binary folder").to_path_buf();
    let out = act_push(
        &repo,
        ".github/workflows/e2e.yml",
        &base,
        &head,
        &[&bin_dir],
    );
    println!("{}", out.dump());
    out.assert_success();
    let mut sorted: Vec<&[u8]> = HOSTILE_NAMES.iter().map(|n| n.as_bytes()).collect();
    sorted.sort();
    let words: Vec<u8> = sorted
        .iter()
        .flat_map(|n| n.iter().copied().chain([0]))
        .collect();
    for format in ["shell", "escape"] {
        out.assert_contains(&format!("{format}: nothing ran"))
            .assert_lacks(&format!("{format}: a command ran"))
            .assert_contains(&format!("{format} words={}", hex(&words)));
    }
}

/// The pipeline model of a data platform: one experimental job, promoted to stable.
const PROMOTION_MODEL: &str = "version: 1\ntiers: [experimental, stable]\nenvironments:\n  - name: staging\n    tiers: [experimental, stable]\n  - name: prod\n    tiers: [stable]\ngroups:\n  parking: { paths: ['etl/parking/{component}/**'] }\ncomponents:\n  predictions: { tier: experimental, group: parking }\n  tickets: { tier: stable, group: parking }\n";

#[test]
fn a_tier_promotion_in_the_model_deploys_the_component_to_prod() {
    let repo = Repo::new();
    let env = container_action_env(&[("env", "prod")], "          ");
    let workflow = format!(
        r#"name: e2e
on: push
jobs:
  changes:
    runs-on: ubuntu-latest
    outputs:
      components: ${{{{ steps.filter.outputs.components }}}}
    steps:
      - uses: actions/checkout@v4
      - id: filter
        run: shipgate detect-changes
        env:
{env}  deploy:
    needs: changes
    if: needs.changes.outputs.components != '[]'
    runs-on: ubuntu-latest
    strategy:
      matrix:
        component: ${{{{ fromJSON(needs.changes.outputs.components) }}}}
    steps:
      - env:
          COMPONENT: ${{{{ matrix.component }}}}
        run: echo "deploy $COMPONENT to prod"
"#
    );
    repo.write(".github/workflows/e2e.yml", &workflow)
        .write(".shipgate.yml", PROMOTION_MODEL)
        .write("etl/parking/predictions/job.py", "1\n")
        .write("etl/parking/tickets/job.py", "1\n");
    let base = repo.commit("base");
    repo.write(
        ".shipgate.yml",
        PROMOTION_MODEL.replace(
            "predictions: { tier: experimental",
            "predictions: { tier: stable",
        ),
    );
    let head = repo.commit("promote predictions to stable");
    let bin_dir = shipgate().parent().expect("binary folder").to_path_buf();
    let out = act_push(
        &repo,
        ".github/workflows/e2e.yml",
        &base,
        &head,
        &[&bin_dir],
    );
    println!("{}", out.dump());
    out.assert_success();
    out.assert_contains("deploy predictions to prod")
        .assert_lacks("deploy tickets to prod");
}

/// A release mirror on 127.0.0.1 that serves files by name and records the paths asked for.
struct Mirror {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Mirror {
    fn serve(files: HashMap<String, Vec<u8>>) -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind mirror");
        let url = format!("http://{}", listener.local_addr().expect("mirror address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                // Drain the headers.
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                    line.clear();
                }
                let mut parts = request_line.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let path = parts.next().unwrap_or("").to_string();
                seen.lock().unwrap().push(format!("{method} {path}"));
                let name = path.rsplit('/').next().unwrap_or("");
                let mut stream = &stream;
                let _ = match files.get(name) {
                    Some(body) => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        stream.write_all(head.as_bytes()).and_then(|_| {
                            if method == "HEAD" {
                                Ok(())
                            } else {
                                stream.write_all(body)
                            }
                        })
                    }
                    None => stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    ),
                };
            }
        });
        Mirror { url, requests }
    }
}

const TARGET_ASSET: &str = "shipgate-x86_64-unknown-linux-musl.tar.gz";

/// The release asset for this machine: a tar.gz holding the test build as `shipgate`, and
/// its `.sha256` file in `sha256sum` format.
fn release_asset() -> (Vec<u8>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(shipgate(), dir.path().join("shipgate")).expect("copy binary");
    let mut tar = Command::new("tar");
    tar.args(["-czf", TARGET_ASSET, "shipgate"])
        .current_dir(dir.path());
    run(&mut tar, Duration::from_secs(60)).assert_success();
    let bytes = std::fs::read(dir.path().join(TARGET_ASSET)).expect("read asset");
    let mut sum = Command::new("sha256sum");
    sum.arg(TARGET_ASSET).current_dir(dir.path());
    let sum = run(&mut sum, Duration::from_secs(60));
    sum.assert_success();
    (bytes, sum.stdout)
}

fn setup_workflow(mirror: &str) -> String {
    format!(
        r#"name: setup
on: push
env:
  SHIPGATE_SETUP_SERVER: {mirror}
jobs:
  install:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: setup
        uses: ./actions/setup
        with:
          version: v9.9.9
      - env:
          INSTALLED: ${{{{ steps.setup.outputs.path }}}}
        run: |
          echo "installed at $INSTALLED"
          echo "on PATH: $(command -v shipgate)"
          shipgate --version
"#,
        mirror = q(mirror)
    )
}

fn repo_with_setup_action(workflow: &str) -> Repo {
    let repo = Repo::new();
    repo.copy_from_project("actions/setup/action.yml")
        .write(".github/workflows/setup.yml", workflow);
    repo.commit("setup");
    repo.write("README.md", "x\n");
    repo.commit("second");
    repo
}

#[test]
fn setup_action_installs_the_verified_release_binary_on_path() {
    let (asset, sum) = release_asset();
    let mirror = Mirror::serve(HashMap::from([
        (TARGET_ASSET.to_string(), asset),
        (format!("{TARGET_ASSET}.sha256"), sum.into_bytes()),
    ]));
    let repo = repo_with_setup_action(&setup_workflow(&mirror.url));
    let head = repo.git(&["rev-parse", "HEAD"]);
    let before = repo.git(&["rev-parse", "HEAD~1"]);
    // No shipgate on PATH here: only the setup action may put it there.
    let out = act_push(&repo, ".github/workflows/setup.yml", &before, &head, &[]);
    out.assert_success()
        .assert_contains("sha256")
        .assert_contains("verified")
        .assert_contains("/shipgate/9.9.9/X64/shipgate")
        .assert_contains(&format!("shipgate {}", env!("CARGO_PKG_VERSION")));
    let on_path = out
        .stdout
        .lines()
        .find(|l| l.contains("| on PATH: "))
        .unwrap_or("");
    assert!(
        on_path.ends_with("/shipgate/9.9.9/X64/shipgate"),
        "the installed binary is not first on PATH: {on_path:?}\n{}",
        out.dump()
    );
    let requests = mirror.requests.lock().unwrap().clone();
    assert!(
        requests.iter().any(
            |r| r == &format!("GET /shipgate/shipgate/releases/download/v9.9.9/{TARGET_ASSET}")
        ),
        "asset not fetched from the release path: {requests:?}"
    );
}

#[test]
fn setup_action_refuses_a_download_whose_checksum_differs() {
    let (asset, _) = release_asset();
    let wrong = format!("{}  {TARGET_ASSET}\n", "0".repeat(64));
    let mirror = Mirror::serve(HashMap::from([
        (TARGET_ASSET.to_string(), asset),
        (format!("{TARGET_ASSET}.sha256"), wrong.into_bytes()),
    ]));
    let repo = repo_with_setup_action(&setup_workflow(&mirror.url));
    let head = repo.git(&["rev-parse", "HEAD"]);
    let before = repo.git(&["rev-parse", "HEAD~1"]);
    let out = act_push(&repo, ".github/workflows/setup.yml", &before, &head, &[]);
    assert!(
        !out.status.success(),
        "a bad checksum must fail the job\n{}",
        out.dump()
    );
    out.assert_contains("checksum mismatch")
        .assert_lacks("installed at");
}

#[test]
fn setup_action_rejects_a_malformed_version_before_downloading() {
    let mirror = Mirror::serve(HashMap::new());
    let workflow =
        setup_workflow(&mirror.url).replace("version: v9.9.9", "version: '1.0; rm -rf /'");
    let repo = repo_with_setup_action(&workflow);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let before = repo.git(&["rev-parse", "HEAD~1"]);
    let out = act_push(&repo, ".github/workflows/setup.yml", &before, &head, &[]);
    assert!(
        !out.status.success(),
        "a malformed version must fail\n{}",
        out.dump()
    );
    out.assert_contains("is not latest or a release version");
    assert!(
        mirror.requests.lock().unwrap().is_empty(),
        "nothing may be downloaded"
    );
}
