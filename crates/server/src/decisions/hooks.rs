//! Actions: the signed webhooks called when a release gate fails or when
//! burn is attributed to one version or one feature flag, the generic
//! "turn this flag off" call, and the record of every call and its answer
//! (`actions.jsonl` in the data directory, `GET /api/v1/actions`).
//!
//! Every body is JSON and, when a secret is configured, carries
//! `X-Lodestar-Signature: sha256=<hex HMAC-SHA256 of the body>` (the same
//! signature the alert webhooks use, from `notify::webhook`). A cause (a
//! failed gate for one service and version, a flag or version burning one
//! SLO) is acted on at most once per cool-down, counted from the recorded
//! actions, so a restart does not call a hook again.
//!
//! Flags: OpenFeature's remote evaluation protocol (OFREP) only evaluates
//! flags and flagd only reads flag definitions from its sync sources, so
//! neither can turn a flag off; the flag-off call is a plain POST of
//! `{flag, service, reason}` to a URL the operator points at their flag
//! system (or a small adapter in front of it).
//!
//! This module sends and records; it decides nothing (the caller says what
//! is wrong). Sending blocks: call it from a blocking thread.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::DecisionError;
use super::changes::{append_line, open_lines};

/// File name of the action log inside the data directory.
pub const ACTIONS_FILE: &str = "actions.jsonl";

/// Header carrying the body's signature.
pub const SIGNATURE_HEADER: &str = "X-Lodestar-Signature";

/// Where actions go and how often.
#[derive(Clone, Debug)]
pub struct HookConfig {
    /// Signed webhooks told about failed gates and attributed burn.
    pub webhook_urls: Vec<String>,
    /// Signing secret; `None` sends unsigned bodies.
    pub secret: Option<String>,
    /// Receives `{flag, service, reason}` when a flag causes the burn.
    pub flag_off_url: Option<String>,
    /// A cause is acted on at most once per this many minutes.
    pub cooldown_minutes: i64,
    /// Share of the burn one segment must explain to be acted on.
    pub min_share: f64,
    /// How long one call may take.
    pub timeout: Duration,
}

impl Default for HookConfig {
    fn default() -> Self {
        HookConfig {
            webhook_urls: Vec::new(),
            secret: None,
            flag_off_url: None,
            cooldown_minutes: 30,
            min_share: 0.6,
            timeout: Duration::from_secs(5),
        }
    }
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    notify::webhook::signature(secret, body)
}

/// Whether `header` is the signature of `body` under `secret`.
pub fn verify_signature(secret: &str, body: &[u8], header: &str) -> bool {
    notify::webhook::verify_signature(secret, body, header)
}

/// One call made, with its answer.
///
/// JSON: `{"id", "time", "cause", "trigger": "gate"|"attribution",
/// "kind": "webhook"|"flag-off", "url", "request": {...},
/// "status": u16|null, "ok": bool, "answer": str|null, "error": str|null}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub id: String,
    pub time: String,
    /// Identifies the cause for the cool-down (`gate:api:v2`,
    /// `attribution:search:feature_flag.key=new-ranking`).
    pub cause: String,
    pub trigger: String,
    pub kind: String,
    pub url: String,
    /// The JSON body sent.
    pub request: Value,
    /// The HTTP status answered, `None` when no answer came.
    pub status: Option<u16>,
    /// A 2xx answer.
    pub ok: bool,
    /// The first 512 bytes of the answer.
    pub answer: Option<String>,
    /// Why there was no answer.
    pub error: Option<String>,
}

/// What a caller asks to be done about one cause.
#[derive(Clone, Debug)]
pub struct Request {
    pub cause: String,
    pub trigger: &'static str,
    /// Sent to every webhook.
    pub body: Value,
    /// `(flag, service, reason)` for the flag-off call.
    pub flag_off: Option<(String, String, String)>,
}

/// The action record, in memory and (when opened in a directory) on disk.
#[derive(Debug, Default)]
pub struct ActionLog {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    actions: Vec<Action>,
    file: Option<(PathBuf, File)>,
}

impl ActionLog {
    /// Opens (or creates) `dir/actions.jsonl`.
    pub fn open(dir: &Path) -> Result<ActionLog, DecisionError> {
        let (actions, file) = open_lines::<Action>(dir, ACTIONS_FILE)?;
        Ok(ActionLog {
            inner: Mutex::new(Inner {
                actions,
                file: Some(file),
            }),
        })
    }

    /// Every action, oldest first.
    pub fn list(&self) -> Vec<Action> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .actions
            .clone()
    }

    /// True when `cause` was acted on less than `cooldown_minutes` before `now`.
    pub fn cooling(&self, cause: &str, now: Timestamp, cooldown_minutes: i64) -> bool {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.actions.iter().any(|a| {
            a.cause == cause
                && a.time.parse::<Timestamp>().is_ok_and(|t| {
                    now.duration_since(t).as_secs() < cooldown_minutes.saturating_mul(60)
                })
        })
    }

    fn record(&self, mut action: Action) -> Action {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        action.id = format!("a{}", inner.actions.len() + 1);
        if let Some((path, file)) = &mut inner.file
            && let Err(e) = append_line(path, file, &action)
        {
            // The call already happened; losing its record only weakens the
            // cool-down across a restart, so it is logged, not returned.
            tracing::warn!("{e}");
        }
        inner.actions.push(action.clone());
        action
    }
}

/// Acts on `request` unless its cause is cooling down: calls every webhook
/// and, for a flag, the flag-off URL. Returns the actions taken (empty when
/// cooling down or nothing is configured). Blocking.
pub fn act(config: &HookConfig, log: &ActionLog, request: &Request, now: Timestamp) -> Vec<Action> {
    let nothing_to_call = config.webhook_urls.is_empty()
        && (request.flag_off.is_none() || config.flag_off_url.is_none());
    if nothing_to_call || log.cooling(&request.cause, now, config.cooldown_minutes) {
        return Vec::new();
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(config.timeout))
        .build()
        .into();
    let mut calls: Vec<(&str, &str, Value)> = config
        .webhook_urls
        .iter()
        .map(|u| ("webhook", u.as_str(), request.body.clone()))
        .collect();
    if let (Some((flag, service, reason)), Some(url)) = (&request.flag_off, &config.flag_off_url) {
        calls.push((
            "flag-off",
            url.as_str(),
            json!({ "flag": flag, "service": service, "reason": reason }),
        ));
    }
    calls
        .into_iter()
        .map(|(kind, url, body)| {
            let (status, answer, error) = send(&agent, config, url, &body);
            log.record(Action {
                id: String::new(),
                time: now.to_string(),
                cause: request.cause.clone(),
                trigger: request.trigger.to_owned(),
                kind: kind.to_owned(),
                url: url.to_owned(),
                request: body,
                status,
                ok: status.is_some_and(|s| (200..300).contains(&s)),
                answer,
                error,
            })
        })
        .collect()
}

fn send(
    agent: &ureq::Agent,
    config: &HookConfig,
    url: &str,
    body: &Value,
) -> (Option<u16>, Option<String>, Option<String>) {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut req = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("User-Agent", "lodestar");
    if let Some(secret) = &config.secret {
        req = req.header(SIGNATURE_HEADER, signature(secret, &bytes));
    }
    match req.send(&bytes[..]) {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let text = resp
                .body_mut()
                .with_config()
                .limit(64 << 10)
                .read_to_string()
                .unwrap_or_default();
            let answer: String = text.chars().take(512).collect();
            (Some(status), Some(answer), None)
        }
        Err(e) => (None, None, Some(format!("calling {url}: {e}"))),
    }
}
