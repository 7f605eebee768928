//! User templates (minijinja). JSON templates auto-escape every value as JSON, so text from
//! commits and people cannot break the payload; Markdown templates insert text as is.
//! Undefined names are errors (strict), and fuel bounds the work a template may do.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::Value;

use crate::error::{quote, Failure};

/// The largest template file read: far above any message a target accepts.
const TEMPLATE_MAX_BYTES: u64 = 1024 * 1024;

/// Instructions a template may run: plenty for a message, a stop for runaway loops.
const FUEL: u64 = 200_000;

/// What a template produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// A JSON payload: values are inserted as JSON (`{{ x }}` gives `"text"`).
    Json,
    /// Markdown: values are inserted as text.
    Markdown,
}

/// A template's text and where it came from (for messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The input it was given in (`slack-template`, or `config` for a named target's).
    pub input: String,
    /// What held it, as messages name it: the input, or the file (quoted: a user path).
    pub origin: String,
    pub text: String,
}

/// Reads a template given in `input`: a value with a newline or a `{` is the template
/// itself (named `label` in messages); otherwise it names a file (relative to the working
/// directory).
pub fn load(input: &str, label: &str, value: &str) -> Result<Source, Failure> {
    if value.contains('\n') || value.contains('{') {
        return Ok(Source {
            input: input.to_string(),
            origin: label.to_string(),
            text: value.to_string(),
        });
    }
    // Any readable path (a pipe too); bad UTF-8 is located at its line and column.
    let text = crate::config::read_text(std::path::Path::new(value), input, TEMPLATE_MAX_BYTES)?;
    Ok(Source {
        input: input.to_string(),
        origin: quote(value),
        text,
    })
}

/// Renders `source` with `context`. Errors say where (template line) and what.
pub fn render(source: &Source, syntax: Syntax, context: &Value) -> Result<String, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(move |_| match syntax {
        Syntax::Json => AutoEscape::Json,
        Syntax::Markdown => AutoEscape::None,
    });
    let name = source.origin.as_str();
    env.add_template(name, &source.text)
        .map_err(|e| describe(&e, name))?;
    let template = env.get_template(name).map_err(|e| describe(&e, name))?;
    let ctx = minijinja::Value::from(minijinja::value::Serde(context));
    template.render(ctx).map_err(|e| describe(&e, name))
}

/// Renders a JSON template and parses the result.
pub fn render_json(source: &Source, context: &Value) -> Result<Value, String> {
    let text = render(source, Syntax::Json, context)?;
    serde_json::from_str(&text).map_err(|e| {
        let hint = if source.text.contains("\"{{") {
            " (values are inserted as JSON with their quotes: write {{ deploy.title }}, not \"{{ deploy.title }}\"; join text with ~)"
        } else {
            ""
        };
        format!(
            "template {} does not produce JSON: {e} (output line {}){hint}",
            source.origin,
            e.line()
        )
    })
}

fn describe(err: &minijinja::Error, name: &str) -> String {
    let mut text = format!("template {name}");
    if let Some(line) = err.line() {
        text.push_str(&format!(", line {line}"));
    }
    text.push_str(&format!(": {}", err.kind()));
    if let Some(detail) = err.detail() {
        text.push_str(&format!(": {detail}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn src(text: &str) -> Source {
        Source {
            input: "slack-template".into(),
            origin: "t".into(),
            text: text.into(),
        }
    }

    #[test]
    fn json_templates_escape_hostile_values() {
        let ctx = json!({"change": {"commit_message": "say \"hi\"\n\\ 🚀 </script>"}});
        let out = render_json(&src(r#"{"text": {{ change.commit_message }}}"#), &ctx).unwrap();
        assert_eq!(out["text"], "say \"hi\"\n\\ 🚀 </script>");
        let joined = render_json(
            &src(r#"{"text": {{ "Deploy: " ~ change.commit_message }}}"#),
            &ctx,
        )
        .unwrap();
        assert!(joined["text"].as_str().unwrap().starts_with("Deploy: say"));
    }

    #[test]
    fn undefined_names_and_bad_json_are_errors_with_hints() {
        let err =
            render_json(&src("{\"a\": {{ deploy.nope }}}"), &json!({"deploy": {}})).unwrap_err();
        assert!(err.contains("undefined"), "{err}");
        let err = render_json(&src("{\"a\": \"{{ x }}\"}"), &json!({"x": "y"})).unwrap_err();
        assert!(err.contains("not \"{{ deploy.title }}\""), "{err}");
        let err = render(&src("{% for x in y %}"), Syntax::Markdown, &json!({})).unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn markdown_templates_insert_text_as_is() {
        let out = render(
            &src("**{{ deploy.status }}** <{{ x }}>"),
            Syntax::Markdown,
            &json!({"deploy": {"status": "ok"}, "x": "a\"b"}),
        )
        .unwrap();
        assert_eq!(out, "**ok** <a\"b>");
    }

    #[test]
    fn runaway_templates_run_out_of_fuel() {
        let err = render(
            &src(
                "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            ),
            Syntax::Markdown,
            &json!({}),
        )
        .unwrap_err();
        assert!(err.contains("fuel") || err.contains("out of"), "{err}");
    }
}
