//! Where notifications go: the four receiver kinds, parsed from
//! configuration, and the named set the outbox delivers through. This module
//! classifies HTTP answers (sent, retry, give up) but builds no payloads
//! (the protocol modules do) and keeps no delivery state (the outbox does).

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::notification::Notification;
use crate::transport::{HttpRequest, HttpTransport, Transport};
use crate::{alertmanager, pagerduty, slack, webhook};

/// PagerDuty's Events API v2 endpoint, used when no `url` is configured.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// The configured name of a target; outbox items refer to targets by name so
/// that a target's URL or secret can change while items wait.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TargetName(pub String);

impl TargetName {
    /// Wraps a name.
    pub fn new(name: impl Into<String>) -> Self {
        TargetName(name.into())
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TargetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One receiver of notifications.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    /// Prometheus Alertmanager; alerts are POSTed to `{url}/api/v2/alerts`.
    Alertmanager {
        /// Base URL, without a trailing slash (`http://127.0.0.1:9093`).
        url: String,
    },
    /// A generic JSON webhook, signed when a secret is configured.
    Webhook {
        /// Where to POST.
        url: String,
        /// HMAC-SHA256 key for `X-Lodestar-Signature`.
        secret: Option<String>,
    },
    /// A Slack incoming webhook.
    Slack {
        /// The incoming-webhook URL.
        url: String,
    },
    /// PagerDuty Events API v2.
    PagerDuty {
        /// The integration's routing key.
        routing_key: String,
        /// The events endpoint ([`PAGERDUTY_EVENTS_URL`] unless overridden).
        url: String,
    },
}

// Secrets and routing keys must not end up in logs through `{:?}`.
impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Alertmanager { url } => {
                f.debug_struct("Alertmanager").field("url", url).finish()
            }
            Target::Webhook { url, secret } => f
                .debug_struct("Webhook")
                .field("url", url)
                .field("secret", &secret.as_ref().map(|_| "<redacted>"))
                .finish(),
            Target::Slack { .. } => f.debug_struct("Slack").field("url", &"<redacted>").finish(),
            Target::PagerDuty { url, .. } => f
                .debug_struct("PagerDuty")
                .field("routing_key", &"<redacted>")
                .field("url", url)
                .finish(),
        }
    }
}

/// A target as written in Lodestar's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// `alertmanager`, `webhook`, `slack` or `pagerduty`.
    pub kind: String,
    /// The receiver's URL (required except for PagerDuty).
    #[serde(default)]
    pub url: Option<String>,
    /// Webhook signing secret.
    #[serde(default)]
    pub secret: Option<String>,
    /// PagerDuty routing key.
    #[serde(default)]
    pub routing_key: Option<String>,
}

impl Target {
    /// Parses the `kind:rest` form an OpenSLO AlertNotificationTarget's
    /// `target` field carries: `alertmanager:URL`, `webhook:URL`,
    /// `slack:URL`, `pagerduty:ROUTING_KEY`.
    pub fn parse(input: &str) -> Result<Target> {
        let err = |reason: &str| Error::Target {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let (kind, rest) = input.trim().split_once(':').ok_or_else(|| {
            err("expected KIND:VALUE with KIND one of alertmanager, webhook, slack, pagerduty")
        })?;
        let config = match kind.to_ascii_lowercase().as_str() {
            "pagerduty" => TargetConfig {
                kind: "pagerduty".into(),
                url: None,
                secret: None,
                routing_key: Some(rest.to_string()),
            },
            other => TargetConfig {
                kind: other.to_string(),
                url: Some(rest.to_string()),
                secret: None,
                routing_key: None,
            },
        };
        Target::from_config(&config).map_err(|e| match e {
            Error::Target { reason, .. } => err(&reason),
            other => other,
        })
    }

    /// Builds a target from a configuration entry, checking that the fields
    /// its kind needs are present and that URLs are http(s).
    pub fn from_config(config: &TargetConfig) -> Result<Target> {
        let err = |reason: String| Error::Target {
            input: format!("{config:?}"),
            reason,
        };
        let kind = config.kind.to_ascii_lowercase();
        let url = |what: &str| -> Result<String> {
            let url = config
                .url
                .as_deref()
                .ok_or_else(|| err(format!("kind {kind} needs a `url` ({what})")))?;
            check_url(url).map_err(&err)
        };
        let unexpected = |field: &str, present: bool| -> Result<()> {
            if present {
                Err(err(format!(
                    "field `{field}` does not apply to kind {kind}"
                )))
            } else {
                Ok(())
            }
        };
        match kind.as_str() {
            "alertmanager" => {
                unexpected("secret", config.secret.is_some())?;
                unexpected("routing_key", config.routing_key.is_some())?;
                let url = url("Alertmanager's base URL, e.g. http://127.0.0.1:9093")?;
                Ok(Target::Alertmanager {
                    url: url.trim_end_matches('/').to_string(),
                })
            }
            "webhook" => {
                unexpected("routing_key", config.routing_key.is_some())?;
                let url = url("where to POST the JSON")?;
                if config.secret.as_deref() == Some("") {
                    return Err(err(
                        "webhook `secret` is empty; omit it or give a key".into()
                    ));
                }
                Ok(Target::Webhook {
                    url,
                    secret: config.secret.clone(),
                })
            }
            "slack" => {
                unexpected("secret", config.secret.is_some())?;
                unexpected("routing_key", config.routing_key.is_some())?;
                Ok(Target::Slack {
                    url: url("the incoming-webhook URL")?,
                })
            }
            "pagerduty" => {
                unexpected("secret", config.secret.is_some())?;
                let key = config.routing_key.as_deref().unwrap_or("").trim();
                if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c == '/') {
                    return Err(err(
                        "pagerduty needs a `routing_key`: the integration key, no spaces or slashes"
                            .into(),
                    ));
                }
                let url = match &config.url {
                    Some(u) => check_url(u).map_err(&err)?,
                    None => PAGERDUTY_EVENTS_URL.to_string(),
                };
                Ok(Target::PagerDuty {
                    routing_key: key.to_string(),
                    url,
                })
            }
            _ => Err(err(format!(
                "unknown kind {:?}; expected alertmanager, webhook, slack or pagerduty",
                config.kind
            ))),
        }
    }

