//! Durable alert notifications for Lodestar: Prometheus Alertmanager (API
//! v2), a signed generic webhook, Slack incoming webhooks and PagerDuty
//! Events API v2.
//!
//! The alert loop builds a [`Notification`] for each state change (and, for
//! targets whose [`Target::needs_refresh`], a refresh of a firing alert
//! every [`alertmanager::RESEND_INTERVAL`]), puts it in the [`Outbox`] with
//! the names of the targets it goes to, and calls
//! [`Outbox::deliver_due`] from a blocking thread whenever
//! [`Outbox::next_due`] has passed. The outbox keeps every item on disk
//! until it is delivered or given up, retries with backoff, and keeps
//! per-target figures ([`Outbox::stats`]) for the API and `/metrics`.
//!
//! This crate does IO (HTTP, one directory) but reads no clock: every
//! operation takes `now`. It has no async runtime and knows nothing of SLO
//! math or the spec format; the server maps OpenSLO AlertNotificationTargets
//! to [`Target::parse`].

pub mod alertmanager;
mod error;
mod notification;
mod outbox;
pub mod pagerduty;
pub mod slack;
mod target;
mod transport;
pub mod webhook;

pub use error::{Error, Result};
pub use notification::{Notification, Status};
pub use outbox::{
    Delivery, FIRST_RETRY, GIVE_UP_AFTER, MAX_RETRY, Outbox, Outcome, Pending, TargetStats,
    retry_delay,
};
pub use target::{Attempt, PAGERDUTY_EVENTS_URL, Target, TargetConfig, TargetName, TargetSet};
pub use transport::{HttpRequest, HttpResponse, HttpTransport, REQUEST_TIMEOUT, Transport};
