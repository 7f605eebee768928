//! The `.shipgate.yml` file format, version 1, as Rust types.
//!
//! These types are the single source of truth for the format: the JSON Schema that
//! `shipgate config schema` prints is generated from them (doc comments become the
//! descriptions editors show), the structural check in `check.rs` walks that same schema,
//! and serde turns a checked file into these values. Names and meanings are documented in
//! the README ("Model your pipeline").

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// Names of tiers, environments, groups, components, gates and approver groups.
pub const NAME_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._-]*$";
/// Names of variables (Terraform variables, dotenv keys, step outputs).
pub const VARIABLE_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
/// A 12-digit AWS account id.
pub const ACCOUNT_PATTERN: &str = "^[0-9]{12}$";
/// An environment's account: a 12-digit id, or a name under `accounts` (names start with a
/// letter, so a value of digits is always an id).
pub const ACCOUNT_REF_PATTERN: &str = "^([0-9]{12}|[A-Za-z][A-Za-z0-9._-]*)$";
/// A duration such as `30m`, `2h`, `1h30m`, `7d`.
pub const DURATION_PATTERN: &str = "^([0-9]+[smhd])+$";
/// A calendar date, `YYYY-MM-DD`.
pub const DATE_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
/// A deployment window: days, a time range and an optional IANA time zone,
/// e.g. `Mon-Thu 09:00-16:00 Europe/London`.
pub const WINDOW_PATTERN: &str = "^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))?(,(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))?)* ([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]( [A-Za-z_]+(/[A-Za-z0-9_+-]+)*)?$";

/// What a pattern means, for error messages ("is not <this>").
pub fn pattern_meaning(pattern: &str) -> &'static str {
    match pattern {
        NAME_PATTERN => {
            "a valid name (letters, digits, '.', '_' and '-', starting with a letter or digit)"
        }
        VARIABLE_PATTERN => {
            "a valid variable name (letters, digits and '_', not starting with a digit)"
        }
        ACCOUNT_PATTERN => "a 12-digit AWS account id (quote it, e.g. \"012345678901\")",
        ACCOUNT_REF_PATTERN => {
            "a 12-digit AWS account id (quoted, e.g. \"012345678901\") or the name of one under `accounts` (starting with a letter, e.g. tm-nonprod)"
        }
        DURATION_PATTERN => "a duration such as 30m, 2h, 1h30m or 7d",
        DATE_PATTERN => "a date written YYYY-MM-DD",
        WINDOW_PATTERN => "a window such as \"Mon-Thu 09:00-16:00 Europe/London\"",
        _ => "in the expected format",
    }
}

/// The whole `.shipgate.yml` file.
///
/// Top-level keys starting with `x-` are ignored: a place to define YAML anchors for
/// merge keys (`<<: *defaults`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "shipgate pipeline model (.shipgate.yml)",
    extend("patternProperties" = { "^x-": true })
)]
pub struct FileDef {
    /// The version of this file format. Always `1`.
    pub version: Version,
    /// The tiers, from least to most trusted (e.g. `[experimental, stable]`). Every component
    /// is in one tier; each environment receives some tiers.
    #[schemars(length(min = 1))]
    pub tiers: Vec<Name>,
    /// The environments, in promotion order (the first is deployed first).
    #[schemars(length(min = 1))]
    pub environments: Vec<EnvironmentDef>,
    /// Groups of components (departments, domains), keyed by name. An environment can switch
    /// a whole group off in `overrides`.
    #[serde(default)]
    pub groups: NamedMap<GroupDef>,
    /// The things that get deployed (jobs, services, functions), keyed by name.
    #[serde(default)]
    pub components: NamedMap<ComponentDef>,
    /// AWS accounts by name, e.g. `tm-nonprod: "111111111111"`: an environment's `account`
    /// may then be the name. Each id is written once, here.
    #[serde(default)]
    pub accounts: NamedMap<AccountId>,
    /// Per-environment changes, keyed by environment name: switch groups or components off
    /// (or a component on), pin a component's version.
    #[serde(default)]
    pub overrides: NamedMap<OverrideDef>,
    /// Named groups of people who can approve, for gate policies.
    #[serde(default)]
    pub approvers: NamedMap<ApproverGroupDef>,
    /// Named gate policies (approvals, windows, freezes, soak), referred to by environments.
    #[serde(default)]
    pub gates: NamedMap<GateDef>,
    /// Names of the variables `shipgate plan --format tfvars-json` writes.
    #[serde(default)]
    pub tfvars: TfvarsDef,
    /// Named notification targets and who is who on each chat service (`shipgate notify`).
    #[serde(default)]
    pub notify: NotifyDef,
}

