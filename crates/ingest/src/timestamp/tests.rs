//! Timestamp parsing: the fast path, the jiff fallback, and their agreement.

use proptest::prelude::*;

use super::*;

/// `text` parses to `expected` epoch milliseconds.
fn check(text: &str, expected: i64) {
    assert_eq!(parse_timestamp(text), Ok(expected), "{text}");
}

fn jiff_ms(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>()
        .unwrap()
        .as_nanosecond()
        .div_euclid(1_000_000) as i64
}

#[test]
fn rfc3339_variants() {
    check("1970-01-01T00:00:00Z", 0);
    check("2025-01-31T12:00:00Z", 1_738_324_800_000);
    check("2025-01-31T12:00:00.250Z", 1_738_324_800_250);
    check("2025-01-31T12:00:00.2Z", 1_738_324_800_200);
    check("2025-01-31T12:00:00.25Z", 1_738_324_800_250);
    // Sub-millisecond digits are truncated, never rounded up into the next ms.
    check("2025-01-31T12:00:00.999999999Z", 1_738_324_800_999);
    check("2025-01-31t12:00:00z", 1_738_324_800_000);
    check("2025-01-31 12:00:00Z", 1_738_324_800_000);
    check("2025-01-31T14:00:00+02:00", 1_738_324_800_000);
    check("2025-01-31T06:30:00-05:30", 1_738_324_800_000);
    check("2025-01-31T12:00:00-00:00", 1_738_324_800_000);
    check("2024-02-29T00:00:00Z", 1_709_164_800_000);
    check("2000-02-29T00:00:00Z", 951_782_400_000);
    check("1969-12-31T23:59:59.500Z", -500);
}

#[test]
fn fallback_shapes_go_through_jiff() {
    // Not the fast shape, still valid for jiff.
    for text in [
        "2025-01-31T12:00:00+0200",
        "2025-01-31T12:00:00+02",
        "2025-01-31T12:00:00+02:00[Europe/Paris]",
        "2016-12-31T23:59:60Z",
    ] {
        assert_eq!(parse_timestamp(text), Ok(jiff_ms(text)), "{text}");
    }
}

#[test]
fn rejects_what_is_not_a_timestamp() {
    for text in [
        "",
        "yesterday",
        "2025-01-31",
        "2025-01-31T12:00:00",
        "2025-13-01T00:00:00Z",
        "2025-02-29T00:00:00Z",
        "2025-01-31T24:00:01Z",
        "2025-01-31T12:00:00.Z",
        "2025-01-31T12:00:00ZZ",
        "2025-01-31T12:00:00.1234567891Z",
    ] {
        let err = parse_timestamp(text).expect_err(text);
        assert!(
            err.to_string().starts_with("unparseable timestamp"),
            "{err}"
        );
    }
}

#[test]
fn epoch_millis_from_numbers() {
    assert_eq!(
        millis_from_number(1_738_324_800_250.0),
        Some(1_738_324_800_250)
    );
    assert_eq!(
        millis_from_number(1_738_324_800_250.9),
        Some(1_738_324_800_250)
    );
    assert_eq!(millis_from_number(-0.5), Some(-1));
    assert_eq!(millis_from_number(1e20), None);
    assert_eq!(millis_from_number(MAX_MS as f64), Some(MAX_MS));
}

proptest! {
    #[test]
    fn fast_path_agrees_with_jiff(
        ms in MIN_MS / 2..MAX_MS,
        frac_digits in 0usize..=9,
        sub_ms in 0u32..1_000_000,
        offset_min in -(23 * 60 + 59)..=(23 * 60 + 59i32),
    ) {
        let ts = jiff::Timestamp::from_millisecond(ms).unwrap();
        let offset = jiff::tz::Offset::from_seconds(offset_min * 60).unwrap();
        let dt = offset.to_datetime(ts);
        let nanos = (ms.rem_euclid(1000) as u32) * 1_000_000 + sub_ms;
        let frac = if frac_digits == 0 {
            String::new()
        } else {
            format!(".{:09}", nanos)[..=frac_digits].to_owned()
        };
        let off = if offset_min == 0 && frac_digits % 2 == 0 {
            "Z".to_owned()
        } else {
            let a = offset_min.abs();
            format!("{}{:02}:{:02}", if offset_min < 0 { '-' } else { '+' }, a / 60, a % 60)
        };
        prop_assume!(dt.year() >= 0);
        let text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}{off}",
            dt.year(), dt.month(), dt.day(), dt.hour(), dt.minute(), dt.second()
        );
        prop_assert!(parse_fast(text.as_bytes()).is_some(), "fast path declined {}", text);
        prop_assert_eq!(parse_timestamp(&text), Ok(jiff_ms(&text)), "{}", text);
    }
}
