use super::*;

const THIRTY_DAYS: i64 = 30 * 1440;

#[test]
fn factors_match_the_sre_workbook_for_thirty_days() {
    let f: Vec<f64> = STANDARD_RULES
        .iter()
        .map(|r| r.factor(THIRTY_DAYS))
        .collect();
    for (got, want) in f.iter().zip([14.4, 6.0, 3.0, 1.0]) {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
}

#[test]
fn factors_scale_with_the_window() {
    assert!((PAGE_FAST.factor(28 * 1440) - 13.44).abs() < 1e-9);
    assert!((PAGE_SLOW.factor(7 * 1440) - 1.4).abs() < 1e-9);
}

#[test]
fn a_rule_needs_both_windows_over_the_factor() {
    assert!(PAGE_FAST.fires(Some(15.0), Some(14.4), THIRTY_DAYS));
    assert!(!PAGE_FAST.fires(Some(15.0), Some(14.0), THIRTY_DAYS));
    assert!(!PAGE_FAST.fires(Some(14.0), Some(20.0), THIRTY_DAYS));
    assert!(!PAGE_FAST.fires(None, Some(20.0), THIRTY_DAYS));
    assert!(!PAGE_FAST.fires(Some(20.0), None, THIRTY_DAYS));
}
