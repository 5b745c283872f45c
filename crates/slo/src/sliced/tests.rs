use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::bucket::Bucket;
use crate::definition::{Aggregate, Indicator, Op};

type Data = BTreeMap<Minute, Bucket>;

/// 2024-06-01T00:00Z in minutes, so slices align as they would in life.
const M0: Minute = 28_619_520;

fn defs() -> Vec<ObjectiveDef> {
    let rolling = Window::Rolling { minutes: 600 };
    let threshold = Indicator::Threshold {
        op: Op::Lte,
        value: 250.0,
        aggregate: Aggregate::Quantile(0.9),
    };
    vec![
        ObjectiveDef {
            target: 0.99,
            indicator: Indicator::Ratio,
            method: Method::Occurrences,
            window: rolling.clone(),
        },
        ObjectiveDef {
            target: 0.99,
            indicator: threshold,
            method: Method::Occurrences,
            window: rolling.clone(),
        },
        ObjectiveDef {
            target: 0.95,
            indicator: Indicator::Ratio,
            method: Method::Timeslices {
                slice_minutes: 5,
                slice_target: 0.9,
            },
            window: rolling.clone(),
        },
        ObjectiveDef {
            target: 0.95,
            indicator: threshold,
            method: Method::Timeslices {
                slice_minutes: 7,
                slice_target: 0.0,
            },
            window: rolling.clone(),
        },
        ObjectiveDef {
            target: 0.95,
            indicator: Indicator::Ratio,
            method: Method::RatioTimeslices { slice_minutes: 10 },
            window: rolling,
        },
    ]
}

fn data(entries: &[(i64, u8, u8, u16)]) -> Data {
    let mut d = Data::new();
    for &(m, good, total, value) in entries {
        let total = total.max(1);
        let b = d.entry(M0 + m).or_default();
        b.good += f64::from(good.min(total));
        b.total += f64::from(total);
        b.raw_good += u64::from(good.min(total));
        b.raw_total += u64::from(total);
        for i in 0..total {
            b.add_value(f64::from(value) + f64::from(i) * 10.0, 1.0);
        }
    }
    d
}

fn same(a: &Tally, b: &Tally) -> bool {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
    close(a.good, b.good) && close(a.total, b.total) && a.raw_total == b.raw_total
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any range, inside the span, across its edges or outside it, tallies
    /// as the direct walk does.
    #[test]
    fn ranges_tally_as_the_direct_walk(
        entries in prop::collection::vec((0i64..400, 0u8..20, 1u8..20, 50u16..500), 0..120),
        span in (0i64..150, 150i64..400),
        ranges in prop::collection::vec((-50i64..450, 0i64..300), 1..20),
    ) {
        let d = data(&entries);
        for def in defs() {
            let st = SliceTallies::new(&def, &d, M0 + span.0, M0 + span.1);
            for &(from, len) in &ranges {
                let (from, to) = (M0 + from, M0 + from + len);
                let want = tally(&def, &d, from, to, slice_anchor(&def.window, from));
                let got = st.tally(from, to);
                prop_assert!(same(&got, &want), "{:?} [{}, {}): {:?} vs {:?}", def.method, from - M0, to - M0, got, want);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The shared pass gives the figures `evaluate` and `budget_history`
    /// give one by one.
    #[test]
    fn evaluation_with_history_equals_the_separate_reads(
        entries in prop::collection::vec((0i64..1300, 0u8..20, 1u8..20, 50u16..500), 0..150),
        at in 600i64..1300,
    ) {
        let d = data(&entries);
        let at = crate::window::minute_start(M0 + at) + jiff::SignedDuration::from_secs(20);
        for def in defs() {
            let (e, h) = crate::evaluate_with_history(&def, &d, at, 12);
            let e0 = crate::evaluate(&def, &d, at);
            let h0 = crate::budget_history(&def, &d, at, 12);
            let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
            // Bit-identical: other reads report the same evaluation.
            prop_assert_eq!(&e, &e0, "{:?}", def.method);
            prop_assert_eq!(e.status, e0.status);
            prop_assert_eq!(e.burn_rates.len(), e0.burn_rates.len());
            for (a, b) in e.burn_rates.iter().zip(&e0.burn_rates) {
                prop_assert!(match (a.value, b.value) { (Some(x), Some(y)) => close(x, y), (x, y) => x == y }, "{:?} {a:?} vs {b:?}", def.method);
            }
            prop_assert_eq!(h.len(), h0.len());
            for (a, b) in h.iter().zip(&h0) {
                prop_assert!(a.0 == b.0 && close(a.1, b.1), "{:?} {a:?} vs {b:?}", def.method);
            }
        }
    }
}

#[test]
fn calendar_timeslices_are_not_supported_but_occurrences_are() {
    let cal = Window::Calendar {
        unit: crate::CalendarUnit::Month,
        count: 1,
        start: jiff::civil::date(2024, 1, 1).at(0, 0, 0, 0),
        tz: jiff::tz::TimeZone::UTC,
    };
    let mut d = defs()[2].clone();
    d.window = cal.clone();
    assert!(!SliceTallies::supports(&d));
    let mut o = defs()[0].clone();
    o.window = cal;
    assert!(SliceTallies::supports(&o));
}
