//! Approval policy evaluation: a pure function of the policy, the comments on a request
//! and the time the request was made.
//!
//! Comments are read oldest first, as manual-approval does: the request is approved at the
//! comment that first satisfies the policy, and denied at the first denial that meets the
//! veto rule before that. Unlike manual-approval, comments older than the request, edited
//! comments, bots and excluded people (separation of duties) never count, and one person
//! counts once. Group rules need *distinct* people: someone in two groups fills one slot.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use jiff::Timestamp;

use super::words::{Verdict, Words};

/// One comment (or note) on the request, as the platform reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: u64,
    pub author: String,
    pub body: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub url: String,
    /// True for bot accounts (GitHub `type: Bot`, GitLab `bot: true`).
    pub bot: bool,
}

/// A named set of people who may approve (logins, compared case-insensitively).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub members: BTreeSet<String>,
}

impl Group {
    /// A group from logins (lower-cased here once).
    pub fn new(name: &str, members: impl IntoIterator<Item = String>) -> Self {
        Group {
            name: name.to_string(),
            members: members.into_iter().map(|m| m.to_lowercase()).collect(),
        }
    }
}

/// At least `min` distinct approvals from members of `group`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub group: String,
    pub min: u32,
}

/// How denials end a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Veto {
    /// One denial from an eligible person who has not approved (manual-approval's rule).
    Any,
    /// Denials are recorded but never end the request.
    Never,
    /// This many distinct eligible people must deny.
    Quorum(u32),
    /// One denial from a member of one of these groups.
    Groups(Vec<String>),
}

/// Who must approve, and whose word does not count.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub groups: Vec<Group>,
    pub all_of: Vec<Rule>,
    pub any_of: Vec<Rule>,
    pub min_total: u32,
    pub veto: Veto,
    /// Lower-cased login → why it does not count (e.g. "started the workflow").
    pub excluded: BTreeMap<String, String>,
}

impl Policy {
    /// The groups `login` belongs to.
    fn groups_of(&self, login: &str) -> Vec<usize> {
        self.groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.members.contains(login))
            .map(|(i, _)| i)
            .collect()
    }

    fn group_index(&self, name: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.name == name)
    }

    /// False when the policy is met without anyone approving (no rules, `min_total` 0):
    /// a soak-only or timer-only gate, which opens no request.
    pub fn needs_approval(&self) -> bool {
        satisfied(self, &[]).is_none()
    }

    /// Every eligible login (members of any group, minus exclusions), sorted.
    pub fn eligible(&self) -> BTreeSet<String> {
        self.groups
            .iter()
            .flat_map(|g| g.members.iter().cloned())
            .filter(|m| !self.excluded.contains_key(m) && !is_bot_login(m))
            .collect()
    }
}

/// True for logins GitHub gives to apps (`name[bot]`).
pub fn is_bot_login(login: &str) -> bool {
    login.ends_with("[bot]")
}

/// A decision someone made, for the `approvers` output and the audit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Decision {
    pub login: String,
    #[serde(serialize_with = "ser_ts")]
    pub time: Timestamp,
    pub comment_url: String,
    pub reason: String,
}

fn ser_ts<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_string())
}

/// Where the approvals stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Approved,
    Denied,
    Pending,
}

/// The result of [`evaluate`], with everything the job summary explains.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub standing: Standing,
    /// Counted approvals, in comment order (one per person).
    pub approvals: Vec<Decision>,
    /// Counted denials, in comment order (one per person).
    pub denials: Vec<Decision>,
    /// Decisions that did not count: (login, comment URL, why).
    pub ignored: Vec<(String, String, String)>,
    /// One line per rule: (rule, held, detail).
    pub rules: Vec<(String, bool, String)>,
}

