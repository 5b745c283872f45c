//! `evaluate` against a model that keeps every event and recomputes each
//! figure from the event list, flooring event times to minutes for window
//! membership. Weights are dyadic (0.5, 1, 2, 8) so that sums are exact in
//! any order and ratio comparisons cannot flip on rounding.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use proptest::prelude::*;
use slo::sketch::RELATIVE_ACCURACY;
use slo::{
    Aggregate, Bucket, Indicator, Method, Minute, ObjectiveDef, Op, STANDARD_BURN_WINDOWS, Status,
    Window, burn_rate_over, evaluate,
};

/// A recent, arbitrary minute (2024-06-01T00:00Z) as the origin of events.
const ORIGIN: Minute = 28_619_520;
/// Events and instants fall within this many minutes after `ORIGIN`, enough
/// for the 3-day burn window to see some of them and miss others.
const SPAN: i64 = 6_000;
/// Slack over the sketch's 1 % for rounding in bin indices.
const TOL: f64 = RELATIVE_ACCURACY * 1.0001;

/// Whether a value counts, given the band `(lo, hi)` around the threshold.
type InBand = fn(f64, f64, f64) -> bool;

#[derive(Clone, Debug)]
struct Event {
    /// Seconds since the epoch.
    second: i64,
    good: bool,
    value: f64,
    weight: f64,
}

impl Event {
    fn minute(&self) -> Minute {
        self.second.div_euclid(60)
    }
}

fn events() -> impl Strategy<Value = Vec<Event>> {
    let one = (
        0..SPAN * 60,
        any::<bool>(),
        1.0f64..1000.0,
        prop::sample::select(vec![0.5, 1.0, 2.0, 8.0]),
    )
        .prop_map(|(s, good, value, weight)| Event {
            second: ORIGIN * 60 + s,
            good,
            value,
            weight,
        });
    // Clustered in time too, so that slices hold several events.
    prop::collection::vec(one, 0..250)
}

fn instant() -> impl Strategy<Value = Timestamp> {
    (0..(SPAN + 10) * 60).prop_map(|s| Timestamp::from_second(ORIGIN * 60 + s).unwrap())
}

fn op() -> impl Strategy<Value = Op> {
    prop::sample::select(vec![Op::Lt, Op::Lte, Op::Gt, Op::Gte])
}

fn ratio_source(events: &[Event]) -> BTreeMap<Minute, Bucket> {
    let mut d = BTreeMap::<Minute, Bucket>::new();
    for e in events {
        d.entry(e.minute()).or_default().add_event(e.good, e.weight);
    }
    d
}

fn value_source(events: &[Event]) -> BTreeMap<Minute, Bucket> {
    let mut d = BTreeMap::<Minute, Bucket>::new();
    for e in events {
        d.entry(e.minute())
            .or_default()
            .add_value(e.value, e.weight);
    }
    d
}

fn m_of(at: Timestamp) -> Minute {
    at.as_second().div_euclid(60)
}

