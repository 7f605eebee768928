//! The built-in layouts: a Slack Block Kit message and thread reply, a Teams Adaptive
//! Card, a generic webhook body, Markdown for comments, notes and the job summary, and the
//! one-line description of commit and deployment statuses.
//!
//! Every value that comes from a user or a commit is escaped for its target here (Slack
//! mrkdwn, Markdown) and built into JSON with serde, so quotes, backslashes, newlines and
//! emoji can never break a payload. Long fields are cut as they are built, with a link to
//! the run.

use serde_json::{json, Value};

use super::context::Context;
use super::limits::{self, cut};

/// Someone to mention, with their ids on each chat service (from the identity map).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Person {
    /// GitHub or GitLab login.
    pub login: String,
    /// Slack user id (`U012AB3CD`).
    pub slack: Option<String>,
    /// Teams user principal name or Entra object id.
    pub teams: Option<String>,
    /// Display name (Teams shows it in the mention).
    pub name: Option<String>,
}

/// Components shown by name before "and N more".
const MAX_COMPONENTS_SHOWN: usize = 200;
/// Commit message characters shown in Markdown (the rest is behind the run link).
const MARKDOWN_COMMIT_CHARS: usize = 10_000;
/// `message` input characters shown in Markdown.
const MARKDOWN_MESSAGE_CHARS: usize = 20_000;

// ----------------------------------------------------------------------------- Slack

/// Escapes text for Slack mrkdwn: `&`, `<` and `>` (so a commit message cannot mention
/// `<!channel>` or forge a link).
pub fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack link `<url|label>`: the URL cannot hold `|`, `<`, `>` or spaces, the label
/// cannot hold `|`.
fn slack_link(url: &str, label: &str) -> String {
    let url = url
        .replace('|', "%7C")
        .replace('<', "%3C")
        .replace('>', "%3E")
        .replace(' ', "%20");
    format!("<{}|{}>", url, slack_escape(label).replace('|', "¦"))
}

fn slack_code(s: &str) -> String {
    format!("`{}`", slack_escape(s).replace('`', "ˋ"))
}

/// `<@U1> <@U2>` for the people with a Slack id; plain logins for the rest.
pub fn slack_mentions(people: &[Person]) -> String {
    people
        .iter()
        .map(|p| match &p.slack {
            Some(id) => format!("<@{id}>"),
            None => slack_escape(&p.login),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The plain one-line summary: "✅ Deploy of acme/web v1.2 to prod succeeded".
pub fn headline(ctx: &Context) -> String {
    format!("{} {}", ctx.deploy.status_emoji, ctx.deploy.title)
}

/// The thread parent: a header, the facts, the commit, the message, components,
/// approvers, mentions and link buttons. Within Slack's limits by construction.
pub fn slack_message(ctx: &Context, people: &[Person]) -> Value {
    let run = ctx.ci.run_url.as_deref();
    let note = limits::slack_note(run);
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": cut(&headline(ctx), limits::SLACK_HEADER_TEXT, "…"), "emoji": true},
    })];
    let mut fields = Vec::new();
    let mut field = |label: &str, value: String| {
        fields.push(json!({
            "type": "mrkdwn",
            "text": cut(&format!("*{label}*\n{value}"), limits::SLACK_FIELD_TEXT, &note),
        }));
    };
    field(
        "Status",
        format!("{} {}", ctx.deploy.status_emoji, ctx.deploy.status),
    );
    if let Some(env) = &ctx.deploy.environment {
        field(
            "Environment",
            match &ctx.deploy.environment_url {
                Some(u) => slack_link(u, env),
                None => slack_escape(env),
            },
        );
    }
    if let Some(v) = &ctx.deploy.version {
        field("Version", slack_code(v));
    }
    if let Some(short) = &ctx.change.short_sha {
        field(
            "Commit",
            match &ctx.change.commit_url {
                Some(u) => slack_link(u, short),
                None => slack_code(short),
            },
        );
    }
    if let (Some(n), Some(u)) = (ctx.change.pr_number, &ctx.change.pr_url) {
        field("Pull request", slack_link(u, &format!("#{n}")));
    }
    if let Some(who) = &ctx.ci.triggering_actor {
        field("Triggered by", slack_escape(who));
    }
    if let Some(d) = &ctx.deploy.duration {
        field("Duration", d.clone());
    }
    blocks.push(json!({"type": "section", "fields": fields}));
    if let Some(m) = &ctx.change.commit_message {
        let quoted = slack_escape(m.trim_end())
            .lines()
            .map(|l| format!("> {l}"))
            .collect::<Vec<_>>()
            .join("\n");
        blocks.push(section(cut(&quoted, limits::SLACK_SECTION_TEXT, &note)));
    }
    if let Some(m) = &ctx.deploy.message {
        blocks.push(section(cut(
            &slack_escape(m),
            limits::SLACK_SECTION_TEXT,
            &note,
        )));
    }
    if !ctx.deploy.components.is_empty() {
        let list = shown(&ctx.deploy.components, slack_code);
        blocks.push(section(cut(
            &format!("*Components ({})*: {list}", ctx.deploy.components.len()),
            limits::SLACK_SECTION_TEXT,
            &note,
        )));
    }
    if !ctx.deploy.approvers.is_empty() {
        let list = shown(&ctx.deploy.approvers, slack_escape);
        blocks.push(json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": cut(&format!("Approved by {list}"), limits::SLACK_FIELD_TEXT, &note)}],
        }));
    }
    if !people.is_empty() {
        blocks.push(section(cut(
            &format!("{} please take a look", slack_mentions(people)),
            limits::SLACK_SECTION_TEXT,
            "…",
        )));
    }
    let buttons = link_buttons(ctx);
    if !buttons.is_empty() {
        blocks.push(json!({"type": "actions", "elements": buttons}));
    }
    json!({
        "text": cut(&fallback_text(ctx, people), limits::SLACK_TEXT, &note),
        "blocks": blocks,
    })
}

