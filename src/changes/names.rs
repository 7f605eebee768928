//! The output names detect-changes derives from user text (filter names, and the
//! component, group and tier names of the pipeline model): each must be a name the runner
//! accepts, and no two may become the same output, dotenv variable or `output-dir` file.
//! A clash is exit 2 naming both, before anything is written.

use std::collections::HashMap;

use super::filters::Filter;
use super::format::ListFormat;
use super::Options;
use crate::error::quote;
use crate::platform::Kind;

/// The longest file name (in bytes) common file systems allow.
const MAX_FILE_NAME: usize = 255;

/// A name problem, at the filter it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    /// Index of the filter to point at.
    pub filter: usize,
    pub message: String,
}

/// Why `name` cannot be a step output (`GITHUB_OUTPUT` is `name<<DELIMITER` lines), if it
/// cannot.
pub fn output_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("an output name cannot be empty")
    } else if name.chars().any(char::is_control) {
        Some("an output name cannot contain a control character such as a newline")
    } else if name.contains('=') {
        Some("an output name cannot contain '=' (GITHUB_OUTPUT reads name=value)")
    } else if name.contains("<<") || name.ends_with('<') {
        Some("an output name cannot contain '<<' or end in '<' (GITHUB_OUTPUT reads name<<DELIMITER)")
    } else {
        None
    }
}

/// Where an output comes from, for messages.
#[derive(Debug, Clone, Copy)]
enum Origin {
    /// The filter's own output (`<filter>`).
    Filter(usize),
    /// A derived output of a filter (`<filter>_count`, ...).
    Derived(usize),
    /// `changes`, `matrix`, `components`.
    Global,
}

/// Checks every output name a run will write; `model` is true with the pipeline model.
pub fn check(
    filters: &[Filter],
    opts: &Options,
    kind: Kind,
    dotenv_prefix: &str,
    model: Option<&[String]>,
) -> Result<(), NameError> {
    let describe = |origin: Origin, output: &str| describe(filters, model, origin, output);
    for (i, f) in filters.iter().enumerate() {
        if let Some(rule) = output_name_problem(&f.name) {
            return Err(NameError {
                filter: i,
                message: format!("{}: {rule}", describe(Origin::Filter(i), &f.name)),
            });
        }
    }
    let has = |n: &str| filters.iter().any(|f| f.name == n);
    let mut outputs: Vec<(String, Origin)> = Vec::new();
    for (i, f) in filters.iter().enumerate() {
        outputs.push((f.name.clone(), Origin::Filter(i)));
        let mut derived = vec!["_count"];
        if opts.list_files != ListFormat::None {
            derived.push("_files");
        }
        if opts.output_dir.is_some() {
            derived.push("_files_path");
        }
        if opts.list_dirs {
            derived.push("_dirs");
        }
        if opts.source.renames {
            derived.push("_renamed");
        }
        for suffix in derived {
            outputs.push((format!("{}{suffix}", f.name), Origin::Derived(i)));
        }
    }
    let mut globals = vec!["changes", "matrix"];
    if model.is_some() {
        globals.push("components");
    }
    for g in globals {
        if !has(g) {
            outputs.push((g.to_string(), Origin::Global));
        }
    }
    // The runner's expressions read outputs case-insensitively; dotenv variables are
    // environment variables (case-sensitive) of letters, digits and '_'.
    let what = if kind == Kind::Gitlab {
        "the dotenv variable"
    } else {
        "the output"
    };
    let key = |n: &str| match kind {
        Kind::Gitlab => crate::platform::gitlab::dotenv_key(dotenv_prefix, n),
        Kind::Github => n.to_lowercase(),
        Kind::Local => n.to_string(),
    };
    let mut seen: HashMap<String, (String, Origin)> = HashMap::with_capacity(outputs.len());
    for (name, origin) in outputs {
        let k = key(&name);
        if let Some((first_name, first)) = seen.get(&k) {
            let shown = if kind == Kind::Gitlab {
                k.clone()
            } else {
                name.clone()
            };
            let at = match (origin, *first) {
                (Origin::Filter(i) | Origin::Derived(i), _) => i,
                (Origin::Global, Origin::Filter(i) | Origin::Derived(i)) => i,
                (Origin::Global, Origin::Global) => 0,
            };
            return Err(NameError {
                filter: at,
                message: format!(
                    "{} and {} both become {what} {}; rename one",
                    describe(*first, first_name),
                    describe(origin, &name),
                    quote(&shown)
                ),
            });
        }
        seen.insert(k, (name, origin));
    }
    if let Some(dir) = &opts.output_dir {
        // Case-insensitive: macOS and Windows runners' file systems are.
        let mut files: HashMap<String, usize> = HashMap::with_capacity(filters.len());
        for (i, f) in filters.iter().enumerate() {
            let file = format!(
                "{}.{}",
                super::report::file_safe(&f.name),
                opts.list_files.extension()
            );
            if file.len() > MAX_FILE_NAME {
                return Err(NameError {
                    filter: i,
                    message: format!(
                        "filter {}: its output-dir file name would be {} bytes, over the {MAX_FILE_NAME} file systems allow",
                        quote(&f.name),
                        file.len()
                    ),
                });
            }
            if let Some(&first) = files.get(&file.to_lowercase()) {
                return Err(NameError {
                    filter: i,
                    message: format!(
                        "filters {} and {} both write the output-dir file {}; rename one",
                        quote(&filters[first].name),
                        quote(&f.name),
                        quote(&dir.join(&file).display().to_string())
                    ),
                });
            }
            files.insert(file.to_lowercase(), i);
        }
    }
    Ok(())
}

/// `filter 'x'`, or with the model `component 'x'` / `group 'y' (filter 'group-y')`.
fn describe(filters: &[Filter], model: Option<&[String]>, origin: Origin, output: &str) -> String {
    let filter = |i: usize| {
        let name = quote(&filters[i].name);
        match model.and_then(|labels| labels.get(i)) {
            Some(label) if label.ends_with(&name) => label.clone(),
            Some(label) => format!("{label} (filter {name})"),
            None => format!("filter {name}"),
        }
    };
    match origin {
        Origin::Filter(i) => filter(i),
        Origin::Derived(i) => format!("output {} of {}", quote(output), filter(i)),
        Origin::Global => format!("the {} output", quote(output)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_runner_rejects() {
        for bad in ["", "a=b", "a\nb", "a<<b", "a<", "tab\there"] {
            assert!(output_name_problem(bad).is_some(), "{bad:?}");
        }
        for good in [
            "a", "a<b", "<a", "web-app", "group-x", "my app", "café", "a:b",
        ] {
            assert_eq!(output_name_problem(good), None, "{good:?}");
        }
    }
}
