use proptest::prelude::*;

use super::*;

#[test]
fn percentages_and_rates() {
    assert_eq!(sli(Some(0.999558358682536)), "99.956 %");
    assert_eq!(sli(Some(0.999)), "99.900 %");
    assert_eq!(budget(Some(0.5583586825359487)), "55.8 %");
    assert_eq!(budget(Some(-0.25)), "-25.0 %");
    assert_eq!(burn(Some(14.4)), "14.40×");
    assert_eq!(sli(None), MISSING);
    assert_eq!(sli(Some(f64::NAN)), MISSING);
    assert_eq!(burn(Some(f64::INFINITY)), MISSING);
}

#[test]
fn counts_are_grouped_by_thousands() {
    assert_eq!(count(Some(15791095.0)), "15\u{202f}791\u{202f}095");
    assert_eq!(count(Some(999.0)), "999");
    assert_eq!(count(Some(1000.0)), "1\u{202f}000");
    assert_eq!(count(Some(15.75)), "15.8");
    assert_eq!(count(Some(0.0)), "0");
    assert_eq!(count(Some(-1234.0)), "-1\u{202f}234");
    assert_eq!(count(None), MISSING);
}

#[test]
fn durations_use_their_two_largest_units() {
    assert_eq!(duration_s(Some(9177835.0)), "106 d 5 h");
    assert_eq!(duration_s(Some(86400.0)), "1 d");
    assert_eq!(duration_s(Some(7500.0)), "2 h 5 min");
    assert_eq!(duration_s(Some(3600.0)), "1 h");
    assert_eq!(duration_s(Some(720.0)), "12 min");
    assert_eq!(duration_s(Some(59.0)), "< 1 min");
    assert_eq!(duration_s(Some(-1.0)), MISSING);
    assert_eq!(duration_s(None), MISSING);
}

#[test]
fn instants_are_written_in_utc_minutes() {
    assert_eq!(instant("2026-11-27T12:00:59.5Z"), "2026-11-27 12:00 UTC");
    assert_eq!(instant("not a time"), "not a time");
}

proptest! {
    #[test]
    fn exact_values_read_back_as_the_same_number(x in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO) {
        let text = exact(Some(x));
        prop_assert_eq!(text.parse::<f64>().unwrap(), x);
    }

    #[test]
    fn no_formatter_panics_or_prints_nan(x in proptest::num::f64::ANY) {
        for text in [sli(Some(x)), budget(Some(x)), burn(Some(x)), count(Some(x)), duration_s(Some(x))] {
            prop_assert!(!text.contains("NaN") && !text.contains("inf"), "{}", text);
        }
    }
}