/// The reply posted in the thread when the parent is updated: one line with the status,
/// the duration and the run link, and the mentions (replies notify; edits do not).
pub fn slack_reply(ctx: &Context, people: &[Person]) -> Value {
    let mut line = slack_escape(&headline(ctx));
    if let Some(d) = &ctx.deploy.duration {
        line.push_str(&format!(" in {d}"));
    }
    if let Some(u) = &ctx.ci.run_url {
        line.push_str(&format!(" · {}", slack_link(u, "run")));
    }
    if let Some(m) = &ctx.deploy.message {
        line.push('\n');
        line.push_str(&slack_escape(m));
    }
    if !people.is_empty() {
        line.push('\n');
        line.push_str(&slack_mentions(people));
    }
    let note = limits::slack_note(ctx.ci.run_url.as_deref());
    let text = cut(&line, limits::SLACK_SECTION_TEXT, &note);
    json!({
        "text": cut(&fallback_text(ctx, people), limits::SLACK_TEXT, &note),
        "blocks": [section(text)],
    })
}

/// The notification text (what phones and screen readers show; Slack reads it as mrkdwn).
fn fallback_text(ctx: &Context, people: &[Person]) -> String {
    let mut t = slack_escape(&headline(ctx));
    if !people.is_empty() {
        t.push(' ');
        t.push_str(&slack_mentions(people));
    }
    t
}

fn section(text: String) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

fn link_buttons(ctx: &Context) -> Vec<Value> {
    let mut links = Vec::new();
    if let Some(u) = &ctx.ci.run_url {
        links.push(("View run", u));
    }
    if let Some(u) = &ctx.change.pr_url {
        links.push(("Pull request", u));
    }
    if let Some(u) = &ctx.deploy.environment_url {
        links.push(("Open environment", u));
    }
    links
        .into_iter()
        .filter(|(_, u)| u.len() <= 3000)
        .map(|(label, url)| {
            json!({"type": "button", "text": {"type": "plain_text", "text": label}, "url": url})
        })
        .collect()
}

fn shown(items: &[String], show: impl Fn(&str) -> String) -> String {
    let mut list: Vec<String> = items
        .iter()
        .take(MAX_COMPONENTS_SHOWN)
        .map(|i| show(i))
        .collect();
    if items.len() > MAX_COMPONENTS_SHOWN {
        list.push(format!("and {} more", items.len() - MAX_COMPONENTS_SHOWN));
    }
    list.join(", ")
}

// ----------------------------------------------------------------------------- Teams

