//! The one error type of the crate: why an alert policy cannot be used.
//!
//! Evaluation itself cannot fail (missing data is a fact it reports, not an
//! error); only building or checking a [`Policy`](crate::Policy) can. Every
//! message names the policy and the condition, the property, the value and
//! what was expected. Nothing here formats for HTTP: the server maps these
//! once at its edge.

use thiserror::Error;

/// Why a policy (from OpenSLO `AlertPolicy`s or written by hand) is invalid.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum PolicyError {
    #[error(
        "alert policy \"{policy}\": condition \"{condition}\": lookbackWindow {value} is invalid: expected at least 1 minute"
    )]
    LookbackTooShort {
        policy: String,
        condition: String,
        value: String,
    },
    #[error(
        "alert policy \"{policy}\": condition \"{condition}\": {property} {value} is invalid: expected a fixed length in m, h, d or w"
    )]
    NotFixedLength {
        policy: String,
        condition: String,
        property: &'static str,
        value: String,
    },
    #[error(
        "alert policy \"{policy}\": condition \"{condition}\": threshold {value} is invalid: expected a finite burn rate of at least 0"
    )]
    Threshold {
        policy: String,
        condition: String,
        value: f64,
    },
    #[error(
        "alert policy \"{policy}\": condition \"{condition}\": short window of {short} minutes is invalid: expected between 1 minute and the long window of {long} minutes"
    )]
    ShortWindow {
        policy: String,
        condition: String,
        short: i64,
        long: i64,
    },
    #[error(
        "alert policy \"{policy}\": condition \"{condition}\": for of {value} minutes is invalid: expected 0 or more"
    )]
    ForMinutes {
        policy: String,
        condition: String,
        value: i64,
    },
    #[error(
        "alert policy \"{policy}\": {property} of {value} minutes is invalid: expected {expected}"
    )]
    Minutes {
        policy: String,
        property: &'static str,
        value: i64,
        expected: &'static str,
    },
}
