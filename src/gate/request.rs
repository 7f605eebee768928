//! The gate's request: its flags, `INPUT_*` variables, an inline policy or a named policy
//! in `.shipgate.yml`, resolved into a [`Spec`]. The one file of the gate that names
//! `cli::*`. Every problem here is bad input (exit 2) and is found before anything is
//! written to an API.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::policy::Veto;
use super::spec::{
    parse_count, parse_poll, parse_veto, After, MinTotal, Mode, RawPolicy, Spec,
    MAX_DISPATCH_INPUTS, MAX_ISSUE_BODY, MAX_TITLE,
};
use super::time::{parse_duration, Freeze, Window};
use super::words::{split_list, Words, DEFAULT_APPROVE, DEFAULT_DENY};
use crate::cli::gate::Args;
use crate::config::schema::Exclusion;
use crate::config::schema::{
    AfterDef, ApprovalsDef, ApproverGroupDef, FreezeDef, NamedMap, RuleDef, VetoDef, VetoWord,
};
use crate::error::{quote, Failure};
use crate::platform::{inputs, Platform};

/// A policy written inline in the `policy` input: the `gates:` entry format of
/// `.shipgate.yml`, plus its approver groups and two keys of the gate's own.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct InlinePolicy {
    #[serde(default)]
    approvers: NamedMap<ApproverGroupDef>,
    #[serde(default)]
    approvals: ApprovalsDef,
    #[serde(default)]
    exclude: Vec<Exclusion>,
    #[serde(default)]
    windows: Vec<String>,
    #[serde(default)]
    freezes: Vec<FreezeDef>,
    after: Option<AfterDef>,
    timeout: Option<String>,
    veto: Option<serde_json::Value>,
    wait: Option<String>,
    description: Option<String>,
}

fn bool_input(
    p: &Platform,
    name: &str,
    flag: &Option<String>,
    default: bool,
) -> Result<bool, Failure> {
    Ok(inputs::boolean(name, p.input(name, flag.as_deref()))?.unwrap_or(default))
}

fn duration_input(
    p: &Platform,
    name: &str,
    flag: &Option<String>,
) -> Result<Option<Duration>, Failure> {
    inputs::duration(name, p.input(name, flag.as_deref()).as_deref())
}

fn parse_exclusions(text: &str) -> Result<Vec<Exclusion>, String> {
    split_list(text)
        .iter()
        .map(|e| match e.as_str() {
            "initiator" => Ok(Exclusion::Initiator),
            "rerun-actor" => Ok(Exclusion::RerunActor),
            "commit-authors" => Ok(Exclusion::CommitAuthors),
            "pr-author" => Ok(Exclusion::PrAuthor),
            // The same shape as every verb's bad list item (notify: "unknown target").
            other => Err(format!(
                "unknown exclusion {} (expected one of: initiator, rerun-actor, commit-authors, pr-author)",
                quote(other)
            )),
        })
        .collect()
}

fn rules(list: &[RuleDef]) -> Vec<(String, u32)> {
    list.iter().map(|r| (r.group.0.clone(), r.min)).collect()
}

fn groups_of(defs: &[(String, ApproverGroupDef)]) -> Vec<(String, Vec<String>)> {
    defs.iter()
        .map(|(name, g)| {
            let entries = g
                .users
                .iter()
                .cloned()
                .chain(g.teams.iter().map(|t| {
                    if t.contains('/') {
                        t.clone()
                    } else {
                        format!("@team:{t}")
                    }
                }))
                .collect();
            (name.clone(), entries)
        })
        .collect()
}

/// Where the policy came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// A gate under `gates:` in `.shipgate.yml`.
    Named,
    /// YAML in the `policy` input.
    Inline,
    /// The drop-in `approvers` and `minimum-approvals` inputs.
    Approvers,
}

/// What the policy sources add on top of the drop-in inputs.
#[derive(Default)]
struct Extras {
    windows: Vec<String>,
    freezes: Vec<FreezeDef>,
    after: Option<AfterDef>,
    timeout: Option<String>,
    wait: Option<String>,
}

/// The gate's request from its flags and inputs, resolved in the working directory.
pub fn read(args: &Args, p: &Platform) -> Result<Spec, Failure> {
    resolve(args, p, &super::working_dir()?)
}