/// An Adaptive Card 1.4 in the attachments envelope Teams Workflows expects. Mentions
/// use `msteams.entities` with each person's UPN (people without one are named in text).
pub fn teams_message(ctx: &Context, people: &[Person]) -> Value {
    let mut facts = vec![fact(
        "Status",
        format!("{} {}", ctx.deploy.status_emoji, ctx.deploy.status),
    )];
    if let Some(e) = &ctx.deploy.environment {
        facts.push(fact("Environment", e.clone()));
    }
    if let Some(v) = &ctx.deploy.version {
        facts.push(fact("Version", v.clone()));
    }
    if let Some(s) = &ctx.change.short_sha {
        facts.push(fact("Commit", s.clone()));
    }
    if let Some(n) = ctx.change.pr_number {
        facts.push(fact("Pull request", format!("#{n}")));
    }
    if let Some(who) = &ctx.ci.triggering_actor {
        facts.push(fact("Triggered by", who.clone()));
    }
    if let Some(d) = &ctx.deploy.duration {
        facts.push(fact("Duration", d.clone()));
    }
    if !ctx.deploy.approvers.is_empty() {
        facts.push(fact(
            "Approved by",
            shown(&ctx.deploy.approvers, str::to_string),
        ));
    }
    if !ctx.deploy.components.is_empty() {
        facts.push(fact(
            &format!("Components ({})", ctx.deploy.components.len()),
            shown(&ctx.deploy.components, str::to_string),
        ));
    }
    let mut body = vec![
        json!({"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true,
               "color": ctx.state.teams_color(), "text": headline(ctx)}),
        json!({"type": "FactSet", "facts": facts}),
    ];
    if let Some(m) = &ctx.change.commit_message {
        body.push(
            json!({"type": "TextBlock", "wrap": true, "isSubtle": true, "text": m.trim_end()}),
        );
    }
    if let Some(m) = &ctx.deploy.message {
        body.push(json!({"type": "TextBlock", "wrap": true, "text": m}));
    }
    let mut entities = Vec::new();
    if !people.is_empty() {
        let mut words = Vec::new();
        for p in people {
            match &p.teams {
                Some(id) => {
                    let name = p.name.clone().unwrap_or_else(|| p.login.clone());
                    let text = format!("<at>{name}</at>");
                    entities.push(json!({"type": "mention", "text": text, "mentioned": {"id": id, "name": name}}));
                    words.push(text);
                }
                None => words.push(p.login.clone()),
            }
        }
        body.push(json!({"type": "TextBlock", "wrap": true, "text": format!("{} please take a look", words.join(" "))}));
    }
    let mut actions = Vec::new();
    if let Some(u) = &ctx.ci.run_url {
        actions.push(json!({"type": "Action.OpenUrl", "title": "View run", "url": u}));
    }
    if let Some(u) = &ctx.change.pr_url {
        actions.push(json!({"type": "Action.OpenUrl", "title": "Pull request", "url": u}));
    }
    if let Some(u) = &ctx.deploy.environment_url {
        actions.push(json!({"type": "Action.OpenUrl", "title": "Open environment", "url": u}));
    }
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    });
    if !actions.is_empty() {
        card["actions"] = Value::Array(actions);
    }
    if !entities.is_empty() {
        card["msteams"]["entities"] = Value::Array(entities);
    }
    teams_envelope(card)
}

/// Wraps an Adaptive Card in the message envelope (Workflows reject a bare card or an old
/// MessageCard: "'attachments' is of type 'Null'").
pub fn teams_envelope(card: Value) -> Value {
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    })
}

fn fact(title: &str, value: String) -> Value {
    json!({"title": title, "value": value})
}

// ----------------------------------------------------------------------------- webhook

/// The generic webhook body: an event name, a one-line `text` (what Mattermost, Google
/// Chat and Rocket.Chat show) and the whole context.
pub fn webhook_body(ctx: &Context, people: &[Person]) -> Value {
    json!({
        "event": "shipgate.notify",
        "text": headline(ctx),
        "deploy": ctx.deploy,
        "ci": ctx.ci,
        "change": ctx.change,
        "mentions": people.iter().map(|p| p.login.clone()).collect::<Vec<_>>(),
    })
}

// ----------------------------------------------------------------------------- Markdown

