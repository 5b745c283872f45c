//! What an alert says, independent of where it goes: the one value the
//! alerting code hands to the outbox. Each protocol module turns it into its
//! own wire format; nothing here knows about HTTP or files.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Whether an alert starts (or is still going on) or has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The alert condition holds.
    Firing,
    /// The alert condition no longer holds.
    Resolved,
}

impl Status {
    /// The lowercase word used on the wire (`firing`, `resolved`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Firing => "firing",
            Status::Resolved => "resolved",
        }
    }
}

/// One alert state change (or a refresh of a firing alert) to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Stable identity of the alert across its firing and resolved
    /// notifications, e.g. `checkout-availability/default/page/burn`; the
    /// PagerDuty dedup key and the outbox's ordering key.
    pub key: String,
    /// Firing or resolved.
    pub status: Status,
    /// The alert's severity as configured (`page`, `ticket`, or any word);
    /// PagerDuty maps it to its own scale.
    pub severity: String,
    /// The SLO's name.
    pub slo: String,
    /// The objective's name inside the SLO (`default` when unnamed).
    pub objective: String,
    /// The service the SLO belongs to.
    pub service: String,
    /// One line for titles and pager screens.
    pub summary: String,
    /// A longer human explanation (burn rates, budget left).
    pub description: String,
    /// Extra identifying labels; Alertmanager routes on these. A label named
    /// `alertname` overrides the derived alert name.
    pub labels: BTreeMap<String, String>,
    /// Extra non-identifying information: `runbook_url`, `dashboard`,
    /// `owner`…
    pub annotations: BTreeMap<String, String>,
    /// When the alert condition started to hold.
    pub starts_at: Timestamp,
    /// When it stopped holding; set on resolved notifications.
    pub ends_at: Option<Timestamp>,
    /// Link back to the SLO in Lodestar's dashboard.
    pub generator_url: String,
}

impl Notification {
    /// The Alertmanager alert name: the `alertname` label when given, else
    /// `SLOBurnRate` followed by the capitalised severity
    /// (`SLOBurnRatePage`, `SLOBurnRateTicket`).
    pub fn alert_name(&self) -> String {
        if let Some(name) = self.labels.get("alertname") {
            return name.clone();
        }
        let mut name = String::from("SLOBurnRate");
        let mut chars = self.severity.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
        name
    }

    /// The end time a resolved notification reports: `ends_at` when the
    /// caller set it, else the moment of sending.
    pub fn resolved_at(&self, now: Timestamp) -> Timestamp {
        self.ends_at.unwrap_or(now)
    }
}
