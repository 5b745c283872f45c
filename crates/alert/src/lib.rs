//! Alerting on SLOs, as pure functions of data and time: multi-window
//! multi-burn-rate conditions (Google SRE Workbook, chapter 5) scaled to the
//! SLO window, OpenSLO alert policies, alert state with pending, flap
//! damping and silences, and replay of history.
//!
//! The pieces, in the order data flows through them:
//! - [`Policy`]: what to alert on ([`Policy::workbook`],
//!   [`Policy::from_spec`]).
//! - [`Counts`]: good and total over minute ranges ([`EmbeddedCounts`] over
//!   bucket data; the server implements it over PromQL).
//! - [`observe`]: one minute's burn rates, traffic, no-data and budget facts.
//! - [`Tracker`]: alert phases across minutes, one alert per SLO objective,
//!   severity and kind, with [`Transition`]s to notify.
//! - [`replay`]: the same path over a past range, as alert intervals.
//!
//! **Architecture invariant:** no IO, no clock, no threads, no async. Time
//! is always a parameter (minutes since the Unix epoch, `slo::Minute`), so a
//! replay of the past yields what the live path notified. Sending
//! notifications is another crate's business; silences (maintenance
//! windows) arrive as minute ranges, and excluded data is removed from the
//! counts by the caller.

mod counts;
mod error;
mod observe;
mod policy;
mod replay;
mod tracker;

pub use counts::{Counts, EmbeddedCounts, PrefixSums};
pub use error::PolicyError;
pub use observe::{ConditionObservation, Observation, compares, observe};
pub use policy::{
    BurnCondition, DEFAULT_KEEP_FIRING_MINUTES, DEFAULT_MIN_PAGE_EVENTS, DEFAULT_NO_DATA_MINUTES,
    Policy, Severity, WORKBOOK_WINDOW_MINUTES,
};
pub use replay::{AlertInterval, AlertSubject, Replay, replay, rolling_window};
pub use tracker::{AlertKey, AlertKind, Phase, Tracker, Transition, minutes_text, threshold_text};
