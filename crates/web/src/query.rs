//! What a page's URL asks for, validated: the instant, the chart range, the
//! overview's filters and order. Pages write these back into their links
//! and forms, so a copied URL shows a colleague the same view. Parsing
//! only: the server reads the query string and the clock.

use std::fmt;

use crate::escape::url_component;

/// A chart range: a whole number of minutes from 5 minutes to 90 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    minutes: i64,
}

/// Why a `range=` value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RangeError {
    #[error(
        "query parameter range={0:?}: expected a whole number and a unit m, h, d or w (like 6h or 7d)"
    )]
    Syntax(String),
    #[error("query parameter range={0:?}: expected from 5m to 90d")]
    OutOfBounds(String),
}

impl TimeRange {
    /// The ranges the time picker offers.
    pub const PRESETS: [TimeRange; 5] = [
        TimeRange { minutes: 60 },
        TimeRange { minutes: 360 },
        TimeRange { minutes: 1440 },
        TimeRange { minutes: 7 * 1440 },
        TimeRange { minutes: 28 * 1440 },
    ];
    /// Seven days: long enough to show last week's incidents.
    pub const DEFAULT: TimeRange = TimeRange { minutes: 7 * 1440 };
    const MIN: i64 = 5;
    const MAX: i64 = 90 * 1440;

    /// Parses `6h`, `90m`, `7d`, `2w`.
    pub fn parse(raw: &str) -> Result<TimeRange, RangeError> {
        let t = raw.trim();
        let syntax = || RangeError::Syntax(raw.to_string());
        let unit = t.chars().last().ok_or_else(syntax)?;
        let per = match unit {
            'm' => 1,
            'h' => 60,
            'd' => 1440,
            'w' => 7 * 1440,
            _ => return Err(syntax()),
        };
        let n: i64 = t[..t.len() - 1].parse().map_err(|_| syntax())?;
        let minutes = n.checked_mul(per).ok_or_else(syntax)?;
        if !(Self::MIN..=Self::MAX).contains(&minutes) {
            return Err(RangeError::OutOfBounds(raw.to_string()));
        }
        Ok(TimeRange { minutes })
    }

    pub fn minutes(self) -> i64 {
        self.minutes
    }
}

impl Default for TimeRange {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for TimeRange {
    /// The shortest unit that divides it: `7d`, `6h`, `90m` (weeks are
    /// written in days, as the presets are).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.minutes;
        if m % 1440 == 0 {
            write!(f, "{}d", m / 1440)
        } else if m % 60 == 0 {
            write!(f, "{}h", m / 60)
        } else {
            write!(f, "{m}m")
        }
    }
}

/// The overview's row order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Journey order, then spec order (as the specs list them).
    #[default]
    Spec,
    Name,
    /// Worst status first.
    Status,
    /// Least budget remaining first.
    Budget,
    /// Fastest burn first.
    Burn,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::Spec,
        Sort::Name,
        Sort::Status,
        Sort::Budget,
        Sort::Burn,
    ];

    /// Unknown values fall back to the default order: a stale bookmark
    /// still shows the page.
    pub fn parse(raw: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .unwrap_or_default()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Spec => "spec",
            Sort::Name => "name",
            Sort::Status => "status",
            Sort::Budget => "budget",
            Sort::Burn => "burn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Spec => "as specified",
            Sort::Name => "name",
            Sort::Status => "worst status",
            Sort::Budget => "least budget left",
            Sort::Burn => "fastest burn",
        }
    }
}

/// The overview's URL state. Empty strings mean "no filter".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OverviewQuery {
    /// The `at=` the URL gave (RFC 3339 or epoch seconds), kept verbatim
    /// for links; `None` follows the clock.
    pub at: Option<String>,
    /// Case-insensitive text searched in names, display names, services, owners.
    pub q: String,
    pub service: String,
    pub owner: String,
    pub status: String,
    pub sort: Sort,
}

/// The SLO and journey pages' URL state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DetailQuery {
    /// As in [`OverviewQuery::at`].
    pub at: Option<String>,
    pub range: TimeRange,
}

/// `?at=…` (or nothing) to append to a link so the target page shows the
/// same instant.
pub fn at_suffix(at: Option<&str>) -> String {
    match at {
        Some(a) => format!("?at={}", url_component(a)),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
