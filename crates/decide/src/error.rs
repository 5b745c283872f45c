//! The one error type of the decision engine. Inputs that cannot be judged
//! (a target outside (0, 1), a non-positive budget, an unsorted series) are
//! refused here rather than turned into silently wrong verdicts; nothing in
//! this file decides anything.

/// Inputs the decision engine refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecideError {
    /// The objective's target must be a fraction strictly between 0 and 1.
    #[error("target {target} of {place} is invalid: expected a fraction strictly between 0 and 1")]
    Target { target: f64, place: &'static str },
    /// The window's error budget must be a positive weight.
    #[error(
        "window budget {budget} of {place} is invalid: expected a positive bad-event weight allowed over the window"
    )]
    Budget { budget: f64, place: &'static str },
    /// Minute series must be strictly ascending.
    #[error(
        "minute series of {place} is not ascending at index {index} (minute {minute} after {previous}): expected strictly increasing minutes"
    )]
    Unsorted {
        place: &'static str,
        index: usize,
        minute: i64,
        previous: i64,
    },
    /// A configuration value outside its range.
    #[error("{field} = {value} in {place} is invalid: expected {expected}")]
    Config {
        field: &'static str,
        value: f64,
        place: &'static str,
        expected: &'static str,
    },
}
