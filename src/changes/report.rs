//! Turns match results into outputs (paths-filter's, byte for byte, then ours), the job
//! summary, the JSON document, written lists and the GitLab child pipeline.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::filters::Filter;
use super::format::{json_string, ListFormat};
use super::model::Model;
use super::source::Changeset;
use super::Options;
use crate::error::{quote, Failure};
use crate::git::Change;
use crate::platform::{Kind, OutputFormat, Platform, Report};

/// Most files listed per filter in the log and the summary.
const LOG_FILES: usize = 100;
const SUMMARY_FILES: usize = 5;

/// Builds the report of a run.
pub fn build(
    filters: &[Filter],
    hits: &[Vec<usize>],
    changeset: &Changeset,
    opts: &Options,
    model: Option<&Model>,
    platform: &mut Platform,
) -> Result<Report, Failure> {
    let files = &changeset.files;
    let mut report = Report::default();
    let mut changed: Vec<&str> = Vec::new();
    platform.info("Results:");
    // Each changed file is escaped once; filters join the pieces (200 filters over the
    // same 13,000 files would otherwise escape every name 200 times).
    let wants_list = opts.list_files != ListFormat::None || opts.output_dir.is_some();
    let escaped: Vec<String> = if wants_list {
        files
            .iter()
            .map(|f| opts.list_files.escape_item(&f.path))
            .collect()
    } else {
        Vec::new()
    };
    for (filter, idx) in filters.iter().zip(hits) {
        let name = filter.name.as_str();
        let matched = !idx.is_empty();
        log_filter(platform, name, idx, files);
        if matched {
            changed.push(name);
        }
        report.set(name, if matched { "true" } else { "false" });
        report.set(format!("{name}_count"), idx.len().to_string());
        let names = || idx.iter().map(|&i| files[i].path.as_str());
        let list = || {
            opts.list_files
                .join(idx.iter().map(|&i| escaped[i].as_str()))
        };
        if opts.list_files != ListFormat::None {
            report.set(format!("{name}_files"), list());
        }
        if let Some(dir) = &opts.output_dir {
            let path = dir.join(format!(
                "{}.{}",
                file_safe(name),
                opts.list_files.extension()
            ));
            report.files.push((path.clone(), list().into_bytes()));
            report.set(format!("{name}_files_path"), path.to_string_lossy());
        }
        if opts.list_dirs {
            let dirs = changed_dirs(names(), opts.dir_depth);
            let format = if opts.list_files == ListFormat::None {
                ListFormat::Json
            } else {
                opts.list_files
            };
            report.set(
                format!("{name}_dirs"),
                format.render(dirs.iter().map(String::as_str)),
            );
        }
        if opts.source.renames {
            report.set(format!("{name}_renamed"), renamed_json(idx, files));
        }
    }
    let names: Vec<&str> = filters.iter().map(|f| f.name.as_str()).collect();
    let mut changes_json = String::from("[");
    for (i, n) in changed.iter().enumerate() {
        if i > 0 {
            changes_json.push(',');
        }
        json_string(n, &mut changes_json);
    }
    changes_json.push(']');
    if names.contains(&"changes") {
        platform.info("Cannot set changes output variable - name already used by filter output");
    } else {
        platform.info(&format!("Changes output set to {changes_json}"));
        report.set("changes", changes_json.clone());
    }
    // With the pipeline model: the changed components (those the environment gets, with
    // `env`), as `components` and as the matrix.
    let components: Option<Vec<&str>> = model.map(|m| {
        m.component_filters
            .iter()
            .filter(|&&f| !hits[f].is_empty())
            .map(|&f| filters[f].name.as_str())
            .filter(|n| m.allowed.as_ref().is_none_or(|a| a.contains(*n)))
            .collect()
    });
    if let Some(list) = &components {
        let json = serde_json::to_string(list).unwrap_or_else(|_| "[]".into());
        if !names.contains(&"components") {
            report.set("components", json.clone());
        }
        if !names.contains(&"matrix") {
            report.set("matrix", format!("{{\"component\":{json}}}"));
        }
    } else if !names.contains(&"matrix") {
        report.set("matrix", format!("{{\"filter\":{changes_json}}}"));
    }

    if opts.summary {
        report.summary = Some(summary(filters, hits, changeset));
    }
    // Only GitLab (artifact) and `--output json` read the document; it repeats every list.
    if platform.kind == Kind::Gitlab
        || (platform.kind == Kind::Local && platform.format == OutputFormat::Json)
    {
        let mut doc = document(filters, hits, changeset, &report);
        if let (Some(list), Some(obj)) = (&components, doc.as_object_mut()) {
            obj.insert("components".into(), json!(list));
        }
        report.json = Some(doc);
    }
    if let Some(template) = &opts.child_template {
        let child = child_pipeline(template, &changed, &names)?;
        report
            .files
            .push((opts.child_output.clone(), child.into_bytes()));
    }
    Ok(report)
}