/// Resolves the run from flags and `INPUT_*`, reading `.shipgate.yml` from `cwd` when a
/// named policy is used.
pub fn resolve(args: &Args, p: &Platform, cwd: &Path) -> Result<Spec, Failure> {
    let input = |name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    let mode = mode(p, args)?;
    let environment = input("environment", &args.environment);
    let (mut policy, extras, source) = policy_source(args, p, cwd, environment.as_deref())?;
    let inline = source == Source::Inline;
    let named_policy = (source == Source::Named).then(|| policy.name.clone());
    policy_inputs(p, args, &mut policy)?;
    let (extra_approve, extra_deny, reasons) = comment_words(p, args)?;
    let (mut windows, mut freezes) = windows_and_freezes(p, args, &extras)?;
    let Timers {
        timeout,
        mut wait,
        mut after,
    } = timers(p, args, &extras)?;

    let (skipped, skip_reason) = skip_rules(
        input("skip-rules", &args.skip_rules),
        input("skip-reason", &args.skip_reason),
    )?;
    for rule in &skipped {
        match rule.as_str() {
            "after" => after = None,
            "windows" => windows.clear(),
            "freezes" => freezes.clear(),
            _ => wait = None,
        }
    }
    let poll = match input("polling-interval-seconds", &args.polling_interval_seconds) {
        None => Duration::from_secs(10),
        Some(v) => parse_poll(&v).map_err(|e| Failure::input("polling-interval-seconds", e))?,
    };
    let (issue_body, issue_title) = issue_text(p, args, cwd)?;
    let target_repo = target_repo(p, args)?;
    let dispatch_inputs = dispatch_inputs(p, args)?;
    let issue_number = issue_number(p, args)?;

    Ok(Spec {
        mode,
        skipped,
        skip_reason,
        named_policy,
        inline_policy: inline,
        secret: input("secret", &args.secret),
        policy,
        words: Words::new(&extra_approve, &extra_deny, reasons),
        approve_words: Words::describe(&extra_approve, &DEFAULT_APPROVE),
        deny_words: Words::describe(&extra_deny, &DEFAULT_DENY),
        issue_title,
        issue_body,
        labels: input("issue-labels", &args.issue_labels)
            .map(|v| split_list(&v))
            .unwrap_or_default(),
        target_repo,
        fail_on_denial: bool_input(p, "fail-on-denial", &args.fail_on_denial, true)?,
        close_means_denial: bool_input(
            p,
            "close-issue-means-denial",
            &args.close_issue_means_denial,
            false,
        )?,
        poll,
        timeout,
        windows,
        freezes,
        wait,
        after,
        environment,
        dispatch_workflow: input("dispatch-workflow", &args.dispatch_workflow),
        dispatch_inputs,
        issue_number,
        approvals_dir: input("approvals-dir", &args.approvals_dir),
        request_in_merge_request: request_in(p, args)?,
        app: app(p, args)?,
        dry_run: args.dry_run || bool_input(p, "dry-run", &None, false)?,
    })
}

/// `mode`: blocking (the default), request, evaluate, verify, gitlab-jobs, gitlab-approve.
fn mode(p: &Platform, args: &Args) -> Result<Mode, Failure> {
    let input = |name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    Ok(
        match input("mode", &args.mode)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("blocking") => Mode::Blocking,
            Some("request") => Mode::Request,
            Some("evaluate") => Mode::Evaluate,
            Some("verify") => Mode::Verify,
            Some("gitlab-jobs") => Mode::GitlabJobs,
            Some("gitlab-approve") => Mode::GitlabApprove,
            Some(other) => {
                return Err(Failure::input(
                    "mode",
                    format!(
                "{} is not one of blocking, request, evaluate, verify, gitlab-approve, gitlab-jobs",
                quote(other)
            ),
                ))
            }
        },
    )
}