/// One environment on the promotion path.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentDef {
    /// The environment's name (e.g. `staging`, `prod1`).
    pub name: Name,
    /// The tiers this environment receives. Default: every tier.
    pub tiers: Option<Vec<Name>>,
    /// The AWS account this environment deploys to: 12 digits (quoted), or a name under
    /// `accounts`. Plans always carry the id.
    pub account: Option<AccountRef>,
    /// The environment's URL (shown in plans, deployments and messages).
    pub url: Option<String>,
    /// The gate policy (a name under `gates`) that guards deployments to this environment.
    pub gate: Option<Name>,
    /// Variables for this environment, written into plans (tfvars, dotenv, step outputs).
    #[serde(default)]
    pub variables: Variables,
    /// A note for people reading the file.
    pub description: Option<String>,
}

/// A group of components (a department, a domain).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupDef {
    /// Glob patterns of the files that belong to this group. Components without paths of
    /// their own use these, with `{component}` replaced by the component's name (e.g.
    /// `scripts/jobs/parking/{component}.py`).
    #[serde(default)]
    pub paths: Vec<String>,
    /// A note for people reading the file.
    pub description: Option<String>,
}

/// A deployable thing: a job, a service, a function.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentDef {
    /// The tier this component is in (a name from `tiers`). May be left out when there is
    /// only one tier. Promoting a component means changing this.
    pub tier: Option<Name>,
    /// The group this component belongs to (a name under `groups`).
    pub group: Option<Name>,
    /// Glob patterns of the files that make up this component. When empty, the group's
    /// paths are used (with `{component}` replaced by this component's name).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Free-form data passed through to plans (e.g. a Glue job's worker type or schedule).
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// A note for people reading the file.
    pub description: Option<String>,
}

/// What one environment changes.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideDef {
    /// Groups switched on or off in this environment, keyed by group name.
    #[serde(default)]
    pub groups: NamedMap<GroupOverrideDef>,
    /// Components switched on or off, or pinned, in this environment, keyed by name.
    #[serde(default)]
    pub components: NamedMap<ComponentOverrideDef>,
}

/// A group switched on or off in one environment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupOverrideDef {
    /// `false` switches every component of the group off in this environment.
    pub enabled: bool,
    /// Why (shown in plans), e.g. `source data corrupt, INC-1234`.
    pub reason: Option<String>,
}

/// A component changed in one environment.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentOverrideDef {
    /// `false` leaves the component out of this environment; `true` includes it even when the
    /// environment does not receive its tier or its group is switched off.
    pub enabled: Option<bool>,
    /// Pin the component to this version in this environment.
    pub version: Option<String>,
    /// Why (shown in plans).
    pub reason: Option<String>,
}

/// A named group of people who can approve.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproverGroupDef {
    /// GitHub or GitLab user names.
    #[serde(default)]
    pub users: Vec<String>,
    /// Teams (`org/team` on GitHub, group paths on GitLab) whose members count.
    #[serde(default)]
    pub teams: Vec<String>,
}

/// A gate policy: what must hold before a deployment to an environment proceeds. A gate
/// with no `approvals` (or `min_total: 0` and no rules) asks nobody: it passes once its
/// time rules (windows, freezes, `after`, `wait`) hold.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateDef {
    /// A note for people reading the file.
    pub description: Option<String>,
    /// Who must approve: the approver groups its rules name (with only `min_total`, any
    /// approver group). Omit it for a gate that needs no human approval.
    #[serde(default)]
    pub approvals: ApprovalsDef,
    /// People whose approval does not count.
    #[serde(default)]
    pub exclude: Vec<Exclusion>,
    /// When deployments may happen, e.g. `Mon-Thu 09:00-16:00 Europe/London`. Empty: any time.
    #[serde(default)]
    pub windows: Vec<Window>,
    /// Periods when deployments are refused.
    #[serde(default)]
    pub freezes: Vec<FreezeDef>,
    /// Another environment that must have the same version first, for at least a soak time.
    pub after: Option<AfterDef>,
    /// How long to wait for approvals before giving up (e.g. `24h`, at most `365d`).
    pub timeout: Option<Duration>,
    /// A wait timer: the gate cannot pass until this long after the request (e.g. `30m`).
    pub wait: Option<Duration>,
    /// How denials end the request: `any` (default: one eligible denial), `never`, a number
    /// N (N distinct eligible denials), or a list of approver groups (one denial from a
    /// member of any of them).
    pub veto: Option<VetoDef>,
}

