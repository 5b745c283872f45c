//! PagerDuty Events API v2: a `trigger` event for a firing notification and
//! a `resolve` for a resolved one, both with `dedup_key` = the
//! notification's key, so PagerDuty folds refreshes into one incident and
//! closes that incident on resolve. Severity maps `page` to `critical` and
//! `ticket` to `warning`; PagerDuty's own words pass through.

use serde_json::{Map, Value, json};

use crate::notification::{Notification, Status};
use crate::transport::HttpRequest;

/// PagerDuty's limit on `payload.summary`.
const SUMMARY_LIMIT: usize = 1024;

/// PagerDuty's severity for a Lodestar severity.
pub fn severity(severity: &str) -> &'static str {
    match severity.to_ascii_lowercase().as_str() {
        "page" | "critical" => "critical",
        "error" => "error",
        "info" => "info",
        // `ticket`, `warning` and unknown words: worth a look, not a wake-up.
        _ => "warning",
    }
}

/// The event body for `n`.
pub fn event(routing_key: &str, n: &Notification) -> Value {
    match n.status {
        // PagerDuty needs only the key to resolve; a payload would be ignored.
        Status::Resolved => json!({
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": n.key,
        }),
        Status::Firing => {
            let mut details = Map::new();
            details.insert("description".into(), n.description.clone().into());
            details.insert("slo".into(), n.slo.clone().into());
            details.insert("objective".into(), n.objective.clone().into());
            details.insert("severity".into(), n.severity.clone().into());
            details.insert("labels".into(), json!(n.labels));
            details.insert("annotations".into(), json!(n.annotations));
            let summary: String = n.summary.chars().take(SUMMARY_LIMIT).collect();
            let source = if n.service.is_empty() {
                "lodestar"
            } else {
                &n.service
            };
            let mut links = Vec::new();
            if !n.generator_url.is_empty() {
                links.push(json!({"href": n.generator_url, "text": "Lodestar SLO"}));
            }
            if let Some(url) = n.annotations.get("runbook_url") {
                links.push(json!({"href": url, "text": "Runbook"}));
            }
            if let Some(url) = n.annotations.get("dashboard") {
                links.push(json!({"href": url, "text": "Dashboard"}));
            }
            json!({
                "routing_key": routing_key,
                "event_action": "trigger",
                "dedup_key": n.key,
                "client": "Lodestar",
                "client_url": n.generator_url,
                "payload": {
                    "summary": summary,
                    "source": source,
                    "severity": severity(&n.severity),
                    "timestamp": n.starts_at.to_string(),
                    "component": n.slo,
                    "group": n.service,
                    "class": n.alert_name(),
                    "custom_details": details,
                },
                "links": links,
            })
        }
    }
}

/// The request sending `n` to the events endpoint `url`.
pub fn request(url: &str, routing_key: &str, n: &Notification) -> HttpRequest {
    HttpRequest {
        url: url.to_string(),
        headers: Vec::new(),
        body: event(routing_key, n).to_string().into_bytes(),
        secret_path: false,
    }
}

#[cfg(test)]
mod tests;