/// `exclude`, `exclude-workflow-initiator-as-approver` and `veto`, applied to the policy,
/// and the policy's groups checked.
fn policy_inputs(p: &Platform, args: &Args, policy: &mut RawPolicy) -> Result<(), Failure> {
    let input = |name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    if let Some(text) = input("exclude", &args.exclude) {
        let more = parse_exclusions(&text).map_err(|e| Failure::input("exclude", e))?;
        for e in more {
            if !policy.exclude.contains(&e) {
                policy.exclude.push(e);
            }
        }
    }
    if bool_input(
        p,
        "exclude-workflow-initiator-as-approver",
        &args.exclude_workflow_initiator_as_approver,
        false,
    )? && !policy.exclude.contains(&Exclusion::Initiator)
    {
        policy.exclude.push(Exclusion::Initiator);
    }
    if let Some(v) = input("veto", &args.veto) {
        policy.veto = parse_veto(&v).map_err(|e| Failure::input("veto", e))?;
    }
    if let Veto::Groups(names) = &policy.veto {
        for n in names {
            if !policy.groups.iter().any(|(g, _)| g == n) {
                return Err(Failure::input(
                    "veto",
                    format!("{} is not an approver group of the policy", quote(n)),
                ));
            }
        }
    }
    check_groups(policy)
}

/// `additional-approved-words`, `additional-denied-words` and `allow-comment-reasons`.
fn comment_words(p: &Platform, args: &Args) -> Result<(Vec<String>, Vec<String>, bool), Failure> {
    let input = |name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    let extra_approve = input("additional-approved-words", &args.additional_approved_words)
        .map(|v| split_list(&v))
        .unwrap_or_default();
    let extra_deny = input("additional-denied-words", &args.additional_denied_words)
        .map(|v| split_list(&v))
        .unwrap_or_default();
    let reasons = bool_input(
        p,
        "allow-comment-reasons",
        &args.allow_comment_reasons,
        true,
    )?;

    Ok((extra_approve, extra_deny, reasons))
}