/// How denials end a request.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum VetoDef {
    /// This many distinct eligible people must deny.
    Quorum(#[schemars(range(min = 1, max = 1000))] u32),
    /// `any` or `never`.
    Word(VetoWord),
    /// A denial from a member of one of these approver groups ends the request.
    Groups(Vec<Name>),
}

/// `any` (one eligible denial ends the request) or `never` (denials are only recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum VetoWord {
    /// One denial from an eligible person who has not approved ends the request.
    Any,
    /// Denials are recorded but never end the request.
    Never,
}

/// Approval rules: every `all_of` rule must hold, at least one `any_of` rule must hold (when
/// any are given), and at least `min_total` distinct people must approve.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalsDef {
    /// Rules that must all hold.
    #[serde(default)]
    pub all_of: Vec<RuleDef>,
    /// Rules of which at least one must hold.
    #[serde(default)]
    pub any_of: Vec<RuleDef>,
    /// The least number of distinct approvers in total (at most 1000).
    #[schemars(range(max = 1000))]
    pub min_total: Option<u32>,
}

/// At least `min` approvals from members of `group`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// An approver group (a name under `approvers`).
    pub group: Name,
    /// How many of its members must approve (default 1, at most 1000).
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 1000))]
    pub min: u32,
}

fn one() -> u32 {
    1
}

/// People whose approval does not count (separation of duties).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Exclusion {
    /// Whoever started the pipeline or deployment.
    Initiator,
    /// Authors and committers of the commits being deployed.
    CommitAuthors,
    /// The author of the pull or merge request.
    PrAuthor,
    /// Whoever re-ran the job.
    RerunActor,
}

/// A period with no deployments.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FreezeDef {
    /// The first day of the freeze.
    pub from: Date,
    /// The last day of the freeze (inclusive).
    pub to: Date,
    /// Why (shown when a deployment is refused).
    pub reason: Option<String>,
}

/// Wait for another environment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AfterDef {
    /// The environment that must run the same version first.
    pub environment: Name,
    /// How long it must have run there (e.g. `30m`).
    pub soak: Option<Duration>,
}

/// Names of the variables in `plan --format tfvars-json` output.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TfvarsDef {
    /// The list of enabled component names (default `enabled_components`; the data-platform
    /// example uses `enabled_jobs`).
    pub components: Option<VariableName>,
    /// When set, a map of component name to its metadata (plus `tier`, `group` and a pinned
    /// `version`), for `for_each`. It holds every component the environment receives, also
    /// when the plan is narrowed.
    pub metadata: Option<VariableName>,
    /// The list of the components this run touches (default `selected_components`): all of
    /// them, or the subset a `--tier` or `--changes` plan narrows to. The components list
    /// always holds every component the environment receives, so a narrowed plan never
    /// makes Terraform destroy the rest.
    pub selected: Option<VariableName>,
}

/// Settings of `shipgate notify`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyDef {
    /// Targets by name, for the `targets` input (all of them are used when it is not given).
    #[serde(default)]
    pub targets: NamedMap<NotifyTargetDef>,
    /// GitHub or GitLab logins and who they are on Slack and Teams, to mention them when a
    /// deployment fails.
    #[serde(default)]
    pub identities: NamedMap<IdentityDef>,
}

/// One notification target. Secrets are never written in this file: the `*_env` keys name
/// the environment variables that hold them.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyTargetDef {
    /// What kind of target this is.
    pub kind: NotifyKind,
    /// Slack channel ID (e.g. `C0123456789`).
    pub channel: Option<String>,
    /// The variable holding the token (Slack bot token, GitHub or GitLab token).
    pub token_env: Option<VariableName>,
    /// The variable holding the URL (Slack incoming webhook, Teams Workflows webhook, webhook).
    pub url_env: Option<VariableName>,
    /// The variable holding the webhook's HMAC-SHA256 signing secret.
    pub secret_env: Option<VariableName>,
    /// A minijinja template: inline, or the path of a file (JSON for Slack, Teams and
    /// webhooks; Markdown for comments, notes and the job summary).
    pub template: Option<String>,
    /// Statuses that mention people (default `[failure]`).
    pub mention_on: Option<Vec<NotifyStatus>>,
    /// Label of a commit status (default `shipgate/<environment>`).
    pub context: Option<String>,
}

