//! `shipgate detect-changes` flags. Every flag is also read from `INPUT_<NAME>` (the GitHub
//! runner's form, hyphens kept) when not given; a flag wins over the variable.

use clap::Args as ClapArgs;

pub const AFTER_HELP: &str = "Every option is also read from INPUT_<NAME> (e.g. INPUT_LIST-FILES, or INPUT_LIST_FILES on GitLab); a flag wins.

Outputs (GITHUB_OUTPUT on GitHub, dotenv + JSON artifact on GitLab, stdout locally):
  <filter>            'true' if any changed file matched the filter, else 'false'
  <filter>_count      number of matching files
  <filter>_files      matching files in the list-files format (unless list-files is none)
  changes             JSON array of the filters with a match
  matrix              JSON {\"filter\": [...]} of the filters with a match, for strategy.matrix

Exit codes:
  0  done   1  git or API failure   2  bad input (nothing written)";

#[derive(Debug, Clone, Default, ClapArgs)]
pub struct Args {
    /// Filters: inline YAML, or the path of a YAML file (a value with no newline and no ':'); without it, the pipeline model; with `config` or `env`, added to the model's.
    #[arg(long)]
    pub filters: Option<String>,
    /// The pipeline model (.shipgate.yml) to derive filters from when `filters` is not given:
    /// one filter per component, `group-<name>` per group and `tier-<name>` per tier.
    #[arg(long)]
    pub config: Option<String>,
    /// With the pipeline model: `components` and `matrix` list only changed components this environment gets.
    #[arg(long)]
    pub env: Option<String>,
    /// What to compare against: a branch, tag, SHA, or HEAD for uncommitted changes.
    #[arg(long)]
    pub base: Option<String>,
    /// The ref to compare (default: the current checkout / GITHUB_REF).
    #[arg(long = "ref")]
    pub git_ref: Option<String>,
    /// Compare with the merge-base of this ref and the current commit (like GitLab's rules:changes:compare_to).
    #[arg(long)]
    pub compare_to: Option<String>,
    /// Format of <filter>_files: none, csv, json, shell, escape.
    #[arg(long)]
    pub list_files: Option<String>,
    /// How a filter's rules combine per file: some (default) or every.
    #[arg(long)]
    pub predicate_quantifier: Option<String>,
    /// Glob syntax of the rules: picomatch (default, as paths-filter), github (on.push.paths), gitlab (rules:changes).
    #[arg(long)]
    pub glob_dialect: Option<String>,
    /// Run in this directory (filter file paths are relative to it).
    #[arg(long)]
    pub working_directory: Option<String>,
    /// Depth of the first fetch when history is missing (default 100).
    #[arg(long)]
    pub initial_fetch_depth: Option<String>,
    /// GitHub token; used for the pull-request file list only when history cannot be had, or with use-api.
    #[arg(long)]
    pub token: Option<String>,
    /// true: on pull requests, ask the REST API for the file list instead of git (paths-filter's default).
    #[arg(long)]
    pub use_api: Option<String>,
    /// true: detect renames; renamed files get status 'renamed' and <filter>_renamed lists {from,to}.
    #[arg(long)]
    pub renames: Option<String>,
    /// true: also output <filter>_dirs, the changed directories.
    #[arg(long)]
    pub list_dirs: Option<String>,
    /// Cut changed directories to this many path segments (with list-dirs).
    #[arg(long)]
    pub dir_names_max_depth: Option<String>,
    /// Write each filter's file list to <dir>/<filter>.<ext> and output <filter>_files_path.
    #[arg(long)]
    pub output_dir: Option<String>,
    /// true (default on CI): write a job-summary table.
    #[arg(long)]
    pub summary: Option<String>,
    /// GitLab: path of the dotenv report (default shipgate.env).
    #[arg(long)]
    pub dotenv: Option<String>,
    /// GitLab: prefix of dotenv variable names (default SHIPGATE_).
    #[arg(long)]
    pub dotenv_prefix: Option<String>,
    /// GitLab: path of the JSON artifact with every output (default shipgate-changes.json).
    #[arg(long)]
    pub json_artifact: Option<String>,
    /// GitLab: a CI YAML of jobs to pick from for a child pipeline (jobs name their filters under `shipgate: {changes: [...]}`).
    #[arg(long)]
    pub child_pipeline_template: Option<String>,
    /// GitLab: where to write the generated child pipeline (default shipgate-child.yml).
    #[arg(long)]
    pub child_pipeline: Option<String>,
}
