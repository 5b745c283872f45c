//! The generic webhook: a JSON document of a fixed, versioned schema
//! ([`WebhookPayload`], `version: 1`), signed with HMAC-SHA256 when the
//! target has a secret.
//!
//! Headers sent:
//! - `Content-Type: application/json`
//! - `X-Lodestar-Timestamp: <unix seconds>`, equal to the body's `sentAt`
//! - `X-Lodestar-Delivery: <outbox item id>`, the same on every retry of one
//!   delivery, so receivers can drop duplicates (delivery is at least once)
//! - `X-Lodestar-Signature: sha256=<hex>` when a secret is configured:
//!   lowercase hex of HMAC-SHA256(key = secret, message = the raw body
//!   bytes).
//!
//! A receiver verifies by recomputing the HMAC over the body exactly as
//! received (before any JSON parsing), comparing in constant time with the
//! hex after `sha256=`, and then rejecting a `sentAt` too far from its own
//! clock (five minutes is a good bound) to stop replays: the timestamp is
//! inside the signed body, so it cannot be altered. [`verify_signature`]
//! does the first two steps. This module sends nothing itself.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::notification::{Notification, Status};
use crate::transport::HttpRequest;

/// The schema version in every body; bumped only for incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Header carrying `sha256=<hex hmac>`.
pub const SIGNATURE_HEADER: &str = "X-Lodestar-Signature";
/// Header carrying the sending time in Unix seconds.
pub const TIMESTAMP_HEADER: &str = "X-Lodestar-Timestamp";
/// Header carrying the outbox item id.
pub const DELIVERY_HEADER: &str = "X-Lodestar-Delivery";

/// The webhook body, version 1. Field names are camelCase on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookPayload {
    /// Always [`SCHEMA_VERSION`].
    pub version: u32,
    /// The outbox item id (as in `X-Lodestar-Delivery`).
    pub delivery_id: u64,
    /// The alert's stable key; a firing and its resolve share it.
    pub key: String,
    /// `firing` or `resolved`.
    pub status: Status,
    /// `page`, `ticket`, or the configured severity.
    pub severity: String,
    /// SLO name.
    pub slo: String,
    /// Objective name.
    pub objective: String,
    /// Service name.
    pub service: String,
    /// One-line summary.
    pub summary: String,
    /// Longer description.
    pub description: String,
    /// Identifying labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations (`runbook_url`, `dashboard`, `owner`…).
    pub annotations: BTreeMap<String, String>,
    /// RFC 3339 start of the alert.
    pub starts_at: Timestamp,
    /// RFC 3339 end, present when resolved.
    pub ends_at: Option<Timestamp>,
    /// Link to the SLO in Lodestar.
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    /// RFC 3339 sending time (whole seconds), equal to
    /// `X-Lodestar-Timestamp`.
    pub sent_at: Timestamp,
}

impl WebhookPayload {
    /// The body for `n`, sent as delivery `delivery_id` at `now`.
    pub fn new(n: &Notification, delivery_id: u64, now: Timestamp) -> Self {
        let sent_at = Timestamp::from_second(now.as_second()).unwrap_or(now);
        WebhookPayload {
            version: SCHEMA_VERSION,
            delivery_id,
            key: n.key.clone(),
            status: n.status,
            severity: n.severity.clone(),
            slo: n.slo.clone(),
            objective: n.objective.clone(),
            service: n.service.clone(),
            summary: n.summary.clone(),
            description: n.description.clone(),
            labels: n.labels.clone(),
            annotations: n.annotations.clone(),
            starts_at: n.starts_at,
            ends_at: match n.status {
                Status::Firing => None,
                Status::Resolved => Some(n.resolved_at(now)),
            },
            generator_url: n.generator_url.clone(),
            sent_at,
        }
    }
}

/// `sha256=<lowercase hex of HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, body).finalize().into_bytes())
    )
}

/// Whether `header` (the `X-Lodestar-Signature` value) is the signature of
/// `body` under `secret`; the comparison takes constant time.
pub fn verify_signature(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    mac(secret, body).verify_slice(&expected).is_ok()
}

fn mac(secret: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("hmac accepts keys of any length"));
    mac.update(body);
    mac
}

/// The request delivering `n` to the webhook at `url`.
pub fn request(
    url: &str,
    secret: Option<&str>,
    n: &Notification,
    delivery_id: u64,
    now: Timestamp,
) -> HttpRequest {
    let payload = WebhookPayload::new(n, delivery_id, now);
    let body = serde_json::to_vec(&payload).unwrap_or_else(|e| {
        unreachable!("a webhook payload of strings, maps and timestamps always encodes: {e}")
    });
    let mut headers = vec![
        (
            TIMESTAMP_HEADER.to_string(),
            payload.sent_at.as_second().to_string(),
        ),
        (DELIVERY_HEADER.to_string(), delivery_id.to_string()),
    ];
    if let Some(secret) = secret {
        headers.push((SIGNATURE_HEADER.to_string(), signature(secret, &body)));
    }
    HttpRequest {
        url: url.to_string(),
        headers,
        body,
        secret_path: false,
    }
}

#[cfg(test)]
mod tests;