/// `timezone`, `windows` and `freezes`, after the policy's own windows and freezes.
fn windows_and_freezes(
    p: &Platform,
    args: &Args,
    extras: &Extras,
) -> Result<(Vec<Window>, Vec<Freeze>), Failure> {
    let input = |name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    let tz = input("timezone", &args.timezone).unwrap_or_else(|| "UTC".into());
    super::time::zone(&tz).map_err(|e| Failure::input("timezone", e))?;
    let mut windows = Vec::new();
    let window_lines = input("windows", &args.windows)
        .map(|v| {
            v.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    for w in extras.windows.iter().chain(window_lines.iter()) {
        windows.push(Window::parse(w, &tz).map_err(|e| Failure::input("windows", e))?);
    }
    let mut freezes = Vec::new();
    for f in &extras.freezes {
        freezes.push(
            Freeze::new(&f.from.0, &f.to.0, f.reason.clone(), &tz)
                .map_err(|e| Failure::input("freezes", e))?,
        );
    }
    if let Some(text) = input("freezes", &args.freezes) {
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            freezes.push(Freeze::parse_line(line, &tz).map_err(|e| Failure::input("freezes", e))?);
        }
    }

    Ok((windows, freezes))
}

/// `timeout`, `wait-timer` and `after-environment`/`after-soak`, else the policy's own.
fn timers(p: &Platform, args: &Args, extras: &Extras) -> Result<Timers, Failure> {
    let input = |name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    let parse = |name: &str, v: &Option<String>| -> Result<Option<Duration>, Failure> {
        v.as_deref()
            .map(|t| parse_duration(t).map_err(|e| Failure::input(name, e)))
            .transpose()
    };
    let timeout = match duration_input(p, "timeout", &args.timeout)? {
        Some(t) => Some(t),
        None => parse("policy", &extras.timeout)?,
    };
    let wait = match duration_input(p, "wait-timer", &args.wait_timer)? {
        Some(t) => Some(t),
        None => parse("policy", &extras.wait)?,
    };
    let after = match input("after-environment", &args.after_environment) {
        Some(env) => Some(After {
            environment: env,
            soak: duration_input(p, "after-soak", &args.after_soak)?.unwrap_or_default(),
        }),
        None => match &extras.after {
            Some(a) => Some(After {
                environment: a.environment.0.clone(),
                soak: parse("policy", &a.soak.as_ref().map(|s| s.0.clone()))?.unwrap_or_default(),
            }),
            None => None,
        },
    };

    Ok(Timers {
        timeout,
        wait,
        after,
    })
}

/// The gate's timers, from the inputs or the policy.
struct Timers {
    timeout: Option<Duration>,
    wait: Option<Duration>,
    after: Option<After>,
}

/// `issue-body` (or `issue-body-file-path`) and `issue-title`, bounded.
fn issue_text(p: &Platform, args: &Args, cwd: &Path) -> Result<(String, Option<String>), Failure> {
    let input = |name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    let issue_body = match input("issue-body-file-path", &args.issue_body_file_path) {
        // Any readable path (a pipe too); bad UTF-8 is located at its line and column.
        Some(path) => crate::config::read_text(
            &cwd.join(&path),
            "issue-body-file-path",
            // Read far enough that an over-long body gets the characters message below.
            1024 * 1024,
        )?,
        None => input("issue-body", &args.issue_body).unwrap_or_default(),
    };
    let body_chars = issue_body.chars().count();
    if body_chars > MAX_ISSUE_BODY {
        let name = if input("issue-body-file-path", &args.issue_body_file_path).is_some() {
            "issue-body-file-path"
        } else {
            "issue-body"
        };
        return Err(Failure::input(
            name,
            format!("{body_chars} characters is more than the maximum {MAX_ISSUE_BODY} (GitHub refuses issue bodies over 65,536)"),
        ));
    }
    let issue_title = input("issue-title", &args.issue_title);
    if let Some(title) = issue_title.as_deref() {
        if title.chars().count() > MAX_TITLE || title.contains(['\n', '\r']) {
            return Err(Failure::input(
                "issue-title",
                format!(
                    "{} is not one line of at most {MAX_TITLE} characters",
                    quote(title)
                ),
            ));
        }
    }
    Ok((issue_body, issue_title))
}

/// `target-repository-owner` with `target-repository`: both or neither.
fn target_repo(p: &Platform, args: &Args) -> Result<Option<String>, Failure> {
    let input = |name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    Ok(
        match (
            input("target-repository-owner", &args.target_repository_owner),
            input("target-repository", &args.target_repository),
        ) {
            (Some(o), Some(r)) => Some(format!("{o}/{r}")),
            (None, None) => None,
            _ => {
                return Err(Failure::input(
                    "target-repository",
                    "set both target-repository-owner and target-repository, or neither",
                ))
            }
        },
    )
}

/// `dispatch-inputs`: a bounded JSON object.
fn dispatch_inputs(
    p: &Platform,
    args: &Args,
) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    let input = |name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    Ok(match input("dispatch-inputs", &args.dispatch_inputs) {
        None => serde_json::Map::new(),
        // The inputs travel in the request's body, which GitHub caps.
        Some(text) if text.chars().count() > MAX_DISPATCH_INPUTS => {
            return Err(Failure::input(
                "dispatch-inputs",
                format!(
                    "{} characters is more than the maximum {MAX_DISPATCH_INPUTS}",
                    text.chars().count()
                ),
            ))
        }
        Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            // workflow_dispatch inputs are flat: GitHub refuses a nested value (422) only
            // when the approval has already happened, so it is refused here, up front.
            Ok(serde_json::Value::Object(m)) => {
                if let Some((key, _)) = m.iter().find(|(_, v)| {
                    !matches!(
                        v,
                        serde_json::Value::String(_)
                            | serde_json::Value::Number(_)
                            | serde_json::Value::Bool(_)
                    )
                }) {
                    return Err(Failure::input(
                        "dispatch-inputs",
                        format!(
                            "the value of {} is not a string, number or boolean (workflow inputs are flat)",
                            quote(key)
                        ),
                    ));
                }
                m
            }
            _ => {
                return Err(Failure::input(
                    "dispatch-inputs",
                    "expected a JSON object of workflow inputs",
                ))
            }
        },
    })
}

/// `issue-number` (`#` allowed).
fn issue_number(p: &Platform, args: &Args) -> Result<Option<u64>, Failure> {
    let input = |name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    input("issue-number", &args.issue_number)
        .map(|v| {
            v.trim_start_matches('#').parse::<u64>().map_err(|_| {
                Failure::input(
                    "issue-number",
                    format!("{} is not an issue number", quote(&v)),
                )
            })
        })
        .transpose()
}