/// Events with minute in `[m(at) - w + 1, m(at)]`.
fn trailing(events: &[Event], at: Timestamp, w: i64) -> impl Iterator<Item = &Event> {
    let last = m_of(at);
    events
        .iter()
        .filter(move |e| e.minute() <= last && e.minute() > last - w)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn close_opt(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => close(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// The model's budget remaining and burn rate from good/total.
fn remaining(target: f64, good: f64, total: f64) -> f64 {
    let allowed = (1.0 - target) * total;
    if allowed > 0.0 {
        1.0 - (total - good) / allowed
    } else {
        1.0
    }
}

fn burn(target: f64, good: f64, total: f64) -> Option<f64> {
    (total > 0.0).then(|| (total - good) / total / (1.0 - target))
}

/// Checks everything the evaluation says against the model's `(good, total)`
/// per trailing window (`window` first, then `STANDARD_BURN_WINDOWS`).
fn check_against(
    def: &ObjectiveDef,
    data: &BTreeMap<Minute, Bucket>,
    at: Timestamp,
    model: &dyn Fn(i64) -> (f64, f64),
    w: i64,
) -> Result<(), TestCaseError> {
    let e = evaluate(def, data, at);
    let (good, total) = model(w);
    prop_assert!(close(e.good, good), "good {} vs model {}", e.good, good);
    prop_assert!(
        close(e.total, total),
        "total {} vs model {}",
        e.total,
        total
    );
    prop_assert!((e.budget.remaining - remaining(def.target, good, total)).abs() < 1e-6);
    prop_assert_eq!(e.status == Status::NoData, total == 0.0);
    for (label, minutes) in STANDARD_BURN_WINDOWS {
        let (g, t) = model(minutes);
        let want = burn(def.target, g, t);
        prop_assert!(
            close_opt(e.burn_rate(minutes), want),
            "{} burn {:?} vs model {:?}",
            label,
            e.burn_rate(minutes),
            want
        );
        prop_assert!(
            close_opt(burn_rate_over(def, data, at, minutes), want),
            "{} burn_rate_over",
            label
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn occurrences_ratio(evs in events(), at in instant(), w in 1i64..3000, target in 0.5f64..0.999) {
        let def = ObjectiveDef { target, indicator: Indicator::Ratio, method: Method::Occurrences, window: Window::Rolling { minutes: w } };
        let data = ratio_source(&evs);
        let model = |w: i64| {
            trailing(&evs, at, w).fold((0.0, 0.0), |(g, t), e| (g + if e.good { e.weight } else { 0.0 }, t + e.weight))
        };
        check_against(&def, &data, at, &model, w)?;
        let e = evaluate(&def, &data, at);
        let raw: Vec<_> = trailing(&evs, at, w).collect();
        prop_assert_eq!(e.raw_total, raw.len() as u64);
        prop_assert_eq!(e.raw_good, raw.iter().filter(|e| e.good).count() as u64);
    }

    #[test]
    fn occurrences_threshold(evs in events(), at in instant(), w in 1i64..3000, op in op(), threshold in 1.0f64..1000.0) {
        let target = 0.9;
        let indicator = Indicator::Threshold { op, value: threshold, aggregate: Aggregate::Mean };
        let def = ObjectiveDef { target, indicator, method: Method::Occurrences, window: Window::Rolling { minutes: w } };
        let e = evaluate(&def, &value_source(&evs), at);
        // Good for sure / good at most, with a ±1 % band around the threshold.
        let (lo, hi) = (threshold * (1.0 - TOL), threshold / (1.0 - TOL));
        let (surely, maybe): (InBand, InBand) = match op {
            Op::Lt | Op::Lte => (|v, lo, _| v <= lo, |v, _, hi| v <= hi),
            Op::Gt | Op::Gte => (|v, _, hi| v > hi, |v, lo, _| v >= lo),
        };
        let mut total = 0.0;
        let (mut good_min, mut good_max) = (0.0, 0.0);
        for ev in trailing(&evs, at, w) {
            total += ev.weight;
            if surely(ev.value, lo, hi) { good_min += ev.weight; }
            if maybe(ev.value, lo, hi) { good_max += ev.weight; }
        }
        prop_assert_eq!(e.total, total);
        prop_assert!(good_min <= e.good && e.good <= good_max, "{} <= {} <= {}", good_min, e.good, good_max);
        prop_assert!(e.raw_good <= e.raw_total);
    }

    #[test]
    fn timeslices_ratio(evs in events(), at in instant(), w in 1i64..3000, slice in 1u32..90, slice_target in 0.0f64..=1.0, target in 0.5f64..0.999) {
        let def = ObjectiveDef { target, indicator: Indicator::Ratio, method: Method::Timeslices { slice_minutes: slice, slice_target }, window: Window::Rolling { minutes: w } };
        let model = |w: i64| {
            let mut slices: HashMap<i64, (f64, f64)> = HashMap::new();
            for e in trailing(&evs, at, w) {
                let s = slices.entry(e.minute().div_euclid(i64::from(slice))).or_default();
                s.1 += e.weight;
                if e.good { s.0 += e.weight; }
            }
            let good = slices.values().filter(|(g, t)| g / t >= slice_target).count();
            (good as f64, slices.len() as f64)
        };
        check_against(&def, &ratio_source(&evs), at, &model, w)?;
    }

    #[test]
    fn ratio_timeslices(evs in events(), at in instant(), w in 1i64..3000, slice in 1u32..90, target in 0.5f64..0.999) {
        let def = ObjectiveDef { target, indicator: Indicator::Ratio, method: Method::RatioTimeslices { slice_minutes: slice }, window: Window::Rolling { minutes: w } };
        let model = |w: i64| {
            let mut slices: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
            for e in trailing(&evs, at, w) {
                let s = slices.entry(e.minute().div_euclid(i64::from(slice))).or_default();
                s.1 += e.weight;
                if e.good { s.0 += e.weight; }
            }
            (slices.values().map(|(g, t)| g / t).sum(), slices.len() as f64)
        };
        check_against(&def, &ratio_source(&evs), at, &model, w)?;
        let e = evaluate(&def, &ratio_source(&evs), at);
        if let Some(sli) = e.sli {
            prop_assert!((0.0..=1.0).contains(&sli));
        }
    }

    #[test]
    fn timeslices_threshold(
        evs in events(),
        at in instant(),
        w in 1i64..3000,
        slice in 1u32..90,
        op in op(),
        threshold in 1.0f64..1000.0,
        aggregate in prop::sample::select(vec![
            Aggregate::Quantile(0.5), Aggregate::Quantile(0.95), Aggregate::Quantile(0.99),
            Aggregate::Mean, Aggregate::Min, Aggregate::Max, Aggregate::Count, Aggregate::Rate,
        ]),
    ) {
        let indicator = Indicator::Threshold { op, value: threshold, aggregate };
        let def = ObjectiveDef { target: 0.9, indicator, method: Method::Timeslices { slice_minutes: slice, slice_target: 0.0 }, window: Window::Rolling { minutes: w } };
        let e = evaluate(&def, &value_source(&evs), at);
        let last = m_of(at);
        let (from, to) = (last - w + 1, last + 1);
        let s = i64::from(slice);
        let mut slices: BTreeMap<i64, Vec<(f64, f64)>> = BTreeMap::new();
        for ev in trailing(&evs, at, w) {
            slices.entry(ev.minute().div_euclid(s)).or_default().push((ev.value, ev.weight));
        }
        // Quantiles carry the sketch's 1 %; the exact aggregates only
        // rounding from a different order of summation.
        let band = if matches!(aggregate, Aggregate::Quantile(_)) { TOL } else { 1e-9 };
        let (mut surely, mut ambiguous) = (0, 0);
        for (k, vs) in &slices {
            let total: f64 = vs.iter().map(|(_, w)| w).sum();
            let minutes = ((k + 1) * s).min(to) - (k * s).max(from);
            let mut sorted = vs.clone();
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            let agg = match aggregate {
                Aggregate::Quantile(q) => {
                    let mut seen = 0.0;
                    sorted.iter().find(|(_, w)| { seen += w; seen >= q * total }).map_or(sorted.last().unwrap().0, |(v, _)| *v)
                }
                Aggregate::Mean => vs.iter().map(|(v, w)| v * w).sum::<f64>() / total,
                Aggregate::Min => sorted[0].0,
                Aggregate::Max => sorted.last().unwrap().0,
                Aggregate::Count => total,
                Aggregate::Rate => total / (minutes as f64 * 60.0),
            };
            if (agg - threshold).abs() <= band * threshold.max(agg) {
                ambiguous += 1;
            } else if op.holds(agg, threshold) {
                surely += 1;
            }
        }
        prop_assert_eq!(e.total, slices.len() as f64);
        prop_assert!(surely as f64 <= e.good && e.good <= (surely + ambiguous) as f64, "{} <= {} <= {}+{}", surely, e.good, surely, ambiguous);
    }
}
