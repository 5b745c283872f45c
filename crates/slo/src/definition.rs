//! What an objective is, in the evaluator's terms: indicator, budgeting
//! method, window and target.
//!
//! These types are deliberately independent of the spec crate: the server maps
//! parsed OpenSLO documents onto them, so the math never sees YAML. They carry
//! no data and read no clock; `ObjectiveDef::validate` is the one place that
//! says which values make sense.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use thiserror::Error;

use crate::sketch::Sketch;

/// Comparison between an observed value and a threshold: good when
/// `observed op threshold` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Op {
    /// True when `observed op threshold`.
    pub fn holds(self, observed: f64, threshold: f64) -> bool {
        match self {
            Op::Lt => observed < threshold,
            Op::Lte => observed <= threshold,
            Op::Gt => observed > threshold,
            Op::Gte => observed >= threshold,
        }
    }

    /// Weight of the values in `sketch` for which `value op threshold` holds,
    /// at the sketch's bin resolution (values within 1 % of the threshold may
    /// land on either side).
    pub fn weight_holding(self, sketch: &Sketch, threshold: f64) -> f64 {
        let total = sketch.count();
        let w = match self {
            Op::Lt => sketch.weight_below(threshold),
            Op::Lte => sketch.weight_at_most(threshold),
            Op::Gt => total - sketch.weight_at_most(threshold),
            Op::Gte => total - sketch.weight_below(threshold),
        };
        w.clamp(0.0, total)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
        }
    }
}

/// How a slice's values are reduced to one number for a threshold timeslice.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Aggregate {
    /// Quantile in `[0, 1]` (p95 is `Quantile(0.95)`), within 1 %.
    Quantile(f64),
    /// Exact weighted mean.
    Mean,
    /// Exact minimum.
    Min,
    /// Exact maximum.
    Max,
    /// Weighted number of events in the slice.
    Count,
    /// Weighted events per second over the slice's full duration.
    Rate,
}

/// What makes an event (or a slice) good.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Indicator {
    /// Good and total are counted at ingest (`Bucket::good`, `Bucket::total`).
    Ratio,
    /// An event is good when `value op threshold`; for timeslices a slice is
    /// good when `aggregate(slice) op value`.
    Threshold {
        op: Op,
        value: f64,
        aggregate: Aggregate,
    },
}

/// The budgeting method (OpenSLO `budgetingMethod`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Method {
    /// Good and total are event weights over the window.
    Occurrences,
    /// Good and total are slice counts; a ratio slice is good when its
    /// good/total reaches `slice_target`.
    Timeslices {
        slice_minutes: u32,
        slice_target: f64,
    },
    /// The SLI is the mean of per-slice ratios.
    RatioTimeslices { slice_minutes: u32 },
}

impl Method {
    /// Slice length in minutes, `None` for Occurrences.
    pub fn slice_minutes(&self) -> Option<u32> {
        match self {
            Method::Occurrences => None,
            Method::Timeslices { slice_minutes, .. }
            | Method::RatioTimeslices { slice_minutes } => Some(*slice_minutes),
        }
    }
}

/// Unit of a calendar-aligned window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CalendarUnit {
    Week,
    Month,
    Quarter,
    Year,
}

impl CalendarUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            CalendarUnit::Week => "week",
            CalendarUnit::Month => "month",
            CalendarUnit::Quarter => "quarter",
            CalendarUnit::Year => "year",
        }
    }
}

/// The time window an objective is measured over.
#[derive(Clone, Debug, PartialEq)]
pub enum Window {
    /// The last `minutes` minute buckets, ending with the one holding `at`.
    Rolling { minutes: i64 },
    /// Periods of `count` units aligned to `start` (a civil date-time in
    /// `tz`), from the start of the current period up to `at`.
    Calendar {
        unit: CalendarUnit,
        count: u32,
        start: DateTime,
        tz: TimeZone,
    },
}

/// One objective: a target for an indicator under a method over a window.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveDef {
    /// Fraction of good events (or slices) required, in `(0, 1)`.
    pub target: f64,
    pub indicator: Indicator,
    pub method: Method,
    pub window: Window,
}

/// Why an `ObjectiveDef` cannot be evaluated meaningfully.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum DefError {
    #[error("objective target {0} is out of range: expected a fraction strictly between 0 and 1")]
    Target(f64),
    #[error("rolling window of {0} minutes is invalid: expected at least 1 minute")]
    RollingMinutes(i64),
    #[error("calendar window count {0} is invalid: expected at least 1 {1}")]
    CalendarCount(u32, &'static str),
    #[error("timeslice length of {0} minutes is invalid: expected at least 1 minute")]
    SliceMinutes(u32),
    #[error("timeslice target {0} is out of range: expected a fraction in [0, 1]")]
    SliceTarget(f64),
    #[error("threshold value {0} is invalid: expected a finite number")]
    ThresholdValue(f64),
    #[error("aggregate quantile {0} is out of range: expected a fraction in [0, 1]")]
    Quantile(f64),
}

impl ObjectiveDef {
    /// Checks that every number is in range. Evaluation does not panic on an
    /// invalid definition, but its figures mean nothing.
    pub fn validate(&self) -> Result<(), DefError> {
        if !(self.target > 0.0 && self.target < 1.0) {
            return Err(DefError::Target(self.target));
        }
        match &self.window {
            Window::Rolling { minutes } if *minutes < 1 => {
                return Err(DefError::RollingMinutes(*minutes));
            }
            Window::Calendar { unit, count: 0, .. } => {
                return Err(DefError::CalendarCount(0, unit.as_str()));
            }
            _ => {}
        }
        match self.method {
            Method::Occurrences => {}
            Method::Timeslices {
                slice_minutes,
                slice_target,
            } => {
                if slice_minutes == 0 {
                    return Err(DefError::SliceMinutes(slice_minutes));
                }
                if !(0.0..=1.0).contains(&slice_target) {
                    return Err(DefError::SliceTarget(slice_target));
                }
            }
            Method::RatioTimeslices { slice_minutes } => {
                if slice_minutes == 0 {
                    return Err(DefError::SliceMinutes(slice_minutes));
                }
            }
        }
        if let Indicator::Threshold {
            value, aggregate, ..
        } = self.indicator
        {
            if !value.is_finite() {
                return Err(DefError::ThresholdValue(value));
            }
            if let Aggregate::Quantile(q) = aggregate
                && !(0.0..=1.0).contains(&q)
            {
                return Err(DefError::Quantile(q));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
