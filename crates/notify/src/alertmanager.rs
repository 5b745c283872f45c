//! Prometheus Alertmanager, API v2: `POST {url}/api/v2/alerts` with a JSON
//! array of alerts. Alertmanager treats an alert as active until its
//! `endsAt`, so a firing alert carries a lease ([`FIRING_LEASE`] from the
//! moment of sending) that the alert loop renews by re-enqueueing the firing
//! notification every [`RESEND_INTERVAL`] (the same scheme Prometheus uses:
//! its lease is four resend intervals); a resolved alert carries its
//! resolution time as `endsAt`, which ends it at once. Alerts are identified
//! by their label set, so the labels of a firing and its resolve must match:
//! they are built from the notification's fixed fields and its labels only.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};

use crate::notification::{Notification, Status};
use crate::transport::HttpRequest;

/// How often a firing alert should be re-sent to Alertmanager.
pub const RESEND_INTERVAL: Duration = Duration::from_secs(60);

/// How long a firing alert stays active in Alertmanager without a refresh.
pub const FIRING_LEASE: Duration = Duration::from_secs(4 * 60);

/// The alert object Alertmanager receives (one element of the array).
pub fn alert(n: &Notification, now: Timestamp) -> Value {
    let mut labels = Map::new();
    for (k, v) in &n.labels {
        labels.insert(k.clone(), Value::String(v.clone()));
    }
    // The fixed identity labels win over free-form ones of the same name, so
    // a firing and its resolve always describe the same Alertmanager alert.
    labels.insert("alertname".into(), n.alert_name().into());
    labels.insert("slo".into(), n.slo.clone().into());
    labels.insert("objective".into(), n.objective.clone().into());
    labels.insert("severity".into(), n.severity.clone().into());
    labels.insert("service".into(), n.service.clone().into());

    let mut annotations = Map::new();
    for (k, v) in &n.annotations {
        annotations.insert(k.clone(), Value::String(v.clone()));
    }
    annotations.insert("summary".into(), n.summary.clone().into());
    annotations.insert("description".into(), n.description.clone().into());
    annotations.insert("lodestar_key".into(), n.key.clone().into());

    let ends_at = match n.status {
        Status::Firing => now
            .checked_add(SignedDuration::try_from(FIRING_LEASE).unwrap_or(SignedDuration::ZERO))
            .unwrap_or(now),
        Status::Resolved => n.resolved_at(now),
    };
    json!({
        "labels": labels,
        "annotations": annotations,
        "startsAt": n.starts_at.to_string(),
        "endsAt": ends_at.to_string(),
        "generatorURL": n.generator_url,
    })
}

/// The request delivering `n` to the Alertmanager at `base_url`.
pub fn request(base_url: &str, n: &Notification, now: Timestamp) -> HttpRequest {
    let body = Value::Array(vec![alert(n, now)]);
    HttpRequest {
        url: format!("{base_url}/api/v2/alerts"),
        headers: Vec::new(),
        body: body.to_string().into_bytes(),
        secret_path: false,
    }
}