/// `request-in`: issue (the default) or merge-request.
fn request_in(p: &Platform, args: &Args) -> Result<bool, Failure> {
    let input = |name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    Ok(
        match input("request-in", &args.request_in)
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("issue") => false,
            Some("merge-request") | Some("mr") => true,
            Some(other) => {
                return Err(Failure::input(
                    "request-in",
                    format!("{} is not one of issue, merge-request", quote(other)),
                ))
            }
        },
    )
}

/// `app-id` with `app-private-key` (and `app-installation-id`): both or neither.
fn app(p: &Platform, args: &Args) -> Result<Option<(String, String, Option<String>)>, Failure> {
    let input = |name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    Ok(
        match (
            input("app-id", &args.app_id),
            input("app-private-key", &args.app_private_key),
        ) {
            (Some(id), Some(key)) => Some((
                id,
                key,
                input("app-installation-id", &args.app_installation_id),
            )),
            (None, None) => None,
            (Some(_), None) => {
                return Err(Failure::input(
                    "app-private-key",
                    "app-id is set but app-private-key is not: a GitHub App needs both",
                ))
            }
            (None, Some(_)) => {
                return Err(Failure::input(
                    "app-id",
                    "app-private-key is set but app-id is not: a GitHub App needs both",
                ))
            }
        },
    )
}

/// The policy from (in order) the `policy` input, the environment's gate in the config,
/// or the drop-in `approvers` + `minimum-approvals` inputs.
fn policy_source(
    args: &Args,
    p: &Platform,
    cwd: &Path,
    environment: Option<&str>,
) -> Result<(RawPolicy, Extras, Source), Failure> {
    let policy_text = p.input("policy", args.policy.as_deref());
    let approvers = p.input("approvers", args.approvers.as_deref());
    let minimum = p
        .input("minimum-approvals", args.minimum_approvals.as_deref())
        .map(|v| parse_count(&v).map_err(|e| Failure::input("minimum-approvals", e)))
        .transpose()?;
    let drop_in_group = match approvers.as_deref() {
        Some(a) => Some(("approvers".to_string(), inputs::list("approvers", Some(a))?)),
        None => None,
    };

    // A `config` given but not needed by the policy is still checked, as every verb does:
    // a path that does not exist is a mistake, not "no model".
    if p.input("config", args.config.as_deref()).is_some() {
        p.find_config(args.config.as_deref(), cwd)?;
    }
    let named = match &policy_text {
        Some(text) if text.contains('\n') || text.contains(':') => {
            let (policy, extras) = inline_policy(text, drop_in_group, minimum)?;
            return Ok((policy, extras, Source::Inline));
        }
        Some(name) => Some(name.clone()),
        None => None,
    };
    if named.is_some() || (environment.is_some() && approvers.is_none()) {
        let path = p.find_config(args.config.as_deref(), cwd)?;
        let Some(path) = path else {
            return match named {
                Some(n) => Err(Failure::input(
                    "policy",
                    format!(
                        "policy {} needs .shipgate.yml, and none was found",
                        quote(&n)
                    ),
                )),
                None => Err(Failure::input("approvers", "give approvers, or a policy")),
            };
        };
        let config = crate::config::load(&path)?;
        let name =
            match named {
                Some(n) => n,
                None => match environment
                    .and_then(|e| config.environment(e))
                    .and_then(|e| e.gate.clone())
                {
                    Some(g) => g,
                    None => return Err(Failure::input(
                        "approvers",
                        "give approvers, or a policy (the environment has no gate in the config)",
                    )),
                },
            };
        let Some(gate) = config.gate(&name) else {
            let known: Vec<&str> = config.gates().iter().map(|(n, _)| n.as_str()).collect();
            return Err(Failure::input(
                "policy",
                format!(
                    "no gate policy '{name}' in {} (known: {})",
                    config.file,
                    known.join(", ")
                ),
            ));
        };
        let veto = match &gate.veto {
            None | Some(VetoDef::Word(VetoWord::Any)) => Veto::Any,
            Some(VetoDef::Word(VetoWord::Never)) => Veto::Never,
            Some(VetoDef::Quorum(n)) => parse_veto(&n.to_string())
                .map_err(|e| gate_error(&name, &config.file, "veto", &e))?,
            Some(VetoDef::Groups(g)) => Veto::Groups(g.iter().map(|n| n.0.clone()).collect()),
        };
        let min = gate.approvals.min_total.or(minimum);
        let groups = policy_groups(config.approvers(), &gate.approvals, min, &veto);
        let mut groups = groups_of(&groups);
        if let Some(g) = drop_in_group {
            groups.push(g);
        }
        let policy = RawPolicy {
            name: name.clone(),
            groups,
            all_of: rules(&gate.approvals.all_of),
            any_of: rules(&gate.approvals.any_of),
            min_total: min_total(min, &gate.approvals),
            veto,
            exclude: gate.exclude.clone(),
        };
        let durations = [
            ("timeout", &gate.timeout),
            ("wait", &gate.wait),
            (
                "after.soak",
                &gate.after.as_ref().and_then(|a| a.soak.clone()),
            ),
        ];
        for (key, value) in durations {
            if let Some(v) = value {
                parse_duration(&v.0).map_err(|e| gate_error(&name, &config.file, key, &e))?;
            }
        }
        let extras = Extras {
            windows: gate.windows.iter().map(|w| w.0.clone()).collect(),
            freezes: gate.freezes.clone(),
            after: gate.after.clone(),
            timeout: gate.timeout.as_ref().map(|t| t.0.clone()),
            wait: gate.wait.as_ref().map(|t| t.0.clone()),
        };
        return Ok((policy, extras, Source::Named));
    }
    let Some(group) = drop_in_group else {
        return Err(Failure::input(
            "approvers",
            "give approvers (users or teams), or a policy",
        ));
    };
    if group.1.is_empty() {
        return Err(Failure::input("approvers", "the list is empty"));
    }
    Ok((
        RawPolicy {
            name: "approvers".into(),
            groups: vec![group],
            all_of: Vec::new(),
            any_of: Vec::new(),
            min_total: match minimum {
                None | Some(0) => MinTotal::All,
                Some(n) => MinTotal::AtLeast(n),
            },
            veto: Veto::Any,
            exclude: Vec::new(),
        },
        Extras::default(),
        Source::Approvers,
    ))
}

