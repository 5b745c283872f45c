//! Duration shorthand parsing and printing, including a round-trip
//! property over every unit.

use proptest::prelude::*;

use super::*;

#[test]
fn parses_every_unit() {
    for (text, unit) in [
        ("5m", DurationUnit::Minute),
        ("1h", DurationUnit::Hour),
        ("28d", DurationUnit::Day),
        ("4w", DurationUnit::Week),
        ("1M", DurationUnit::Month),
        ("1Q", DurationUnit::Quarter),
        ("1Y", DurationUnit::Year),
    ] {
        let d = DurationShorthand::parse(text).unwrap();
        assert_eq!(d.unit, unit);
        assert_eq!(d.to_string(), text);
    }
}

#[test]
fn rejects_what_the_shorthand_does_not_allow() {
    let cases = [
        (
            "",
            "expected a duration like 5m, 1h, 28d, 4w, 1M, 1Q or 1Y, got \"\"",
        ),
        (
            "d",
            "expected a duration like 5m, 1h, 28d, 4w, 1M, 1Q or 1Y, got \"d\"",
        ),
        (
            "28",
            "expected a duration with a unit, like 5m, 1h, 28d, 4w, 1M, 1Q or 1Y, got \"28\"",
        ),
        (
            "-1d",
            "expected a duration like 5m, 1h, 28d, 4w, 1M, 1Q or 1Y, got \"-1d\"",
        ),
        (
            "1.5h",
            "expected a duration like 5m, 1h, 28d, 4w, 1M, 1Q or 1Y, got \"1.5h\"",
        ),
        (
            " 1h",
            "expected a duration like 5m, 1h, 28d, 4w, 1M, 1Q or 1Y, got \" 1h\"",
        ),
        (
            "4W",
            "unknown duration unit 'W' in \"4W\"; expected one of m, h, d, w, M, Q, Y",
        ),
        (
            "1s",
            "unknown duration unit 's' in \"1s\"; expected one of m, h, d, w, M, Q, Y",
        ),
        ("0d", "expected a positive duration, got \"0d\""),
        ("99999999999d", "duration \"99999999999d\" is too large"),
        (
            "5é",
            "unknown duration unit 'é' in \"5é\"; expected one of m, h, d, w, M, Q, Y",
        ),
    ];
    for (text, message) in cases {
        assert_eq!(
            DurationShorthand::parse(text),
            Err(message.to_string()),
            "{text:?}"
        );
    }
}

#[test]
fn minutes_only_for_fixed_units() {
    let m = |s: &str| DurationShorthand::parse(s).unwrap().minutes();
    assert_eq!(m("90m"), Some(90));
    assert_eq!(m("2h"), Some(120));
    assert_eq!(m("28d"), Some(40_320));
    assert_eq!(m("2w"), Some(20_160));
    assert_eq!(m("1M"), None);
    assert_eq!(m("1Q"), None);
    assert_eq!(m("1Y"), None);
}

fn unit() -> impl Strategy<Value = DurationUnit> {
    prop_oneof![
        Just(DurationUnit::Minute),
        Just(DurationUnit::Hour),
        Just(DurationUnit::Day),
        Just(DurationUnit::Week),
        Just(DurationUnit::Month),
        Just(DurationUnit::Quarter),
        Just(DurationUnit::Year),
    ]
}

proptest! {
    #[test]
    fn display_then_parse_is_identity(value in 1u32.., unit in unit()) {
        let d = DurationShorthand { value, unit };
        prop_assert_eq!(DurationShorthand::parse(&d.to_string()), Ok(d));
    }

    #[test]
    fn parse_never_panics_and_accepts_only_canonical_text(text in "\\PC{0,6}") {
        if let Ok(d) = DurationShorthand::parse(&text) {
            let canonical = d.to_string();
            // Leading zeros are the one non-canonical spelling accepted.
            prop_assert_eq!(canonical.trim_start_matches('0'), text.trim_start_matches('0'));
        }
    }
}