    /// The lowercase kind (`alertmanager`, `webhook`, `slack`, `pagerduty`).
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Alertmanager { .. } => "alertmanager",
            Target::Webhook { .. } => "webhook",
            Target::Slack { .. } => "slack",
            Target::PagerDuty { .. } => "pagerduty",
        }
    }

    /// Whether a firing alert must be re-sent periodically to stay active.
    /// True for Alertmanager only: its alerts carry an `endsAt` lease
    /// ([`alertmanager::FIRING_LEASE`]) and expire unless refreshed, so the
    /// alert loop re-enqueues firing notifications for these targets every
    /// [`alertmanager::RESEND_INTERVAL`]. Chat and paging targets get one
    /// message per state change.
    pub fn needs_refresh(&self) -> bool {
        matches!(self, Target::Alertmanager { .. })
    }

    /// The HTTP request that delivers `n`; `delivery_id` identifies the
    /// outbox item (repeated on retries) and `now` is the sending time.
    pub fn request(&self, n: &Notification, delivery_id: u64, now: Timestamp) -> HttpRequest {
        match self {
            Target::Alertmanager { url } => alertmanager::request(url, n, now),
            Target::Webhook { url, secret } => {
                webhook::request(url, secret.as_deref(), n, delivery_id, now)
            }
            Target::Slack { url } => slack::request(url, n, now),
            Target::PagerDuty { routing_key, url } => pagerduty::request(url, routing_key, n),
        }
    }
}

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver accepted the notification.
    Sent,
    /// A failure worth retrying: transport errors, timeouts, 5xx, 408, 429.
    Retry(String),
    /// A failure that retrying cannot fix: other 4xx, 3xx, an unknown target.
    GiveUp(String),
}

/// The configured targets by name, and the transport that reaches them.
pub struct TargetSet {
    /// Targets by their configured name.
    targets: BTreeMap<TargetName, Target>,
    /// How requests are sent; swapped out in tests.
    transport: Box<dyn Transport>,
}

impl fmt::Debug for TargetSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TargetSet")
            .field("targets", &self.targets)
            .finish()
    }
}

impl TargetSet {
    /// A set sending over HTTP with [`HttpTransport`]; names must be unique.
    pub fn new(targets: impl IntoIterator<Item = (TargetName, Target)>) -> Result<TargetSet> {
        Self::with_transport(targets, Box::new(HttpTransport::new()))
    }

    /// A set sending through the given transport.
    pub fn with_transport(
        targets: impl IntoIterator<Item = (TargetName, Target)>,
        transport: Box<dyn Transport>,
    ) -> Result<TargetSet> {
        let mut map = BTreeMap::new();
        for (name, target) in targets {
            if map.contains_key(&name) {
                return Err(Error::DuplicateTarget { name: name.0 });
            }
            map.insert(name, target);
        }
        Ok(TargetSet {
            targets: map,
            transport,
        })
    }

    /// The target configured under `name`.
    pub fn get(&self, name: &TargetName) -> Option<&Target> {
        self.targets.get(name)
    }

    /// All targets, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&TargetName, &Target)> {
        self.targets.iter()
    }

    /// Sends `n` to the target named `name` once and classifies the answer.
    /// A name missing from the set is retried: a configuration reload may
    /// bring it back, and the outbox gives up after its deadline anyway.
    pub fn attempt(&self, name: &TargetName, n: &Notification, id: u64, now: Timestamp) -> Attempt {
        let Some(target) = self.targets.get(name) else {
            return Attempt::Retry(format!("target {:?} is not configured", name.as_str()));
        };
        let request = target.request(n, id, now);
        match self.transport.post(&request) {
            Err(transport) => Attempt::Retry(format!(
                "{} {}: {transport}",
                target.kind(),
                request.url_for_errors()
            )),
            Ok(response) => classify(target, &request, response.status, &response.body),
        }
    }
}

fn classify(target: &Target, request: &HttpRequest, status: u16, body: &str) -> Attempt {
    if (200..300).contains(&status) {
        return Attempt::Sent;
    }
    let mut excerpt: String = body.chars().take(200).collect();
    if excerpt.len() < body.len() {
        excerpt.push('…');
    }
    let message = format!(
        "{} {} answered HTTP {status}: {}",
        target.kind(),
        request.url_for_errors(),
        excerpt.trim()
    );
    if status >= 500 || status == 408 || status == 429 {
        Attempt::Retry(message)
    } else {
        Attempt::GiveUp(message)
    }
}

fn check_url(url: &str) -> std::result::Result<String, String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("url {url:?} must start with http:// or https://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("url {url:?} has no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("url {url:?} contains whitespace"));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests;
