//! Slack incoming webhooks: a `text` fallback (shown in notifications and by
//! clients without Block Kit) and `blocks` with a header, the description,
//! the SLO's fields and links back to Lodestar and the runbook. Resolved
//! messages say so in the text and the header. Slack's size limits (header
//! 150 characters, section text 3000, field 2000) are applied by
//! truncation so an oversized summary never turns into a rejected message.

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::notification::{Notification, Status};
use crate::transport::HttpRequest;

const HEADER_LIMIT: usize = 150;
const SECTION_LIMIT: usize = 3000;
const FIELD_LIMIT: usize = 2000;

/// The message body for `n`.
pub fn message(n: &Notification, now: Timestamp) -> Value {
    let word = match n.status {
        Status::Firing => "FIRING",
        Status::Resolved => "RESOLVED",
    };
    let text = format!("[{word}] {}: {}", n.slo, n.summary);
    let mut fields = vec![
        field("SLO", &n.slo),
        field("Objective", &n.objective),
        field("Service", &n.service),
        field("Severity", &n.severity),
        field("Started", &n.starts_at.to_string()),
    ];
    if n.status == Status::Resolved {
        fields.push(field("Resolved", &n.resolved_at(now).to_string()));
    }
    if let Some(owner) = n.annotations.get("owner") {
        fields.push(field("Owner", owner));
    }

    let mut links = Vec::new();
    if !n.generator_url.is_empty() {
        links.push(link(&n.generator_url, "Open in Lodestar"));
    }
    if let Some(url) = n.annotations.get("dashboard") {
        links.push(link(url, "Dashboard"));
    }
    if let Some(url) = n.annotations.get("runbook_url") {
        links.push(link(url, "Runbook"));
    }

    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(&format!("{word}: {}", n.summary), HEADER_LIMIT)},
    })];
    if !n.description.is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": truncate(&escape(&n.description), SECTION_LIMIT)},
        }));
    }
    blocks.push(json!({"type": "section", "fields": fields}));
    if !links.is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": truncate(&links.join("  ·  "), SECTION_LIMIT)},
        }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(&format!("alert `{}`", escape(&n.key)), FIELD_LIMIT)}],
    }));
    json!({"text": text, "blocks": blocks})
}

/// The request posting `n` to the incoming webhook at `url`.
pub fn request(url: &str, n: &Notification, now: Timestamp) -> HttpRequest {
    HttpRequest {
        url: url.to_string(),
        headers: Vec::new(),
        body: message(n, now).to_string().into_bytes(),
        // The webhook URL's path is the credential.
        secret_path: true,
    }
}

fn field(name: &str, value: &str) -> Value {
    json!({"type": "mrkdwn", "text": truncate(&format!("*{name}*\n{}", escape(value)), FIELD_LIMIT)})
}

fn link(url: &str, label: &str) -> String {
    // `|` and `>` would end Slack's `<url|label>` syntax early.
    let url = url.replace('|', "%7C").replace('>', "%3E");
    format!("<{url}|{label}>")
}

/// Slack's mrkdwn control characters, as Slack documents them.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut out: String = text.chars().take(limit - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests;
