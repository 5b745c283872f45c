use std::collections::BTreeMap;

use proptest::prelude::*;
use slo::evaluation::burn_rate_of;
use slo::{CalendarUnit, Indicator, Method, STANDARD_BURN_WINDOWS, evaluate, minute_of};

use super::*;

fn ratio(method: Method) -> ObjectiveDef {
    ObjectiveDef {
        target: 0.99,
        indicator: Indicator::Ratio,
        method,
        window: Window::Rolling { minutes: 60 },
    }
}

fn bucket(good: u64, total: u64) -> Bucket {
    Bucket {
        good: good as f64,
        total: total as f64,
        raw_good: good,
        raw_total: total,
        values: None,
    }
}

#[test]
fn occurrences_count_events() {
    let data: BTreeMap<Minute, Bucket> = (0..10).map(|m| (m, bucket(9, 10))).collect();
    let def = ratio(Method::Occurrences);
    let counts = EmbeddedCounts {
        def: &def,
        data: &data,
    };
    let t = counts.tally(2, 5);
    assert_eq!(
        (t.good, t.total, t.raw_good, t.raw_total),
        (27.0, 30.0, 27, 30)
    );
}

#[test]
fn timeslices_count_slices() {
    // Slices of 5 minutes; minute 7 is all bad, so slice [5, 10) misses 95 %.
    let mut data: BTreeMap<Minute, Bucket> = (0..10).map(|m| (m, bucket(10, 10))).collect();
    data.insert(7, bucket(0, 10));
    let def = ratio(Method::Timeslices {
        slice_minutes: 5,
        slice_target: 0.95,
    });
    let counts = EmbeddedCounts {
        def: &def,
        data: &data,
    };
    let t = counts.tally(0, 10);
    assert_eq!((t.good, t.total), (1.0, 2.0));
    assert_eq!(t.raw_total, 100);
}

#[test]
fn prefix_sums_answer_like_the_source() {
    let data: BTreeMap<Minute, Bucket> = (0..100).map(|m| (m, bucket(m as u64, 100))).collect();
    let sums = PrefixSums::new(&data, 10, 90);
    for (from, to) in [(10, 90), (20, 21), (50, 40), (0, 100), (5, 15), (85, 95)] {
        assert_eq!(sums.sum(from, to), data.sum(from, to), "[{from}, {to})");
    }
    let mut seen = Vec::new();
    sums.for_each(30, 33, &mut |m, _| seen.push(m));
    assert_eq!(seen, [30, 31, 32]);
}

#[test]
fn prefix_sums_merge_sketches_instead_of_subtracting() {
    let mut data = BTreeMap::new();
    for m in 0..5 {
        let mut b = Bucket::default();
        b.add_value(m as f64 * 10.0 + 1.0, 1.0);
        data.insert(m, b);
    }
    let sums = PrefixSums::new(&data, 0, 5);
    let s = sums.sum(1, 4);
    assert_eq!(s, data.sum(1, 4));
    assert!(s.values.is_some());
}

proptest! {
    #[test]
    fn prefix_sums_equal_walked_sums(
        counts in proptest::collection::vec((0u64..50, 0u64..50), 0..60),
        a in -5i64..70,
        b in -5i64..70,
    ) {
        let data: BTreeMap<Minute, Bucket> = counts
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| *t > 0)
            .map(|(m, (g, t))| (m as Minute, bucket((*g).min(*t), *t)))
            .collect();
        let sums = PrefixSums::new(&data, 0, counts.len() as Minute);
        prop_assert_eq!(sums.sum(a, b), data.sum(a, b));
    }
}

#[test]
fn burn_rates_and_window_agree_with_slo_evaluate_on_a_calendar_timeslice_slo() {
    // A month in +05:30 starts at hh:30 UTC, so hour slices anchored at the
    // epoch and at the period start differ: the anchor must be the period's.
    let def = ObjectiveDef {
        target: 0.99,
        indicator: Indicator::Ratio,
        method: Method::Timeslices {
            slice_minutes: 60,
            slice_target: 0.99,
        },
        window: Window::Calendar {
            unit: CalendarUnit::Month,
            count: 1,
            start: jiff::civil::date(2024, 1, 1).at(0, 0, 0, 0),
            tz: jiff::tz::TimeZone::get("Asia/Kolkata").unwrap(),
        },
    };
    let at: jiff::Timestamp = "2024-03-03T10:17:30Z".parse().unwrap();
    let end = minute_of(at) + 1;
    let data: BTreeMap<Minute, Bucket> = (end - 6 * 1440..end)
        .map(|m| {
            (
                m,
                if m % 97 == 0 {
                    bucket(0, 100)
                } else {
                    bucket(100, 100)
                },
            )
        })
        .collect();
    let counts = EmbeddedCounts {
        def: &def,
        data: &data,
    };
    let e = evaluate(&def, &data, at);
    let window = counts.tally(e.window_from, e.window_to);
    assert_eq!((window.good, window.total), (e.good, e.total));
    let epoch_aligned = tally(&def, &data, e.window_from, e.window_to, 0);
    assert_ne!(
        (epoch_aligned.good, epoch_aligned.total),
        (e.good, e.total),
        "the data must tell the two alignments apart"
    );
    for (_, minutes) in STANDARD_BURN_WINDOWS {
        let mine = burn_rate_of(def.target, &counts.tally(end - minutes, end));
        assert_eq!(mine, e.burn_rate(minutes), "{minutes} minutes");
    }
}

#[test]
fn burn_rates_agree_with_slo_evaluate_on_a_rolling_occurrences_slo() {
    let def = ObjectiveDef {
        target: 0.999,
        indicator: Indicator::Ratio,
        method: Method::Occurrences,
        window: Window::Rolling { minutes: 30 * 1440 },
    };
    let at: jiff::Timestamp = "2024-03-03T10:17:30Z".parse().unwrap();
    let end = minute_of(at) + 1;
    let data: BTreeMap<Minute, Bucket> = (end - 5 * 1440..end)
        .map(|m| (m, bucket(1000 - (m % 5) as u64, 1000)))
        .collect();
    let sums = PrefixSums::new(&data, end - 5 * 1440, end);
    let counts = EmbeddedCounts {
        def: &def,
        data: &sums,
    };
    let e = evaluate(&def, &data, at);
    for (_, minutes) in STANDARD_BURN_WINDOWS {
        let mine = burn_rate_of(def.target, &counts.tally(end - minutes, end)).unwrap();
        let theirs = e.burn_rate(minutes).unwrap();
        assert!((mine - theirs).abs() < 1e-9 * theirs, "{minutes} minutes");
    }
}
