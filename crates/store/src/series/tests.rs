use proptest::prelude::*;

use super::*;

/// A series with `n` events (all good, weight 1) at each listed minute.
fn series(points: &[(Minute, u64)]) -> Series {
    let mut s = Series::new(SeriesKey::whole("s"));
    for (m, n) in points {
        let mut b = Bucket::default();
        for _ in 0..*n {
            b.add_event(true, 1.0);
        }
        s.add(*m, &b);
    }
    s
}

fn every_minute(from: Minute, to: Minute) -> Vec<(Minute, u64)> {
    (from..to).map(|m| (m, 1)).collect()
}

/// Asserts the event count `sum` and `for_each` give for each `[from, to)`.
fn check(s: &Series, cases: &[(Minute, Minute, u64)]) {
    for (from, to, want) in cases {
        assert_eq!(
            s.sum(*from, *to).raw_total,
            *want,
            "sum over [{from}, {to})"
        );
        let mut listed = 0;
        s.for_each(*from, *to, &mut |_, b| listed += b.raw_total);
        assert_eq!(listed, *want, "for_each over [{from}, {to})");
    }
}

#[test]
fn hour_helpers_align_to_utc_hours() {
    assert_eq!(
        (
            floor_hour(0),
            floor_hour(59),
            floor_hour(60),
            floor_hour(-1)
        ),
        (0, 0, 60, -60)
    );
    assert_eq!(
        (ceil_hour(0), ceil_hour(1), ceil_hour(60), ceil_hour(-59)),
        (0, 60, 60, 0)
    );
    assert_eq!(
        floor_hour(Minute::MIN),
        Minute::MIN,
        "saturates instead of overflowing"
    );
}

#[test]
fn exact_sums_mix_hours_and_edge_minutes() {
    let s = series(&every_minute(0, 300));
    assert_eq!(s.hours.len(), 5);
    check(
        &s,
        &[
            (0, 300, 300),
            (1, 299, 298),
            (59, 61, 2),
            (30, 30, 0),
            (40, 20, 0),
            (-100, 1000, 300),
            (120, 180, 60),
        ],
    );
}

#[test]
fn below_minutes_from_an_hour_counts_when_its_start_is_in_range() {
    let mut s = series(&every_minute(0, 240));
    let dropped = s.compact(120, 0);
    assert_eq!(
        dropped,
        Dropped {
            minutes: 120,
            hours: 0
        }
    );
    check(
        &s,
        &[
            (30, 90, 60),   // hour 60 whole; hour 0 starts before the range
            (0, 61, 120),   // hours 0 and 60 whole
            (100, 150, 30), // no hour starts in [100, 120); minutes 120..150
            (60, 180, 120), // hour 60 whole, then exact minutes
            (0, 240, 240),
        ],
    );
    let mut keys = Vec::new();
    s.for_each(0, 125, &mut |m, _| keys.push(m));
    assert_eq!(keys, vec![0, 60, 120, 121, 122, 123, 124]);
}

#[test]
fn retention_cut_drops_hours_and_minutes() {
    let mut s = series(&every_minute(0, 240));
    let dropped = s.compact(180, 120);
    assert_eq!(
        dropped,
        Dropped {
            minutes: 180,
            hours: 2
        }
    );
    assert_eq!(s.minutes_from, 180);
    check(&s, &[(0, 240, 120), (0, 120, 0)]);
    // Cuts only move forward.
    s.compact(0, 0);
    assert_eq!(s.minutes_from, 180);
}

#[test]
fn deltas_below_minutes_from_reach_only_the_hour_tier() {
    let mut s = series(&every_minute(120, 130));
    s.compact(120, 0);
    s.add(
        61,
        &Bucket {
            total: 1.0,
            raw_total: 1,
            ..Bucket::default()
        },
    );
    assert_eq!(s.minutes.len(), 10);
    assert_eq!(
        s.hours.cells().iter().map(|h| h.0).collect::<Vec<_>>(),
        vec![60, 120]
    );
    check(&s, &[(60, 61, 1), (61, 120, 0)]);
}

#[test]
fn backfill_inserts_in_order_and_merges_duplicates() {
    let s = series(&[(10, 1), (5, 1), (7, 1), (5, 2), (200, 1), (70, 1)]);
    assert_eq!(
        s.minutes
            .cells()
            .iter()
            .map(|c| (c.minute, c.raw_total))
            .collect::<Vec<_>>(),
        vec![(5, 3), (7, 1), (10, 1), (70, 1), (200, 1)]
    );
    assert_eq!(
        s.hours
            .cells()
            .iter()
            .map(|h| (h.0, h.1.raw_total))
            .collect::<Vec<_>>(),
        vec![(0, 5), (60, 1), (180, 1)]
    );
}