/// The rules `skip-rules` may switch off.
const SKIPPABLE: [&str; 4] = ["after", "windows", "freezes", "wait"];

/// Parses `skip-rules` and `skip-reason`: known rule names (`wait-timer` is `wait`), and a
/// reason, required, on one line.
fn skip_rules(
    rules: Option<String>,
    reason: Option<String>,
) -> Result<(Vec<String>, Option<String>), Failure> {
    let Some(rules) = rules else {
        if reason.is_some() {
            return Err(Failure::input(
                "skip-reason",
                "set only with skip-rules (the rules it explains)",
            ));
        }
        return Ok((Vec::new(), None));
    };
    let mut skipped: Vec<String> = Vec::new();
    for name in split_list(&rules) {
        let name = match name.to_ascii_lowercase().as_str() {
            "wait-timer" => "wait".to_string(),
            other => other.to_string(),
        };
        if !SKIPPABLE.contains(&name.as_str()) {
            return Err(Failure::input(
                "skip-rules",
                format!(
                    "{} is not a rule that can be skipped (one of: {}; approvals cannot be skipped)",
                    quote(&name),
                    SKIPPABLE.join(", ")
                ),
            ));
        }
        if !skipped.contains(&name) {
            skipped.push(name);
        }
    }
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    match reason {
        None if !skipped.is_empty() => Err(Failure::input(
            "skip-reason",
            "skip-rules switches rules off, and needs a reason (e.g. skip-reason: \"hotfix INC-123\")",
        )),
        Some(r) if r.contains(['\n', '\r']) => Err(Failure::input(
            "skip-reason",
            "the reason must be one line",
        )),
        reason => Ok((skipped, reason)),
    }
}

/// A bad value in a named gate of the config, named by its key.
fn gate_error(gate: &str, file: &str, key: &str, why: &str) -> Failure {
    Failure::input(
        "policy",
        format!("gate {} in {file}: {key}: {why}", quote(gate)),
    )
}

