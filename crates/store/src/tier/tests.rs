use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;
use crate::series::MinuteCell;

type Hours = Tier<(Minute, Bucket)>;
type Minutes = Tier<MinuteCell>;

#[derive(Clone, Debug)]
enum Op {
    /// Merge a delta at key `k * STEP`: (k, weight, events, with a sketch).
    Add(Minute, Weight, u64, bool),
    /// Drop the cells keyed below `k * STEP`.
    DropBelow(Minute),
}

#[derive(Clone, Copy, Debug)]
enum Weight {
    Integral(u64),
    /// `k / 3`: rounds, unlike the dyadic weights the model test uses.
    Thirds(u64),
}

fn delta(w: Weight, events: u64, sketch: bool) -> Bucket {
    let weight = match w {
        Weight::Integral(k) => k as f64,
        Weight::Thirds(k) => k as f64 / 3.0,
    };
    let mut b = Bucket {
        good: weight * (events / 2) as f64,
        total: weight * events as f64,
        raw_good: events / 2,
        raw_total: events,
        values: None,
    };
    if sketch {
        b.add_value(events as f64, 1.0);
    }
    b
}

fn op() -> impl Strategy<Value = Op> {
    let weight = prop_oneof![
        (0u64..1 << 40).prop_map(Weight::Integral),
        (1u64..1000).prop_map(Weight::Thirds),
    ];
    prop_oneof![
        8 => (0i64..120, weight, 1u64..20, prop::bool::weighted(0.2))
            .prop_map(|(k, w, n, s)| Op::Add(k, w, n, s)),
        1 => (0i64..120).prop_map(Op::DropBelow),
    ]
}