fn log_filter(platform: &mut Platform, name: &str, idx: &[usize], files: &[Change]) {
    let title = format!("Filter {name} = {}", !idx.is_empty());
    platform.group(&title);
    if idx.is_empty() {
        platform.info("Matching files: none");
    } else {
        platform.info("Matching files:");
        let mut line = String::new();
        for &i in idx.iter().take(LOG_FILES) {
            line.clear();
            line.push_str(&files[i].path);
            line.push_str(" [");
            line.push_str(files[i].status.label());
            line.push(']');
            platform.info(&line);
        }
        if idx.len() > LOG_FILES {
            platform.info(&format!("... and {} more", idx.len() - LOG_FILES));
        }
    }
    platform.end_group(&title);
}

/// A filter name usable as a file name.
pub(super) fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The distinct folders of the files, cut to `depth` segments; `.` for the root.
pub fn changed_dirs<'a>(paths: impl Iterator<Item = &'a str>, depth: Option<usize>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut dirs = Vec::new();
    for path in paths {
        let dir = match path.rfind('/') {
            Some(i) => &path[..i],
            None => ".",
        };
        let dir = match depth {
            Some(d) if dir != "." => {
                let end = dir
                    .match_indices('/')
                    .nth(d - 1)
                    .map(|(i, _)| i)
                    .unwrap_or(dir.len());
                &dir[..end]
            }
            _ => dir,
        };
        if seen.insert(dir) {
            dirs.push(dir.to_string());
        }
    }
    dirs
}

fn renamed_json(idx: &[usize], files: &[Change]) -> String {
    let list: Vec<Value> = idx
        .iter()
        .filter_map(|&i| {
            let f = &files[i];
            f.from
                .as_ref()
                .map(|from| json!({"from": from, "to": f.path}))
        })
        .collect();
    Value::Array(list).to_string()
}

