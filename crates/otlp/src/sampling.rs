//! How many spans one received span stands for.
//!
//! OpenTelemetry probability sampling ("TraceState: Probability Sampling")
//! records the sampler's rejection threshold in the `th` key of the `ot`
//! member of the W3C `tracestate`: 1 to 14 hex digits of a 56-bit number,
//! with trailing zeros left out (`th:8` is `0x80000000000000`). A span kept
//! with threshold T had probability `1 - T / 2^56` of being kept, so it
//! stands for `2^56 / (2^56 - T)` spans: `th:0` is 1, `th:8` is 2, `th:c`
//! is 4. Pipelines that sample otherwise (Honeycomb-style) put the rate in a
//! `sample_rate` or `SampleRate` attribute; a rate must be a finite number
//! greater than 0, as for NDJSON events. Nothing here allocates.

#[cfg(test)]
mod tests;

/// `2^56`, one more than the largest threshold.
const MAX_ADJUSTED_COUNT: u64 = 1 << 56;

/// What a `tracestate` says about sampling.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    /// No `th` in an `ot` member.
    Absent,
    /// A valid threshold, as an adjusted count (>= 1).
    Count(f64),
    /// A `th` value that is not 1 to 14 hex digits.
    Invalid,
}

/// The sampling threshold of a span with this W3C `tracestate`, from the
/// `th` key of its first `ot` member.
pub fn threshold(tracestate: &str) -> Threshold {
    if tracestate.is_empty() {
        return Threshold::Absent;
    }
    let Some(th) = th_value(tracestate) else {
        return Threshold::Absent;
    };
    if th.is_empty() || th.len() > 14 {
        return Threshold::Invalid;
    }
    let mut t: u64 = 0;
    for b in th.bytes() {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            // The spec writes lowercase; uppercase means the same number.
            b'A'..=b'F' => b - b'A' + 10,
            _ => return Threshold::Invalid,
        };
        t = t << 4 | u64::from(digit);
    }
    let t = t << (4 * (14 - th.len()));
    Threshold::Count(MAX_ADJUSTED_COUNT as f64 / (MAX_ADJUSTED_COUNT - t) as f64)
}

/// The value of `th` in the first `ot` list member, if any.
fn th_value(tracestate: &str) -> Option<&str> {
    let ot = tracestate
        .split(',')
        .map(|member| member.trim_matches([' ', '\t']))
        .find_map(|member| member.strip_prefix("ot="))?;
    ot.split(';').find_map(|kv| kv.strip_prefix("th:"))
}

/// A `sample_rate` attribute value: a finite number greater than 0.
pub(crate) fn sample_rate(text: &str) -> Option<f64> {
    let rate: f64 = text.trim().parse().ok()?;
    (rate.is_finite() && rate > 0.0).then_some(rate)
}