impl Evaluation {
    /// Markdown lines explaining the approvals part of the decision. `ended`: the gate
    /// stopped waiting (denied, blocked, timed out), so what does not hold has failed (❌)
    /// rather than being waited for (⏳).
    pub fn explain(&self, ended: bool) -> String {
        let mut md = String::new();
        for (rule, held, detail) in &self.rules {
            let mark = match (*held, ended || self.standing == Standing::Denied) {
                (true, _) => "✅",
                (false, true) => "❌",
                (false, false) => "⏳",
            };
            let _ = writeln!(md, "| {mark} | {rule} | {detail} |");
        }
        md
    }
}

/// Evaluates the comments on a request made at `requested` against `policy`.
/// Costs O(comments × groups) plus a small bipartite matching per counted approval.
pub fn evaluate(
    policy: &Policy,
    words: &Words,
    comments: &[Comment],
    requested: Timestamp,
) -> Evaluation {
    let mut ordered: Vec<&Comment> = comments.iter().collect();
    ordered.sort_by_key(|c| (c.created_at, c.id));
    let mut eval = Evaluation {
        standing: Standing::Pending,
        approvals: Vec::new(),
        denials: Vec::new(),
        ignored: Vec::new(),
        rules: Vec::new(),
    };
    if !policy.needs_approval() {
        // Nobody needs to approve: only the time rules decide.
        eval.standing = Standing::Approved;
        eval.rules = explain_rules(policy, &eval);
        return eval;
    }
    for comment in ordered {
        let Some((verdict, reason)) = words.classify(&comment.body) else {
            continue;
        };
        let login = comment.author.to_lowercase();
        let mut ignore = |why: &str| {
            eval.ignored
                .push((comment.author.clone(), comment.url.clone(), why.to_string()));
        };
        if comment.created_at < requested {
            ignore("posted before this request");
            continue;
        }
        if comment.updated_at > comment.created_at {
            ignore("edited after posting (anyone with write access can edit a comment)");
            continue;
        }
        if comment.bot || is_bot_login(&login) {
            ignore("bots never count");
            continue;
        }
        if let Some(why) = policy.excluded.get(&login) {
            ignore(&format!("excluded: {why}"));
            continue;
        }
        if policy.groups_of(&login).is_empty() {
            ignore("not an approver");
            continue;
        }
        let decided = |list: &[Decision]| list.iter().any(|d| d.login.eq_ignore_ascii_case(&login));
        if decided(&eval.approvals) {
            ignore("already approved (each person counts once)");
            continue;
        }
        if decided(&eval.denials) {
            ignore("already denied (each person counts once)");
            continue;
        }
        let decision = Decision {
            login: comment.author.clone(),
            time: comment.created_at,
            comment_url: comment.url.clone(),
            reason,
        };
        match verdict {
            Verdict::Approve => {
                eval.approvals.push(decision);
                if satisfied(policy, &eval.approvals).is_some() {
                    eval.standing = Standing::Approved;
                    break;
                }
            }
            Verdict::Deny => {
                eval.denials.push(decision);
                if vetoed(policy, &eval.denials) {
                    eval.standing = Standing::Denied;
                    break;
                }
            }
        }
    }
    eval.rules = explain_rules(policy, &eval);
    eval
}

fn vetoed(policy: &Policy, denials: &[Decision]) -> bool {
    match &policy.veto {
        Veto::Any => !denials.is_empty(),
        Veto::Never => false,
        Veto::Quorum(n) => denials.len() >= *n as usize,
        Veto::Groups(names) => denials.iter().any(|d| {
            let login = d.login.to_lowercase();
            policy
                .groups_of(&login)
                .iter()
                .any(|&g| names.contains(&policy.groups[g].name))
        }),
    }
}

/// When the approvals satisfy the policy: which approver fills which rule (rule label →
/// logins). `None` when they do not.
pub fn satisfied(policy: &Policy, approvals: &[Decision]) -> Option<Vec<(String, Vec<String>)>> {
    if (approvals.len() as u64) < u64::from(policy.min_total) {
        return None;
    }
    if policy.any_of.is_empty() {
        return assign(policy, approvals, &policy.all_of);
    }
    policy.any_of.iter().find_map(|extra| {
        let mut rules = policy.all_of.clone();
        rules.push(extra.clone());
        assign(policy, approvals, &rules)
    })
}