/// A kind of notification target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NotifyKind {
    /// Slack: a bot token and channel (threads, updates), or an incoming webhook.
    Slack,
    /// Microsoft Teams Workflows webhook (an Adaptive Card).
    Teams,
    /// Any URL that takes JSON, optionally signed.
    Webhook,
    /// The GitHub job summary.
    GithubSummary,
    /// A sticky pull-request comment.
    GithubComment,
    /// A GitHub commit status.
    GithubStatus,
    /// A GitHub deployment status.
    GithubDeployment,
    /// A sticky GitLab merge-request note.
    GitlabNote,
    /// A GitLab commit status.
    GitlabStatus,
}

/// A deployment status, as `notify` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NotifyStatus {
    Success,
    Failure,
    Cancelled,
    Started,
    Waiting,
    Skipped,
}

/// Who someone is on the chat services.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityDef {
    /// Slack member ID (e.g. `U012AB3CD`).
    pub slack: Option<String>,
    /// Teams user principal name (e.g. `ada@example.com`) or Microsoft Entra object ID.
    pub teams: Option<String>,
    /// The name Teams shows in the mention.
    pub name: Option<String>,
}

/// The file format version: `1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version;

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match u64::deserialize(d)? {
            1 => Ok(Version),
            other => Err(de::Error::custom(format!(
                "unsupported version {other}: this shipgate reads version 1"
            ))),
        }
    }
}

impl JsonSchema for Version {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Version".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "const": 1, "description": "The version of this file format. Always `1`." })
    }
}

/// Declares a string newtype whose schema is a pattern.
macro_rules! pattern_string {
    ($(#[$doc:meta])* $name:ident, $pattern:expr $(, $format:literal)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                #[allow(unused_mut)]
                let mut schema = json_schema!({ "type": "string", "pattern": $pattern });
                $(schema.insert("format".into(), $format.into());)?
                schema
            }
        }
    };
}

pattern_string!(
    /// A name: letters, digits, `.`, `_` and `-`.
    Name,
    NAME_PATTERN
);
pattern_string!(
    /// A variable name: letters, digits and `_`.
    VariableName,
    VARIABLE_PATTERN
);
pattern_string!(
    /// A 12-digit AWS account id.
    AccountId,
    ACCOUNT_PATTERN
);
pattern_string!(
    /// A 12-digit AWS account id or the name of one under `accounts`.
    AccountRef,
    ACCOUNT_REF_PATTERN
);
pattern_string!(
    /// A duration such as `30m`.
    Duration,
    DURATION_PATTERN
);
pattern_string!(
    /// A date, `YYYY-MM-DD`.
    Date,
    DATE_PATTERN,
    "date"
);
pattern_string!(
    /// A deployment window.
    Window,
    WINDOW_PATTERN
);

/// A mapping from names to values that keeps the file's order.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedMap<T>(pub Vec<(String, T)>);

impl<T> Default for NamedMap<T> {
    fn default() -> Self {
        NamedMap(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NamedMap<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = NamedMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of names")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(NamedMap::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((k, v)) = map.next_entry::<String, T>()? {
                    entries.push((k, v));
                }
                Ok(NamedMap(entries))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for NamedMap<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("NamedMap_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let values = generator.subschema_for::<T>();
        json_schema!({
            "type": ["object", "null"],
            "propertyNames": { "pattern": NAME_PATTERN },
            "additionalProperties": values,
        })
    }
}

/// Environment variables: names to strings, numbers or booleans, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Variables(pub Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Variables {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Option::<serde_json::Map<String, serde_json::Value>>::deserialize(d)?
            .unwrap_or_default();
        Ok(Variables(map.into_iter().collect()))
    }
}

impl JsonSchema for Variables {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Variables".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["object", "null"],
            "propertyNames": { "pattern": VARIABLE_PATTERN },
            "additionalProperties": { "type": ["string", "number", "boolean"] },
        })
    }
}

/// The JSON Schema of the file (draft-07, which editors support best).
pub fn json_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    generator.into_root_schema_for::<FileDef>().to_value()
}
