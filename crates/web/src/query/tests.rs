use proptest::prelude::*;

use super::*;

#[test]
fn ranges_parse_in_every_unit_and_print_back() {
    for (raw, minutes, text) in [
        ("90m", 90, "90m"),
        ("6h", 360, "6h"),
        ("7d", 10080, "7d"),
        ("2w", 20160, "14d"),
        (" 1d ", 1440, "1d"),
    ] {
        let r = TimeRange::parse(raw).unwrap();
        assert_eq!(r.minutes(), minutes, "{raw}");
        assert_eq!(r.to_string(), text);
    }
}

#[test]
fn ranges_outside_bounds_or_malformed_are_refused_with_the_input() {
    assert_eq!(
        TimeRange::parse("4m"),
        Err(RangeError::OutOfBounds("4m".into()))
    );
    assert_eq!(
        TimeRange::parse("91d"),
        Err(RangeError::OutOfBounds("91d".into()))
    );
    for bad in ["", "d", "7", "7y", "-1h", "1.5h", "99999999999999999w"] {
        let e = TimeRange::parse(bad).unwrap_err();
        assert!(e.to_string().contains("range="), "{e}");
    }
}

#[test]
fn unknown_sorts_fall_back_to_spec_order() {
    assert_eq!(Sort::parse("burn"), Sort::Burn);
    assert_eq!(Sort::parse("sideways"), Sort::Spec);
    for s in Sort::ALL {
        assert_eq!(Sort::parse(s.as_str()), s);
    }
}

#[test]
fn at_suffix_encodes_the_instant() {
    assert_eq!(at_suffix(None), "");
    assert_eq!(
        at_suffix(Some("2026-11-27T12:00:00+01:00")),
        "?at=2026-11-27T12%3A00%3A00%2B01%3A00"
    );
}

proptest! {
    #[test]
    fn every_valid_range_round_trips(minutes in 5i64..=129600) {
        let r = TimeRange::parse(&format!("{minutes}m")).unwrap();
        prop_assert_eq!(TimeRange::parse(&r.to_string()).unwrap(), r);
    }
}