/// Markdown table: one row per filter, with a few of its files.
fn summary(filters: &[Filter], hits: &[Vec<usize>], changeset: &Changeset) -> String {
    let files = &changeset.files;
    let changed = hits.iter().filter(|h| !h.is_empty()).count();
    let mut md = format!(
        "### shipgate detect-changes\n\n{} of {} filters changed — {} changed files ({})\n\n| Filter | Changed | Files | Examples |\n|---|---|---:|---|\n",
        changed,
        filters.len(),
        files.len(),
        md_escape(&changeset.comparison)
    );
    for (filter, idx) in filters.iter().zip(hits) {
        let examples: Vec<String> = idx
            .iter()
            .take(SUMMARY_FILES)
            .map(|&i| format!("`{}`", md_escape(&files[i].path).replace('`', "'")))
            .collect();
        let more = if idx.len() > SUMMARY_FILES {
            format!(" … +{}", idx.len() - SUMMARY_FILES)
        } else {
            String::new()
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {}{} |",
            md_escape(&filter.name),
            if idx.is_empty() { "—" } else { "✅" },
            idx.len(),
            examples.join(" "),
            more
        );
    }
    md
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The whole result as JSON (the GitLab artifact, `--output json`, `plan --changes`).
fn document(
    filters: &[Filter],
    hits: &[Vec<usize>],
    changeset: &Changeset,
    report: &Report,
) -> Value {
    let files = &changeset.files;
    let file_list: Vec<Value> = files
        .iter()
        .map(|f| json!({"path": f.path, "status": f.status.label(), "from": f.from}))
        .collect();
    let filter_list: Vec<Value> = filters
        .iter()
        .zip(hits)
        .map(|(f, idx)| {
            json!({
                "name": f.name,
                "changed": !idx.is_empty(),
                "count": idx.len(),
                "files": idx.iter().map(|&i| files[i].path.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let changes: Vec<&str> = filters
        .iter()
        .zip(hits)
        .filter(|(_, h)| !h.is_empty())
        .map(|(f, _)| f.name.as_str())
        .collect();
    let outputs: Map<String, Value> = report
        .outputs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "comparison": changeset.comparison,
        "changes": changes,
        "filters": filter_list,
        "files": file_list,
        "outputs": outputs,
    })
}

/// GitLab keys at the top of a CI file that are not jobs.
const GITLAB_GLOBAL_KEYS: &[&str] = &[
    "stages",
    "variables",
    "default",
    "include",
    "workflow",
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
    "spec",
];

/// Builds a child pipeline from a template: jobs whose `shipgate: {changes: [...]}` names a
/// changed filter (that key removed), jobs without it, and the rest of the file; `needs` on
/// dropped jobs are removed; a no-op job when no job is left. Written as JSON, which is YAML.
pub fn child_pipeline(
    template: &Path,
    changed: &[&str],
    known: &[&str],
) -> Result<String, Failure> {
    let shown = template.display().to_string();
    let text = super::yaml::read(template, &shown, "child-pipeline-template")?;
    let doc: Value =
        serde_saphyr::from_str_with_options(&text, super::yaml::options()).map_err(|e| {
            let (line, col, message) = super::yaml::error(&e);
            Failure::input_at(
                "child-pipeline-template",
                crate::error::Location {
                    file: shown.clone(),
                    line,
                    col,
                },
                message,
            )
        })?;
    let Value::Object(entries) = doc else {
        return Err(Failure::input(
            "child-pipeline-template",
            format!("{}: the root must be a mapping of jobs", quote(&shown)),
        ));
    };
    let mut out = Map::new();
    let mut dropped = Vec::new();
    let mut jobs = 0;
    for (name, mut value) in entries {
        let is_job = !name.starts_with('.')
            && !GITLAB_GLOBAL_KEYS.contains(&name.as_str())
            && value.is_object();
        if let Some(obj) = value.as_object_mut().filter(|_| is_job) {
            if let Some(selector) = obj.remove("shipgate") {
                let wanted = selector_filters(&selector).ok_or_else(|| {
                    Failure::input(
                        "child-pipeline-template",
                        format!(
                            "{}: job {}: expected `shipgate: {{changes: [filter, ...]}}`",
                            quote(&shown),
                            quote(&name)
                        ),
                    )
                })?;
                if let Some(unknown) = wanted.iter().find(|w| !known.contains(&w.as_str())) {
                    let message = format!(
                        "job {} names the unknown filter {} (known: {})",
                        quote(&name),
                        quote(unknown),
                        known_list(known)
                    );
                    return Err(match selector_position(&text, &name) {
                        Some((line, col)) => Failure::input_at(
                            "child-pipeline-template",
                            crate::error::Location {
                                file: shown.clone(),
                                line,
                                col,
                            },
                            message,
                        ),
                        None => Failure::input(
                            "child-pipeline-template",
                            format!("{}: {message}", quote(&shown)),
                        ),
                    });
                }
                if !wanted.iter().any(|w| changed.contains(&w.as_str())) {
                    dropped.push(name);
                    continue;
                }
            }
            jobs += 1;
        }
        out.insert(name, value);
    }
    for value in out.values_mut() {
        if let Some(Value::Array(needs)) = value.get_mut("needs") {
            needs.retain(|n| {
                let job = n.as_str().or_else(|| n.get("job").and_then(Value::as_str));
                !job.is_some_and(|j| dropped.iter().any(|d| d == j))
            });
        }
    }
    if jobs == 0 {
        let stage = out
            .get("stages")
            .and_then(Value::as_array)
            .and_then(|s| {
                s.iter()
                    .filter_map(Value::as_str)
                    .find(|s| !s.starts_with('.'))
            })
            .unwrap_or("test")
            .to_string();
        out.insert(
            "shipgate-nothing-changed".into(),
            json!({"stage": stage, "script": ["echo 'shipgate: no filter changed, nothing to run'"]}),
        );
    }
    serde_json::to_string_pretty(&Value::Object(out))
        .map(|s| s + "\n")
        .map_err(|e| Failure::Operational(e.into()))
}

/// The 1-based (line, column) of `job`'s `shipgate:` value in the template text (a second,
/// position-keeping parse, done only for an error message).
fn selector_position(text: &str, job: &str) -> Option<(u64, u64)> {
    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
    use serde_saphyr::Spanned;

    /// A job's `shipgate:` position, if it is a mapping with that key.
    struct JobSelector(Option<(u64, u64)>);
    impl<'de> serde::Deserialize<'de> for JobSelector {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = JobSelector;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a job")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JobSelector, A::Error> {
                    let mut found = None;
                    while let Some(key) = map.next_key::<String>()? {
                        if key == "shipgate" {
                            let v = map.next_value::<Spanned<IgnoredAny>>()?;
                            found = Some((v.referenced.line(), v.referenced.column()));
                        } else {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    Ok(JobSelector(found))
                }
                fn visit_seq<A: de::SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> Result<JobSelector, A::Error> {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(JobSelector(None))
                }
                fn visit_str<E: de::Error>(self, _: &str) -> Result<JobSelector, E> {
                    Ok(JobSelector(None))
                }
                fn visit_bool<E: de::Error>(self, _: bool) -> Result<JobSelector, E> {
                    Ok(JobSelector(None))
                }
                fn visit_i64<E: de::Error>(self, _: i64) -> Result<JobSelector, E> {
                    Ok(JobSelector(None))
                }
                fn visit_u64<E: de::Error>(self, _: u64) -> Result<JobSelector, E> {
                    Ok(JobSelector(None))
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<JobSelector, E> {
                    Ok(JobSelector(None))
                }
                fn visit_unit<E: de::Error>(self) -> Result<JobSelector, E> {
                    Ok(JobSelector(None))
                }
            }
            d.deserialize_any(V)
        }
    }
    let jobs: std::collections::HashMap<String, JobSelector> =
        serde_saphyr::from_str_with_options(text, super::yaml::options()).ok()?;
    jobs.get(job).and_then(|j| j.0)
}

/// The known filter names for a message: the first few, quoted, and how many more.
fn known_list(known: &[&str]) -> String {
    const SHOWN: usize = 20;
    let mut list: Vec<String> = known.iter().take(SHOWN).map(|n| quote(n)).collect();
    if known.len() > SHOWN {
        list.push(format!("and {} more", known.len() - SHOWN));
    }
    if list.is_empty() {
        return "none".into();
    }
    list.join(", ")
}

fn selector_filters(selector: &Value) -> Option<Vec<String>> {
    match selector.get("changes")? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_with_depth() {
        let paths = ["a/b/c.txt", "a/b/d.txt", "a/x/y/z.txt", "root.md"];
        assert_eq!(
            changed_dirs(paths.iter().copied(), None),
            vec!["a/b", "a/x/y", "."]
        );
        assert_eq!(changed_dirs(paths.iter().copied(), Some(1)), vec!["a", "."]);
        assert_eq!(
            changed_dirs(paths.iter().copied(), Some(2)),
            vec!["a/b", "a/x", "."]
        );
    }

    #[test]
    fn child_pipeline_keeps_changed_jobs_and_prunes_needs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jobs.yml");
        std::fs::write(
            &path,
            "stages: [build, deploy]\n.hidden: {script: [x]}\nbuild-web:\n  stage: build\n  shipgate: {changes: [web]}\n  script: [make web]\nbuild-api:\n  stage: build\n  shipgate: {changes: [api]}\n  script: [make api]\ndeploy:\n  stage: deploy\n  needs: [build-web, build-api]\n  script: [deploy]\n",
        )
        .unwrap();
        let out: Value =
            serde_json::from_str(&child_pipeline(&path, &["web"], &["web", "api"]).unwrap())
                .unwrap();
        assert!(out.get("build-web").is_some());
        assert!(out.get("build-api").is_none());
        assert!(out["build-web"].get("shipgate").is_none());
        assert_eq!(out["deploy"]["needs"], json!(["build-web"]));
        let none: Value =
            serde_json::from_str(&child_pipeline(&path, &[], &["web", "api"]).unwrap()).unwrap();
        assert!(
            none.get("deploy").is_some(),
            "jobs without a selector always run"
        );
    }

    #[test]
    fn child_pipeline_noop_when_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jobs.yml");
        std::fs::write(
            &path,
            "stages: [build]\nweb:\n  stage: build\n  shipgate: {changes: web}\n  script: [x]\n",
        )
        .unwrap();
        let out: Value =
            serde_json::from_str(&child_pipeline(&path, &[], &["web"]).unwrap()).unwrap();
        assert_eq!(out["shipgate-nothing-changed"]["stage"], "build");
    }
}