#[test]
fn packed_minute_sketches_merge_like_buckets() {
    let mut s = Series::new(SeriesKey::whole("lat"));
    let mut whole = Bucket::default();
    for (m, v) in [(3, 12.0), (3, 250.0), (4, 0.0), (3, 31.5)] {
        let mut b = Bucket::default();
        b.add_value(v, 2.0);
        s.add(m, &b);
        whole.merge(&b);
    }
    let sum = s.sum(0, 10);
    assert_eq!(sum.values.as_ref().unwrap().count(), 8.0);
    assert_eq!(sum, whole);
    assert_eq!(
        s.minutes.cells()[0].to_bucket().values.unwrap().max(),
        Some(250.0)
    );
}

proptest! {
    #[test]
    fn sums_equal_brute_force_and_for_each(
        points in prop::collection::vec((-200i64..400, 1u64..5), 0..200),
        ranges in prop::collection::vec((-300i64..500, 0i64..400), 1..20),
        cut in prop::option::of(-120i64..300),
    ) {
        let mut s = series(&points);
        if let Some(c) = cut {
            s.compact(floor_hour(c), Minute::MIN);
        }
        for (from, len) in ranges {
            let to = from + len;
            let want: u64 = points
                .iter()
                .filter(|(m, _)| {
                    let k = if *m >= s.minutes_from { *m } else { floor_hour(*m) };
                    from <= k && k < to
                })
                .map(|(_, n)| n)
                .sum();
            prop_assert_eq!(s.sum(from, to).raw_total, want);
            let mut listed = 0;
            let mut last = Minute::MIN;
            s.for_each(from, to, &mut |m, b| {
                assert!(m > last, "ascending");
                last = m;
                listed += b.raw_total;
            });
            prop_assert_eq!(listed, want);
        }
    }
}

/// One step of `prefix_sums_match_the_buckets_for_each_lists`.
#[derive(Clone, Debug)]
enum Step {
    /// (minute, weight in thirds, events, with a latency value)
    Add(Minute, u32, u64, bool),
    /// Raise the minute cut to this hour and the retention cut to `n` hours
    /// before it.
    Compact(Minute, Minute),
}

proptest! {
    #[test]
    fn prefix_sums_match_the_buckets_for_each_lists(
        steps in prop::collection::vec(
            prop_oneof![
                8 => (-300i64..600, 1u32..30, 1u64..5, prop::bool::weighted(0.1))
                    .prop_map(|(m, w, n, v)| Step::Add(m, w, n, v)),
                1 => (-300i64..600, 0i64..4).prop_map(|(m, n)| Step::Compact(m, n)),
            ],
            1..80,
        ),
        ranges in prop::collection::vec((-400i64..700, 0i64..900), 1..10),
    ) {
        let mut s = Series::new(SeriesKey::whole("s"));
        for step in &steps {
            match step {
                Step::Add(m, w, n, v) => {
                    let mut b = Bucket::default();
                    for i in 0..*n {
                        b.add_event(i % 2 == 0, f64::from(*w) / 3.0);
                    }
                    if *v {
                        b.add_value(f64::from(*w), 1.0);
                    }
                    s.add(*m, &b);
                }
                Step::Compact(m, n) => {
                    let cut = floor_hour(*m);
                    s.compact(cut, cut - n * MINUTES_PER_HOUR);
                }
            }
            for (from, len) in &ranges {
                let (from, to) = (*from, from + len);
                let got = s.sum(from, to);
                let mut want = Bucket::default();
                s.for_each(from, to, &mut |_, b| want.merge(b));
                prop_assert_eq!(
                    (got.raw_good, got.raw_total),
                    (want.raw_good, want.raw_total),
                    "[{}, {})", from, to
                );
                for (a, b) in [(got.good, want.good), (got.total, want.total)] {
                    prop_assert!((a - b).abs() <= 1e-12 * a.abs().max(b.abs()), "{} vs {}", a, b);
                }
                let count = |b: &Bucket| b.values.as_ref().map(|v| v.count());
                prop_assert_eq!(count(&got), count(&want));
            }
        }
    }
}