/// Escapes text for one line of GitHub/GitLab Markdown (a table cell): no HTML, no
/// table breaks, no line breaks.
pub fn md_inline(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

/// A code span that holds any text (the fence is longer than any run of backticks in it).
pub fn md_code(s: &str) -> String {
    let s = s.replace(['\r', '\n'], " ").replace('|', "\\|");
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// A Markdown link with an escaped label.
fn md_link(url: &str, label: &str) -> String {
    format!(
        "[{}]({})",
        md_inline(label).replace('[', "\\[").replace(']', "\\]"),
        url.replace(' ', "%20")
            .replace(')', "%29")
            .replace('<', "%3C")
            .replace('>', "%3E")
    )
}

/// Block text (a commit message) as a quote, with HTML escaped.
fn md_quote(s: &str) -> String {
    s.trim_end()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .lines()
        .map(|l| {
            if l.is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `@login` for each person (GitHub and GitLab notify them).
pub fn md_mentions(people: &[Person]) -> String {
    people
        .iter()
        .map(|p| format!("@{}", p.login))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The Markdown body of comments, notes and the job summary (without the hidden marker,
/// which the sticky targets put first).
pub fn markdown(ctx: &Context, people: &[Person]) -> String {
    let run = ctx.ci.run_url.as_deref();
    let note = limits::markdown_note(run);
    let mut md = format!("### {}\n\n", md_inline(&headline(ctx)));
    md.push_str("| | |\n|:--|:--|\n");
    let mut row = |label: &str, value: String| {
        md.push_str(&format!("| **{label}** | {value} |\n"));
    };
    row(
        "Status",
        format!("{} {}", ctx.deploy.status_emoji, ctx.deploy.status),
    );
    if let Some(e) = &ctx.deploy.environment {
        row(
            "Environment",
            match &ctx.deploy.environment_url {
                Some(u) => md_link(u, e),
                None => md_inline(e),
            },
        );
    }
    if let Some(v) = &ctx.deploy.version {
        row("Version", md_code(v));
    }
    if let Some(s) = &ctx.change.short_sha {
        row(
            "Commit",
            match &ctx.change.commit_url {
                Some(u) => format!("[{}]({u})", md_code(s)),
                None => md_code(s),
            },
        );
    }
    if let Some(n) = ctx.change.pr_number {
        let title = ctx
            .change
            .pr_title
            .as_deref()
            .map(|t| format!(" {}", md_inline(t)))
            .unwrap_or_default();
        let link = match &ctx.change.pr_url {
            Some(u) => format!("[#{n}]({u})"),
            None => format!("#{n}"),
        };
        row("Pull request", format!("{link}{title}"));
    }
    if let Some(who) = &ctx.ci.triggering_actor {
        row("Triggered by", format!("@{}", md_inline(who)));
    }
    if let Some(d) = &ctx.deploy.duration {
        row("Duration", d.clone());
    }
    if !ctx.deploy.approvers.is_empty() {
        row(
            "Approved by",
            shown(&ctx.deploy.approvers, |a| format!("@{}", md_inline(a))),
        );
    }
    if !ctx.deploy.components.is_empty() {
        row(
            &format!("Components ({})", ctx.deploy.components.len()),
            shown(&ctx.deploy.components, md_code),
        );
    }
    md.push('\n');
    if let Some(m) = &ctx.deploy.message {
        md.push_str(&cut(&md_quote(m), MARKDOWN_MESSAGE_CHARS, &note));
        md.push_str("\n\n");
    }
    if let Some(m) = &ctx.change.commit_message {
        md.push_str("<details><summary>Commit message</summary>\n\n");
        md.push_str(&cut(&md_quote(m), MARKDOWN_COMMIT_CHARS, &note));
        md.push_str("\n\n</details>\n\n");
    }
    if !people.is_empty() {
        md.push_str(&format!("{} please take a look\n\n", md_mentions(people)));
    }
    let mut links = Vec::new();
    if let Some(u) = run {
        links.push(format!("[View run]({u})"));
    }
    if let Some(u) = &ctx.deploy.environment_url {
        links.push(md_link(u, "Open environment"));
    }
    if !links.is_empty() {
        md.push_str(&links.join(" · "));
        md.push_str("\n\n");
    }
    md.push_str(&format!(
        "<sub>Updated {} by shipgate notify</sub>\n",
        ctx.deploy.at
    ));
    md
}

// ----------------------------------------------------------------------------- statuses

/// The description of a commit or deployment status (at most 140 characters).
pub fn status_description(ctx: &Context) -> String {
    let mut text = ctx.deploy.title.clone();
    if let Some(d) = &ctx.deploy.duration {
        text.push_str(&format!(" in {d}"));
    }
    cut(&text, limits::STATUS_DESCRIPTION_CHARS, "…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_escaping_defuses_mentions_and_links() {
        assert_eq!(
            slack_escape("<!channel> & <http://x|y>"),
            "&lt;!channel&gt; &amp; &lt;http://x|y&gt;"
        );
        assert_eq!(
            slack_link("https://e/?a=|<x>", "a|b>"),
            "<https://e/?a=%7C%3Cx%3E|a¦b&gt;>"
        );
    }

    #[test]
    fn markdown_escaping_keeps_tables_and_markers_intact() {
        assert_eq!(md_inline("a|b\n<!-- x -->"), "a\\|b &lt;!-- x --&gt;");
        assert_eq!(md_code("v1"), "`v1`");
        assert_eq!(md_code("a`b"), "`` a`b ``");
        assert_eq!(md_quote("one\n\n<two>"), "> one\n>\n> &lt;two&gt;");
    }
}
