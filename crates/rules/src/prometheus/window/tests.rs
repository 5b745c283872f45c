use proptest::prelude::*;

use super::{Source, name, short_for, source, subquery_range};

#[test]
fn names_are_compound_durations() {
    assert_eq!(name(5), "5m");
    assert_eq!(name(90), "1h30m");
    assert_eq!(name(1440), "1d");
    assert_eq!(name(144), "2h24m");
    assert_eq!(name(43_200), "30d");
    assert_eq!(subquery_range(60), "59m59s999ms");
    assert_eq!(subquery_range(43_200), "29d23h59m59s999ms");
}

#[test]
fn windows_chain_from_5m_up_to_6h_then_from_hours() {
    assert_eq!(source(5), Some(Source::Raw));
    assert_eq!(source(30), Some(Source::Chain(5)));
    assert_eq!(source(360), Some(Source::Chain(5)));
    assert_eq!(source(390), Some(Source::Chain(5)));
    assert_eq!(source(1440), Some(Source::Chain(60)));
    assert_eq!(source(1470), Some(Source::Chain(5)));
    assert_eq!(source(7), None);
    assert_eq!(source(0), None);
}

#[test]
fn short_windows_are_a_twelfth_in_whole_blocks() {
    assert_eq!(short_for(60), 5);
    assert_eq!(short_for(360), 30);
    assert_eq!(short_for(1440), 120);
    assert_eq!(short_for(4320), 360);
    assert_eq!(short_for(5), 5);
    assert_eq!(short_for(90), 10);
}

/// Points a subquery `[range:step]` evaluated at `t` picks: multiples of
/// `step` in `[t - range, t]` (Prometheus 2.x, both ends included) or in
/// `(t - range, t]` (3.x). Milliseconds.
fn points(t: i64, range: i64, step: i64, left_open: bool) -> i64 {
    let first = if left_open { t - range + 1 } else { t - range };
    let first_point =
        first.div_euclid(step) * step + if first.rem_euclid(step) == 0 { 0 } else { step };
    if first_point > t {
        0
    } else {
        (t - first_point) / step + 1
    }
}

proptest! {
    /// Whatever the evaluation phase and Prometheus version, the chained
    /// subquery sums exactly window/step blocks: none twice, none missed.
    #[test]
    fn chained_subqueries_pick_exactly_the_blocks_of_the_window(
        blocks in 1i64..800,
        hourly in any::<bool>(),
        k in 0i64..1_000_000,
        phase in 0i64..3_600_000,
        left_open in any::<bool>(),
    ) {
        let step_minutes = if hourly { 60 } else { 5 };
        let minutes = blocks * step_minutes;
        let step = step_minutes * 60_000;
        let range = minutes * 60_000 - 1;
        prop_assert_eq!(subquery_range(minutes), super::compound(range));
        let t = k * step + phase % step;
        prop_assert_eq!(points(t, range, step, left_open), blocks);
    }

    #[test]
    fn every_5m_multiple_has_a_chain_whose_step_divides_it(blocks in 1i64..20_000) {
        let m = blocks * 5;
        match source(m) {
            Some(Source::Raw) => prop_assert_eq!(m, 5),
            Some(Source::Chain(step)) => prop_assert_eq!(m % step, 0),
            None => prop_assert!(false, "{m} has no source"),
        }
    }
}