/// Fills every rule's slots with distinct approvers (bipartite matching, Kuhn's algorithm).
fn assign(
    policy: &Policy,
    approvals: &[Decision],
    rules: &[Rule],
) -> Option<Vec<(String, Vec<String>)>> {
    let people: Vec<(String, Vec<usize>)> = approvals
        .iter()
        .map(|d| {
            let login = d.login.to_lowercase();
            let groups = policy.groups_of(&login);
            (d.login.clone(), groups)
        })
        .collect();
    let mut slots: Vec<usize> = Vec::new(); // slot → rule index
    for (i, rule) in rules.iter().enumerate() {
        slots.extend(std::iter::repeat_n(i, rule.min as usize));
    }
    let slot_group: Vec<Option<usize>> = slots
        .iter()
        .map(|&r| policy.group_index(&rules[r].group))
        .collect();
    let mut owner: Vec<Option<usize>> = vec![None; people.len()]; // person → slot
    for slot in 0..slots.len() {
        let mut seen = vec![false; people.len()];
        if !augment(slot, &slot_group, &people, &mut owner, &mut seen) {
            return None;
        }
    }
    let mut out: Vec<(String, Vec<String>)> = rules
        .iter()
        .map(|r| (r.group.clone(), Vec::new()))
        .collect();
    for (person, slot) in owner.iter().enumerate() {
        if let Some(slot) = slot {
            out[slots[*slot]].1.push(people[person].0.clone());
        }
    }
    Some(out)
}

fn augment(
    slot: usize,
    slot_group: &[Option<usize>],
    people: &[(String, Vec<usize>)],
    owner: &mut [Option<usize>],
    seen: &mut [bool],
) -> bool {
    let Some(group) = slot_group[slot] else {
        return false;
    };
    for person in 0..people.len() {
        if seen[person] || !people[person].1.contains(&group) {
            continue;
        }
        seen[person] = true;
        let free = match owner[person] {
            None => true,
            Some(other) => augment(other, slot_group, people, owner, seen),
        };
        if free {
            owner[person] = Some(slot);
            return true;
        }
    }
    false
}

fn logins(list: &[Decision]) -> String {
    if list.is_empty() {
        return "none yet".into();
    }
    list.iter()
        .map(|d| format!("@{}", d.login))
        .collect::<Vec<_>>()
        .join(", ")
}