/// Direct sum of `cells[r]`, cell by cell.
fn direct<C: Cell>(tier: &Tier<C>, r: Range<usize>) -> Counts {
    let mut sum = Counts::default();
    for c in &tier.cells()[r] {
        let x = c.counts();
        sum.good += x.good;
        sum.total += x.total;
        sum.raw_good += x.raw_good;
        sum.raw_total += x.raw_total;
    }
    sum
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// Checks every invariant of `tier.rs` against the tier's own cells and
/// against `model` (key → raw events merged there); ranges are in steps.
fn check<C: Cell>(
    tier: &Tier<C>,
    model: &BTreeMap<Minute, u64>,
    integral: bool,
    ranges: &[(i64, i64)],
) {
    let keys: Vec<Minute> = tier.cells().iter().map(C::key).collect();
    assert_eq!(keys, model.keys().copied().collect::<Vec<_>>());
    let raw: Vec<u64> = tier.cells().iter().map(|c| c.counts().raw_total).collect();
    assert_eq!(raw, model.values().copied().collect::<Vec<_>>());
    let sketched = tier.cells().iter().filter(|c| c.has_sketch()).count();
    assert_eq!(tier.sketched, sketched);
    assert_eq!(tier.prefix.len(), tier.cells.len());
    for (from, len) in ranges {
        let (from, to) = (from * C::STEP, (from + len) * C::STEP);
        let r = tier.range(from, to);
        assert_eq!(
            r.len(),
            keys.iter().filter(|k| (from..to).contains(*k)).count(),
            "cells in [{from}, {to})"
        );
        let got = tier.counts(r.clone());
        let want = direct(tier, r.clone());
        assert_eq!(
            (got.raw_good, got.raw_total),
            (want.raw_good, want.raw_total),
            "raw counts over {r:?}"
        );
        if integral {
            assert_eq!((got.good, got.total), (want.good, want.total), "{r:?}");
        } else {
            assert!(
                close(got.good, want.good) && close(got.total, want.total),
                "{r:?}: {got:?} vs {want:?}"
            );
        }
        let walked = if sketched == 0 { 0 } else { r.len() };
        assert_eq!(tier.sketch_cells(r).len(), walked);
    }
}

/// Runs `ops` on an empty tier, checking after each; returns the tier.
fn run<C: Cell + Clone>(ops: &[Op], ranges: &[(i64, i64)]) -> Tier<C> {
    let mut tier = Tier::<C>::default();
    let mut model: BTreeMap<Minute, u64> = BTreeMap::new();
    let mut integral = true;
    for op in ops {
        match op {
            Op::Add(k, w, n, s) => {
                integral &= matches!(w, Weight::Integral(_));
                let d = delta(*w, *n, *s);
                tier.add(k * C::STEP, &d);
                *model.entry(k * C::STEP).or_default() += d.raw_total;
            }
            Op::DropBelow(k) => {
                let dropped = tier.drop_below(k * C::STEP);
                let before = model.len();
                model.retain(|m, _| *m >= k * C::STEP);
                assert_eq!(dropped, before - model.len());
            }
        }
        check(&tier, &model, integral, ranges);
    }
    // Decoding a snapshot builds the same tier from its cells.
    let rebuilt = Tier::<C>::from_cells(tier.cells().to_vec());
    check(&rebuilt, &model, integral, ranges);
    tier
}

proptest! {
    #[test]
    fn prefix_sums_equal_direct_sums_after_inserts_merges_and_drops(
        ops in prop::collection::vec(op(), 1..120),
        ranges in prop::collection::vec((-10i64..130, 0i64..140), 1..12),
    ) {
        run::<(Minute, Bucket)>(&ops, &ranges);
        run::<MinuteCell>(&ops, &ranges);
    }

    #[test]
    fn lower_bound_equals_a_plain_binary_search(
        keys in prop::collection::btree_set(-1000i64..1000, 0..200),
        probes in prop::collection::vec(
            prop_oneof![-70_000i64..70_000, Just(Minute::MIN), Just(Minute::MAX)],
            1..40,
        ),
    ) {
        let hours = Hours::from_cells(keys.iter().map(|k| (k * 60, Bucket::default())).collect());
        let keys: BTreeSet<Minute> = keys.iter().map(|k| k * 60).collect();
        for key in probes {
            prop_assert_eq!(hours.lower_bound(key), keys.range(..key).count(), "{}", key);
        }
    }
}

#[test]
fn a_non_finite_weight_leaves_other_windows_finite() {
    let mut tier = Minutes::default();
    for (k, total) in [(0, 1.0), (1, f64::INFINITY), (2, 2.0), (3, 4.0)] {
        tier.add(
            k,
            &Bucket {
                total,
                raw_total: 1,
                ..Bucket::default()
            },
        );
    }
    assert_eq!(tier.counts(tier.range(0, 1)).total, 1.0);
    assert_eq!(tier.counts(tier.range(2, 4)).total, 6.0);
    assert_eq!(tier.counts(tier.range(0, 4)).total, f64::INFINITY);
    assert_eq!(tier.counts(tier.range(0, 4)).raw_total, 4);
    // Once the infinite cell is dropped, prefix sums serve again.
    tier.drop_below(2);
    assert!(tier.prefix.last().unwrap().is_finite());
    assert_eq!(tier.counts(tier.range(0, 4)).total, 6.0);
}

#[test]
fn minute_cells_count_their_packed_sketches() {
    let mut tier = Minutes::default();
    let ratio = Bucket {
        good: 1.0,
        total: 1.0,
        raw_good: 1,
        raw_total: 1,
        values: None,
    };
    let mut latency = Bucket::default();
    latency.add_value(80.0, 1.0);
    tier.add(5, &ratio);
    tier.add(6, &ratio);
    assert!(!tier.has_sketches());
    assert!(tier.sketch_cells(tier.range(0, 10)).is_empty());
    tier.add(5, &latency);
    tier.add(5, &latency);
    tier.add(3, &latency);
    assert_eq!(tier.sketched, 2);
    assert_eq!(tier.sketch_cells(tier.range(0, 10)).len(), 3);
    assert_eq!(tier.counts(tier.range(0, 10)).raw_total, 5);
    tier.drop_below(4);
    assert_eq!(tier.sketched, 1);
    tier.drop_below(6);
    assert!(!tier.has_sketches());
}
