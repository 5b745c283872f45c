//! Thresholds from the specification's examples, malformed values, and the
//! adjusted count against a direct computation for every digit count.

use proptest::prelude::*;

use super::*;

#[test]
fn specification_examples() {
    assert_eq!(threshold("ot=th:0"), Threshold::Count(1.0));
    assert_eq!(threshold("ot=th:8"), Threshold::Count(2.0));
    assert_eq!(threshold("ot=th:c"), Threshold::Count(4.0));
    assert_eq!(threshold("ot=th:C"), Threshold::Count(4.0));
    // 0xfd70a4 / 2^24 ~ 0.99 rejected: about one in a hundred kept.
    let Threshold::Count(c) = threshold("ot=th:fd70a4") else {
        panic!("valid threshold")
    };
    assert!((c - 100.0).abs() < 0.01, "{c}");
    assert_eq!(
        threshold("ot=th:ffffffffffffff"),
        Threshold::Count((1u64 << 56) as f64)
    );
}

#[test]
fn th_is_found_among_other_members_and_keys() {
    assert_eq!(
        threshold("ot=rv:abcdefabcdefab;th:8"),
        Threshold::Count(2.0)
    );
    assert_eq!(
        threshold("vendor=x:1, ot=th:c;rv:01 ,other=y"),
        Threshold::Count(4.0)
    );
    assert_eq!(threshold("vendor=x,\tot=th:8"), Threshold::Count(2.0));
    assert_eq!(
        threshold("rojo=00f067aa0ba902b7,ot=th:0"),
        Threshold::Count(1.0)
    );
}

#[test]
fn absent_threshold() {
    for ts in [
        "",
        "vendor=th:8",
        "ot=rv:abcdefabcdefab",
        "ot=",
        "xot=th:8",
        "ot=p:8",
    ] {
        assert_eq!(threshold(ts), Threshold::Absent, "{ts:?}");
    }
}

#[test]
fn malformed_thresholds() {
    for ts in [
        "ot=th:",
        "ot=th:123456789abcdef",
        "ot=th:xyz",
        "ot=th:8g",
        "ot=th:-1",
        "ot=th:0x8",
    ] {
        assert_eq!(threshold(ts), Threshold::Invalid, "{ts:?}");
    }
}

#[test]
fn sample_rates() {
    assert_eq!(sample_rate("10"), Some(10.0));
    assert_eq!(sample_rate(" 2.5 "), Some(2.5));
    for bad in ["0", "-3", "NaN", "inf", "ten", ""] {
        assert_eq!(sample_rate(bad), None, "{bad:?}");
    }
}

proptest! {
    #[test]
    fn adjusted_count_is_two_to_the_56_over_the_kept_range(t in 0u64..(1 << 56), digits in 1usize..=14) {
        // Keep only `digits` significant hex digits, as a sampler would.
        let shift = 4 * (14 - digits);
        let t = t >> shift << shift;
        let text = format!("{:014x}", t);
        let trimmed = &text[..digits];
        let expected = (1u64 << 56) as f64 / ((1u64 << 56) - t) as f64;
        prop_assert_eq!(threshold(&format!("ot=th:{trimmed}")), Threshold::Count(expected));
        prop_assert!(expected >= 1.0);
    }
}