/// The approver groups of a named gate: the groups its rules and veto name. With only a
/// `min_total` above 0, any approver group of the file; with no approvals at all, none
/// (the gate asks nobody, and nobody is pinged).
fn policy_groups(
    all: &[(String, ApproverGroupDef)],
    approvals: &ApprovalsDef,
    min_total: Option<u32>,
    veto: &Veto,
) -> Vec<(String, ApproverGroupDef)> {
    if approvals.all_of.is_empty() && approvals.any_of.is_empty() {
        return match min_total {
            Some(n) if n > 0 => all.to_vec(),
            _ => Vec::new(),
        };
    }
    let vetoers: &[String] = match veto {
        Veto::Groups(g) => g,
        _ => &[],
    };
    all.iter()
        .filter(|(name, _)| {
            approvals
                .all_of
                .iter()
                .chain(approvals.any_of.iter())
                .any(|r| &r.group.0 == name)
                || vetoers.contains(name)
        })
        .cloned()
        .collect()
}

/// With group rules, `min_total` defaults to 0 (the rules decide); without any, to one
/// approval when the policy names approvers, and to none when it names nobody.
fn min_total(min: Option<u32>, approvals: &ApprovalsDef) -> MinTotal {
    match min {
        Some(n) => MinTotal::AtLeast(n),
        None if approvals.all_of.is_empty() && approvals.any_of.is_empty() => MinTotal::Default,
        None => MinTotal::AtLeast(0),
    }
}

fn inline_policy(
    text: &str,
    drop_in_group: Option<(String, Vec<String>)>,
    minimum: Option<u32>,
) -> Result<(RawPolicy, Extras), Failure> {
    // The model loader's reader: its alias and size limits, and one-line messages with the
    // line and column inside the policy text.
    let def: InlinePolicy = crate::config::from_input(text, "policy")?;
    let mut groups = groups_of(&def.approvers.0);
    if let Some(g) = drop_in_group {
        groups.push(g);
    }
    let veto = match &def.veto {
        None => Veto::Any,
        Some(serde_json::Value::String(s)) => {
            parse_veto(s).map_err(|e| Failure::input("policy", e))?
        }
        Some(serde_json::Value::Number(n)) => {
            parse_veto(&n.to_string()).map_err(|e| Failure::input("policy", e))?
        }
        // Every entry must be a group name: one that is not is an error, never dropped.
        Some(serde_json::Value::Array(a)) => Veto::Groups(
            a.iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        Failure::input(
                            "policy",
                            format!("veto: {v} is not the name of an approver group"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => {
            return Err(Failure::input(
                "policy",
                "veto: expected any, never, a number or a list of groups",
            ))
        }
    };
    let _ = &def.description;
    Ok((
        RawPolicy {
            name: "inline".into(),
            groups,
            all_of: rules(&def.approvals.all_of),
            any_of: rules(&def.approvals.any_of),
            min_total: min_total(def.approvals.min_total.or(minimum), &def.approvals),
            veto,
            exclude: def.exclude.clone(),
        },
        Extras {
            windows: def.windows,
            freezes: def.freezes,
            after: def.after,
            timeout: def.timeout,
            wait: def.wait,
        },
    ))
}

fn check_groups(policy: &RawPolicy) -> Result<(), Failure> {
    for (name, _) in policy.all_of.iter().chain(policy.any_of.iter()) {
        if !policy.groups.iter().any(|(g, _)| g == name) {
            let known: Vec<&str> = policy.groups.iter().map(|(g, _)| g.as_str()).collect();
            return Err(Failure::input(
                "policy",
                format!(
                    "rule names unknown approver group {} (groups: {})",
                    quote(name),
                    known.join(", ")
                ),
            ));
        }
    }
    let asks_people = !policy.all_of.is_empty()
        || !policy.any_of.is_empty()
        || matches!(policy.min_total, MinTotal::All | MinTotal::AtLeast(1..));
    if asks_people && policy.groups.iter().all(|(_, members)| members.is_empty()) {
        return Err(Failure::input("approvers", "the policy names no approvers"));
    }
    Ok(())
}
