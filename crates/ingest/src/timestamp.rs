//! Event timestamps: RFC 3339 text or epoch milliseconds, to epoch
//! milliseconds.
//!
//! Almost every producer writes `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±hh:mm)`, so
//! that exact shape is parsed by hand without allocation; anything else
//! (lowercase or space separators aside, which the fast path takes) goes to
//! `jiff`, whose answer the fast path must always agree with. Sub-millisecond
//! digits are truncated toward the past (floor), so an event never lands in
//! a later minute than it happened. No clock is read here.

use crate::error::TimestampError;

/// Largest accepted epoch millisecond: 9999-12-31T23:59:59.999Z, jiff's range.
pub(crate) const MAX_MS: i64 = 253_402_300_799_999;
/// Smallest accepted epoch millisecond: -9999-01-01T00:00:00Z.
pub(crate) const MIN_MS: i64 = -377_705_116_800_000;

/// Parses an RFC 3339 timestamp into epoch milliseconds.
pub fn parse_timestamp(text: &str) -> Result<i64, TimestampError> {
    if let Some(ms) = parse_fast(text.as_bytes()) {
        return Ok(ms);
    }
    match text.parse::<jiff::Timestamp>() {
        Ok(ts) => Ok(ts.as_nanosecond().div_euclid(1_000_000) as i64),
        Err(e) => Err(TimestampError {
            text: text.chars().take(64).collect(),
            reason: e.to_string(),
        }),
    }
}

/// Epoch milliseconds from a JSON number; fractions are floored.
pub(crate) fn millis_from_number(n: f64) -> Option<i64> {
    let floored = n.floor();
    (floored >= MIN_MS as f64 && floored <= MAX_MS as f64).then_some(floored as i64)
}

/// The common shape, or `None` to defer to jiff (which also produces the
/// error message for malformed input).
#[inline]
fn parse_fast(b: &[u8]) -> Option<i64> {
    if b.len() < 20 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    // Leap seconds (:60) and anything out of range go to jiff.
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 || n > 9 {
            return None;
        }
        for _ in n..3 {
            millis *= 10;
        }
    }
    let offset_secs = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = digits(b, i + 1, 2)?;
            let om = digits(b, i + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = oh * 3600 + om * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(secs * 1000 + millis)
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let mut v = 0i64;
    for &c in b.get(at..at + n)? {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
#[inline]
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// RFC 3339 text of epoch milliseconds, for messages.
pub(crate) fn format_millis(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.to_string(),
        Err(_) => format!("{ms} ms"),
    }
}

#[cfg(test)]
mod tests;