fn explain_rules(policy: &Policy, eval: &Evaluation) -> Vec<(String, bool, String)> {
    if !policy.needs_approval() {
        return vec![(
            "approvals".into(),
            true,
            "none needed: the policy asks nobody, only its time rules decide".into(),
        )];
    }
    let mut rows = Vec::new();
    let approved_by = |group: &str| -> Vec<Decision> {
        let Some(g) = policy.group_index(group) else {
            return Vec::new();
        };
        eval.approvals
            .iter()
            .filter(|d| policy.groups[g].members.contains(&d.login.to_lowercase()))
            .cloned()
            .collect()
    };
    let assignment = satisfied(policy, &eval.approvals);
    let rule_row = |rule: &Rule, kind: &str| {
        let from = approved_by(&rule.group);
        let held = from.len() >= rule.min as usize;
        (
            format!("{kind}: {} of `{}`", rule.min, rule.group),
            held,
            format!("{} approved: {}", from.len(), logins(&from)),
        )
    };
    for rule in &policy.all_of {
        rows.push(rule_row(rule, "all of"));
    }
    for rule in &policy.any_of {
        rows.push(rule_row(rule, "any of"));
    }
    if policy.min_total > 0 {
        let n = eval.approvals.len();
        rows.push((
            format!("at least {} distinct approver(s)", policy.min_total),
            n >= policy.min_total as usize,
            format!("{n} approved: {}", logins(&eval.approvals)),
        ));
    }
    let groups_held = rows.iter().all(|r| r.1);
    if groups_held && assignment.is_none() && !eval.approvals.is_empty() {
        rows.push((
            "approvers distinct across groups".into(),
            false,
            "one person cannot fill a place in two groups".into(),
        ));
    } else if let Some(assignment) = &assignment {
        if policy.all_of.len() + policy.any_of.len() > 1 {
            let text = assignment
                .iter()
                .filter(|(_, people)| !people.is_empty())
                .map(|(g, people)| format!("`{g}`: {}", people.join(", ")))
                .collect::<Vec<_>>()
                .join("; ");
            rows.push(("approvers distinct across groups".into(), true, text));
        }
    }
    let veto_text = match &policy.veto {
        Veto::Any => "any eligible denial ends the request".to_string(),
        Veto::Never => "denials are recorded only".to_string(),
        Veto::Quorum(n) => format!("{n} denials end the request"),
        Veto::Groups(g) => format!("a denial from {} ends the request", g.join(", ")),
    };
    rows.push((
        format!("no veto ({veto_text})"),
        eval.standing != Standing::Denied,
        format!("denied by: {}", logins(&eval.denials)),
    ));
    rows
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn ts(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    pub fn comment(id: u64, author: &str, body: &str, at: &str) -> Comment {
        Comment {
            id,
            author: author.into(),
            body: body.into(),
            created_at: ts(at),
            updated_at: ts(at),
            url: format!("https://example.test/c/{id}"),
            bot: false,
        }
    }

    fn simple(members: &[&str], min: u32) -> Policy {
        Policy {
            groups: vec![Group::new(
                "approvers",
                members.iter().map(|s| s.to_string()),
            )],
            all_of: vec![],
            any_of: vec![],
            min_total: min,
            veto: Veto::Any,
            excluded: BTreeMap::new(),
        }
    }

    fn lead_and_product() -> Policy {
        Policy {
            groups: vec![
                Group::new("tech-leads", ["alice".into(), "carol".into()]),
                Group::new("product", ["carol".into(), "dave".into()]),
            ],
            all_of: vec![
                Rule {
                    group: "tech-leads".into(),
                    min: 1,
                },
                Rule {
                    group: "product".into(),
                    min: 1,
                },
            ],
            any_of: vec![],
            min_total: 0,
            veto: Veto::Any,
            excluded: BTreeMap::new(),
        }
    }

    const T0: &str = "2026-03-02T10:00:00Z";
    const T1: &str = "2026-03-02T10:05:00Z";
    const T2: &str = "2026-03-02T10:06:00Z";
    const T3: &str = "2026-03-02T10:07:00Z";

    fn words() -> Words {
        Words::new(&[], &[], true)
    }

    #[test]
    fn approved_at_the_nth_distinct_approval() {
        let p = simple(&["Alice", "bob"], 2);
        let c = [
            comment(1, "alice", "approve", T1),
            comment(2, "ALICE", "lgtm", T2),
            comment(3, "bob", "yes\nfine by me", T3),
        ];
        let e = evaluate(&p, &words(), &c, ts(T0));
        assert_eq!(e.standing, Standing::Approved);
        assert_eq!(e.approvals.len(), 2);
        assert_eq!(e.approvals[1].reason, "fine by me");
        assert_eq!(e.ignored[0].2, "already approved (each person counts once)");
    }

    #[test]
    fn one_person_approving_twice_is_not_two_approvals() {
        let p = simple(&["alice", "bob"], 2);
        let c = [
            comment(1, "alice", "approve", T1),
            comment(2, "alice", "approve", T2),
        ];
        assert_eq!(
            evaluate(&p, &words(), &c, ts(T0)).standing,
            Standing::Pending
        );
    }

    #[test]
    fn old_edited_bot_and_excluded_comments_do_not_count() {
        let mut p = simple(&["alice", "bob", "carol", "deploy[bot]"], 1);
        p.excluded
            .insert("carol".into(), "started the workflow".into());
        let mut edited = comment(2, "bob", "approve", T1);
        edited.updated_at = ts(T2);
        let c = [
            comment(1, "alice", "approve", "2026-03-02T09:59:59Z"),
            edited,
            comment(3, "carol", "approve", T2),
            comment(4, "deploy[bot]", "approve", T2),
            comment(5, "mallory", "approve", T3),
        ];
        let e = evaluate(&p, &words(), &c, ts(T0));
        assert_eq!(e.standing, Standing::Pending);
        let why: Vec<&str> = e.ignored.iter().map(|i| i.2.as_str()).collect();
        assert_eq!(
            why,
            vec![
                "posted before this request",
                "edited after posting (anyone with write access can edit a comment)",
                "excluded: started the workflow",
                "bots never count",
                "not an approver",
            ]
        );
    }

    #[test]
    fn a_denial_vetoes_unless_its_author_already_approved() {
        let p = simple(&["alice", "bob", "carol"], 2);
        let c = [
            comment(1, "alice", "approve", T1),
            comment(2, "alice", "deny", T2),
            comment(3, "bob", "no", T3),
        ];
        let e = evaluate(&p, &words(), &c, ts(T0));
        assert_eq!(e.standing, Standing::Denied);
        assert_eq!(e.denials[0].login, "bob");
    }

    #[test]
    fn veto_modes() {
        let mut p = simple(&["alice", "bob", "carol"], 3);
        let c = [
            comment(1, "alice", "deny", T1),
            comment(2, "bob", "approve", T2),
        ];
        p.veto = Veto::Never;
        assert_eq!(
            evaluate(&p, &words(), &c, ts(T0)).standing,
            Standing::Pending
        );
        p.veto = Veto::Quorum(2);
        assert_eq!(
            evaluate(&p, &words(), &c, ts(T0)).standing,
            Standing::Pending
        );
        let c2 = [
            comment(1, "alice", "deny", T1),
            comment(2, "bob", "deny", T2),
        ];
        assert_eq!(
            evaluate(&p, &words(), &c2, ts(T0)).standing,
            Standing::Denied
        );
    }

    #[test]
    fn tech_lead_and_product_need_distinct_people() {
        let p = lead_and_product();
        // carol is in both groups but fills only one place.
        let c = [comment(1, "carol", "approve", T1)];
        let e = evaluate(&p, &words(), &c, ts(T0));
        assert_eq!(e.standing, Standing::Pending);
        assert!(e
            .rules
            .iter()
            .any(|r| r.0 == "approvers distinct across groups" && !r.1));
        // alice (lead) + carol (then product) satisfy it, whatever the order.
        let c = [
            comment(1, "carol", "approve", T1),
            comment(2, "alice", "lgtm", T2),
        ];
        let e = evaluate(&p, &words(), &c, ts(T0));
        assert_eq!(e.standing, Standing::Approved);
        let row = e
            .rules
            .iter()
            .find(|r| r.0 == "approvers distinct across groups");
        assert_eq!(
            row.map(|r| r.2.as_str()),
            Some("`tech-leads`: alice; `product`: carol")
        );
    }

    #[test]
    fn any_of_needs_one_rule_on_top_of_all_of() {
        let mut p = lead_and_product();
        p.groups.push(Group::new("sre", ["erin".into()]));
        p.any_of = p.all_of.split_off(1);
        p.any_of.push(Rule {
            group: "sre".into(),
            min: 1,
        });
        let c = [comment(1, "alice", "approve", T1)];
        assert_eq!(
            evaluate(&p, &words(), &c, ts(T0)).standing,
            Standing::Pending
        );
        let c = [
            comment(1, "alice", "approve", T1),
            comment(2, "erin", "approve", T2),
        ];
        assert_eq!(
            evaluate(&p, &words(), &c, ts(T0)).standing,
            Standing::Approved
        );
    }

    #[test]
    fn veto_by_group_only() {
        let mut p = lead_and_product();
        p.veto = Veto::Groups(vec!["tech-leads".into()]);
        let c = [comment(1, "dave", "deny", T1)];
        assert_eq!(
            evaluate(&p, &words(), &c, ts(T0)).standing,
            Standing::Pending
        );
        let c = [comment(1, "alice", "deny", T1)];
        assert_eq!(
            evaluate(&p, &words(), &c, ts(T0)).standing,
            Standing::Denied
        );
    }
}
