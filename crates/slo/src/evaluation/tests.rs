use std::collections::BTreeMap;

use jiff::civil::date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use super::*;
use crate::bucket::Bucket;
use crate::definition::{Aggregate, CalendarUnit, Indicator, Op, Window};

const THIRTY_DAYS: i64 = 30 * 1440;
/// An arbitrary hour (2024-06-01T00:00Z) so that minutes are realistic.
const H: i64 = 28_619_520 / 60;

type Data = BTreeMap<Minute, Bucket>;

/// Half a minute into bucket `m`, so that tests also exercise flooring.
fn at(m: Minute) -> Timestamp {
    minute_start(m) + 30.seconds()
}

fn ratio_bucket(good: f64, total: f64) -> Bucket {
    Bucket {
        good,
        total,
        raw_good: good as u64,
        raw_total: total as u64,
        values: None,
    }
}

fn ratio_data(entries: &[(Minute, f64, f64)]) -> Data {
    let mut d = Data::new();
    for &(m, good, total) in entries {
        d.entry(m).or_default().merge(&ratio_bucket(good, total));
    }
    d
}

fn value_data(entries: &[(Minute, f64, usize)]) -> Data {
    let mut d = Data::new();
    for &(m, value, n) in entries {
        let b = d.entry(m).or_default();
        for _ in 0..n {
            b.add_value(value, 1.0);
        }
    }
    d
}

fn objective(target: f64, indicator: Indicator, method: Method, window: Window) -> ObjectiveDef {
    ObjectiveDef {
        target,
        indicator,
        method,
        window,
    }
}

fn occurrences(target: f64, minutes: i64) -> ObjectiveDef {
    objective(
        target,
        Indicator::Ratio,
        Method::Occurrences,
        Window::Rolling { minutes },
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn occurrences_count_only_the_window() {
    let m = H * 60 + 30;
    let d = ratio_data(&[
        (m - 60, 1.0, 100.0),
        (m - 59, 9.0, 10.0),
        (m, 5.0, 5.0),
        (m + 1, 0.0, 100.0),
    ]);
    let e = evaluate(&occurrences(0.9, 60), &d, at(m));
    assert_eq!(
        (e.window_from, e.window_to, e.window_minutes),
        (m - 59, m + 1, 60)
    );
    assert_eq!(
        (e.good, e.total, e.raw_good, e.raw_total),
        (14.0, 15.0, 14, 15)
    );
    assert_eq!(e.sli, Some(14.0 / 15.0));
}

#[test]
fn budget_counts_bad_events_against_the_allowance() {
    let m = H * 60;
    // Old enough that no burn window sees it.
    let d = ratio_data(&[(m - 10_000, 995.0, 1000.0)]);
    let e = evaluate(&occurrences(0.99, THIRTY_DAYS), &d, at(m));
    assert!(close(e.budget.total, 10.0));
    assert!(close(e.budget.consumed, 5.0));
    assert!(close(e.budget.remaining, 0.5));
    assert!(close(e.budget.consumed_fraction, 0.5));
    assert!(close(e.budget.remaining_absolute, 5.0));
    assert!(e.burn_rates.iter().all(|b| b.value.is_none()));
    assert_eq!(e.time_to_exhaustion_s, None);
    assert_eq!(e.status, Status::Healthy);
}

#[test]
fn no_events_means_no_data_and_an_untouched_budget() {
    let e = evaluate(&occurrences(0.99, 60), &Data::new(), at(H * 60));
    assert_eq!(e.status, Status::NoData);
    assert_eq!(e.sli, None);
    assert_eq!(e.budget.remaining, 1.0);
    assert_eq!(e.budget.consumed_fraction, 0.0);
    assert_eq!(e.time_to_exhaustion_s, None);
    let labels: Vec<_> = e
        .burn_rates
        .iter()
        .map(|b| (b.label, b.minutes, b.value))
        .collect();
    assert_eq!(
        labels,
        vec![
            ("5m", 5, None),
            ("30m", 30, None),
            ("1h", 60, None),
            ("2h", 120, None),
            ("6h", 360, None),
            ("1d", 1440, None),
            ("3d", 4320, None)
        ]
    );
}

#[test]
fn status_follows_the_remaining_budget() {
    let m = H * 60;
    let status = |good: f64| {
        evaluate(
            &occurrences(0.99, THIRTY_DAYS),
            &ratio_data(&[(m - 10_000, good, 1000.0)]),
            at(m),
        )
    };
    assert_eq!(status(993.0).status, Status::Healthy); // remaining 0.3
    assert_eq!(status(992.0).status, Status::AtRisk); // remaining 0.2
    let e = status(990.0);
    assert_eq!(e.status, Status::Exhausted); // remaining 0
    assert_eq!(e.time_to_exhaustion_s, Some(0.0));
    assert_eq!(status(980.0).status, Status::Exhausted);
    assert_eq!(Status::AtRisk.as_str(), "at_risk");
    assert_eq!(Status::NoData.as_str(), "no_data");
    assert_eq!(Status::Exhausted.as_str(), "exhausted");
    assert_eq!(Status::Healthy.as_str(), "healthy");
}

/// 1,000 events a minute for 30 days, hourly buckets except for the last
/// hour, whose minutes have `bad_per_minute` bad events.
fn steady_traffic(bad_per_minute: f64) -> (Data, Minute) {
    let mut d = Data::new();
    for k in 1..=720 {
        d.insert((H - k) * 60, ratio_bucket(60_000.0, 60_000.0));
    }
    for i in 0..60 {
        d.insert(H * 60 + i, ratio_bucket(1000.0 - bad_per_minute, 1000.0));
    }
    (d, H * 60 + 59)
}

#[test]
fn a_fast_burn_puts_a_healthy_budget_at_risk() {
    let (d, m) = steady_traffic(200.0);
    let e = evaluate(&occurrences(0.99, THIRTY_DAYS), &d, at(m));
    assert!(e.budget.remaining > 0.9, "remaining {}", e.budget.remaining);
    assert!(close(e.burn_rate(60).unwrap(), 20.0));
    assert!(close(e.burn_rate(5).unwrap(), 20.0));
    assert_eq!(e.status, Status::AtRisk);
    // The same errors against a 90 % target burn at 2x only.
    let e = evaluate(&occurrences(0.9, THIRTY_DAYS), &d, at(m));
    assert!(close(e.burn_rate(60).unwrap(), 2.0));
    assert_eq!(e.status, Status::Healthy);
}

#[test]
fn burn_factors_scale_with_the_window() {
    // 5x burn: below 14.4 (30 days), above 0.02 * 7 d / 1 h = 3.36 (7 days).
    let (d, m) = steady_traffic(50.0);
    assert_eq!(
        evaluate(&occurrences(0.99, THIRTY_DAYS), &d, at(m)).status,
        Status::Healthy
    );
    assert_eq!(
        evaluate(&occurrences(0.99, 7 * 1440), &d, at(m)).status,
        Status::AtRisk
    );
}

#[test]
fn burn_rates_cover_their_trailing_minutes() {
    let (d, m) = steady_traffic(200.0);
    let e = evaluate(&occurrences(0.99, THIRTY_DAYS), &d, at(m));
    // 2 h: the bad hour and one clean hour bucket.
    assert!(close(
        e.burn_rate(120).unwrap(),
        12_000.0 / 120_000.0 / 0.01
    ));
    assert!(close(
        e.burn_rate(1440).unwrap(),
        12_000.0 / 1_440_000.0 / 0.01
    ));
    for (_, w) in STANDARD_BURN_WINDOWS {
        assert_eq!(
            burn_rate_over(&occurrences(0.99, THIRTY_DAYS), &d, at(m), w),
            e.burn_rate(w),
            "{w} minutes"
        );
    }
}

#[test]
fn time_to_exhaustion_divides_the_remaining_window_by_the_hourly_burn() {
    let m = H * 60 + 59;
    let mut entries = vec![(m - 3000, 100_000.0, 100_000.0)];
    entries.extend((0..60).map(|i| (m - i, 98.0, 100.0)));
    let e = evaluate(
        &occurrences(0.99, THIRTY_DAYS),
        &ratio_data(&entries),
        at(m),
    );
    let remaining = 1.0 - 120.0 / 1060.0;
    assert!(close(e.budget.remaining, remaining));
    assert!(close(e.burn_rate(60).unwrap(), 2.0));
    assert!(close(
        e.time_to_exhaustion_s.unwrap(),
        remaining * THIRTY_DAYS as f64 * 60.0 / 2.0
    ));
    assert_eq!(time_to_exhaustion(0.5, Some(0.0), 60), None);
    assert_eq!(time_to_exhaustion(0.5, None, 60), None);
    assert_eq!(time_to_exhaustion(-0.1, None, 60), Some(0.0));
}

#[test]
fn threshold_occurrences_read_the_sketch() {
    let m = H * 60;
    let d = value_data(&[(m, 100.0, 10), (m, 250.0, 5), (m - 1, 400.0, 5)]);
    let lte = Indicator::Threshold {
        op: Op::Lte,
        value: 300.0,
        aggregate: Aggregate::Mean,
    };
    let e = evaluate(
        &objective(
            0.5,
            lte,
            Method::Occurrences,
            Window::Rolling { minutes: 10 },
        ),
        &d,
        at(m),
    );
    assert_eq!(
        (e.good, e.total, e.raw_good, e.raw_total),
        (15.0, 20.0, 15, 20)
    );
    let gt = Indicator::Threshold {
        op: Op::Gt,
        value: 300.0,
        aggregate: Aggregate::Mean,
    };
    let e = evaluate(
        &objective(
            0.5,
            gt,
            Method::Occurrences,
            Window::Rolling { minutes: 10 },
        ),
        &d,
        at(m),
    );
    assert_eq!((e.good, e.total), (5.0, 20.0));
}

fn slices(slice_minutes: u32, slice_target: f64) -> Method {
    Method::Timeslices {
        slice_minutes,
        slice_target,
    }
}

#[test]
fn ratio_timeslices_count_good_slices_and_skip_empty_ones() {
    let m = H * 60 + 59; // last minute of a 10-minute slice
    let s = |k: i64| m - 59 + 10 * k; // first minute of slice k of the window
    let d = ratio_data(&[
        (s(0), 99.0, 100.0), // good: exactly the slice target
        (s(1), 98.0, 100.0), // bad
        // slice 2 empty
        (s(3), 100.0, 100.0), // good
        (s(4), 50.0, 50.0),
        (s(4) + 9, 49.0, 50.0), // good overall: 99/100
        (s(5), 0.0, 1.0),       // bad
    ]);
    let def = objective(
        0.5,
        Indicator::Ratio,
        slices(10, 0.99),
        Window::Rolling { minutes: 60 },
    );
    let e = evaluate(&def, &d, at(m));
    assert_eq!((e.good, e.total), (3.0, 5.0));
    assert_eq!(e.raw_total, 401);
    assert!(close(e.budget.total, 2.5));
    assert!(close(e.budget.consumed, 2.0));

    // Four minutes later the window starts mid-slice: slice 0 loses the
    // minute holding its data, a partial slice opens at the end.
    let mut d = d;
    d.insert(m + 1, ratio_bucket(1.0, 1.0));
    let e = evaluate(&def, &d, at(m + 4));
    assert_eq!((e.good, e.total), (3.0, 5.0));
}

#[test]
fn threshold_timeslices_compare_the_slice_aggregate() {
    let m = H * 60 + 9;
    let a = m - 19; // slice [m-19, m-10]
    let b = m - 9; // slice [m-9, m]
    let d = value_data(&[(a, 100.0, 100), (b, 100.0, 90), (b + 5, 1000.0, 10)]);
    let check = |aggregate: Aggregate, op: Op, value: f64, want: (f64, f64)| {
        let ind = Indicator::Threshold {
            op,
            value,
            aggregate,
        };
        let e = evaluate(
            &objective(0.9, ind, slices(10, 0.0), Window::Rolling { minutes: 20 }),
            &d,
            at(m),
        );
        assert_eq!((e.good, e.total), want, "{aggregate:?} {op:?} {value}");
    };
    check(Aggregate::Quantile(0.95), Op::Lte, 300.0, (1.0, 2.0));
    check(Aggregate::Quantile(0.5), Op::Lte, 300.0, (2.0, 2.0));
    check(Aggregate::Max, Op::Lt, 1000.0, (1.0, 2.0));
    check(Aggregate::Min, Op::Gte, 100.0, (2.0, 2.0));
    check(Aggregate::Mean, Op::Lte, 150.0, (1.0, 2.0));
    check(Aggregate::Count, Op::Gte, 100.0, (2.0, 2.0));
    // 100 events over a 10-minute slice is 1/6 per second.
    check(Aggregate::Rate, Op::Gte, 0.16, (2.0, 2.0));
    check(Aggregate::Rate, Op::Gte, 0.17, (0.0, 2.0));
}

#[test]
fn rate_uses_the_in_window_part_of_a_clipped_slice() {
    let m = H * 60 + 4; // slice [H*60, H*60+9] is still open: 5 minutes in
    let d = value_data(&[(H * 60, 1.0, 60)]);
    let ind = Indicator::Threshold {
        op: Op::Gte,
        value: 0.19,
        aggregate: Aggregate::Rate,
    };
    let e = evaluate(
        &objective(0.9, ind, slices(10, 0.0), Window::Rolling { minutes: 60 }),
        &d,
        at(m),
    );
    assert_eq!((e.good, e.total), (1.0, 1.0)); // 60 events / 300 s = 0.2/s
}

#[test]
fn ratio_timeslices_average_slice_ratios() {
    let m = H * 60 + 14;
    let d = ratio_data(&[
        (m - 14, 1.0, 2.0),
        (m - 9, 10.0, 10.0),
        (m - 4, 900.0, 1000.0),
    ]);
    let def = objective(
        0.9,
        Indicator::Ratio,
        Method::RatioTimeslices { slice_minutes: 5 },
        Window::Rolling { minutes: 15 },
    );
    let e = evaluate(&def, &d, at(m));
    assert!(close(e.good, 2.4));
    assert_eq!(e.total, 3.0);
    assert!(close(e.sli.unwrap(), 0.8));
    assert!(close(e.budget.total, 0.3));
    assert!(close(e.budget.remaining, -1.0));
    assert_eq!(e.status, Status::Exhausted);
}

#[test]
fn calendar_timeslices_align_to_the_period_start() {
    // Kolkata is UTC+05:30, so March 2024 starts at 2024-02-29T18:30Z, half
    // way through a UTC hour.
    let window = Window::Calendar {
        unit: CalendarUnit::Month,
        count: 1,
        start: date(2024, 1, 1).at(0, 0, 0, 0),
        tz: TimeZone::get("Asia/Kolkata").unwrap(),
    };
    let m = |s: &str| minute_of(s.parse().unwrap());
    let d = ratio_data(&[
        (m("2024-02-29T19:10:00Z"), 1.0, 1.0),
        (m("2024-02-29T19:40:00Z"), 0.0, 1.0),
    ]);
    let def = objective(0.9, Indicator::Ratio, slices(60, 0.9), window);
    let e = evaluate(&def, &d, "2024-02-29T21:00:00Z".parse().unwrap());
    assert_eq!(e.window_from, m("2024-02-29T18:30:00Z"));
    assert_eq!((e.good, e.total), (1.0, 2.0));
    // A rolling window aligns to the epoch: both buckets share 19:00-20:00.
    let def = ObjectiveDef {
        window: Window::Rolling { minutes: 600 },
        ..def
    };
    let e = evaluate(&def, &d, "2024-02-29T21:00:00Z".parse().unwrap());
    assert_eq!((e.good, e.total), (0.0, 1.0));
}

#[test]
fn timeslice_burn_rates_count_slices() {
    let m = H * 60 + 59;
    let mut entries = Vec::new();
    for k in 0..12 {
        // One bad 5-minute slice in the last 30 minutes, none before.
        let bad = k == 11;
        entries.push((m - 59 + 5 * k, if bad { 0.0 } else { 1.0 }, 1.0));
    }
    let d = ratio_data(&entries);
    let def = objective(
        0.9,
        Indicator::Ratio,
        slices(5, 1.0),
        Window::Rolling { minutes: 1440 },
    );
    let e = evaluate(&def, &d, at(m));
    assert!(close(e.burn_rate(5).unwrap(), 10.0));
    assert!(close(e.burn_rate(30).unwrap(), 1.0 / 6.0 / 0.1));
    assert!(close(e.burn_rate(60).unwrap(), 1.0 / 12.0 / 0.1));
    for (_, w) in STANDARD_BURN_WINDOWS {
        assert_eq!(
            burn_rate_over(&def, &d, at(m), w),
            e.burn_rate(w),
            "{w} minutes"
        );
    }
}

#[test]
fn calendar_evaluation_paces_over_the_whole_period() {
    let window = Window::Calendar {
        unit: CalendarUnit::Month,
        count: 1,
        start: date(2024, 1, 1).at(0, 0, 0, 0),
        tz: TimeZone::get("Europe/Berlin").unwrap(),
    };
    let now: Timestamp = "2024-03-10T12:00:00Z".parse().unwrap();
    let m = minute_of(now);
    let d = ratio_data(&[
        (m - 30, 98.0, 100.0),
        (
            minute_of("2024-02-20T00:00:00Z".parse().unwrap()),
            0.0,
            100.0,
        ),
    ]);
    let e = evaluate(
        &objective(0.99, Indicator::Ratio, Method::Occurrences, window),
        &d,
        now,
    );
    assert_eq!(e.window_minutes, 31 * 1440 - 60);
    assert_eq!(e.total, 100.0); // February's events are in the previous period
    assert!(close(e.budget.remaining, -1.0));
}

#[test]
fn budget_history_replays_the_window_at_evenly_spaced_instants() {
    let (d, m) = steady_traffic(200.0);
    let def = occurrences(0.99, 1440);
    let h = budget_history(&def, &d, at(m), 5);
    let minutes: Vec<_> = h.iter().map(|(t, _)| *t).collect();
    assert_eq!(minutes, vec![m - 1440, m - 1080, m - 720, m - 360, m]);
    assert_eq!(h[4].1, evaluate(&def, &d, at(m)).budget.remaining);
    // Before the bad hour the budget was untouched.
    assert_eq!(h[3].1, 1.0);
    assert!(close(h[4].1, 1.0 - 12_000.0 / 14_400.0));
    assert_eq!(budget_history(&def, &d, at(m), 0), vec![]);
    assert_eq!(budget_history(&def, &d, at(m), 1), vec![(m, h[4].1)]);
}

#[test]
fn calendar_budget_history_starts_at_the_period_start() {
    let window = Window::Calendar {
        unit: CalendarUnit::Week,
        count: 1,
        start: date(2024, 1, 1).at(0, 0, 0, 0),
        tz: TimeZone::UTC,
    };
    let now: Timestamp = "2024-01-03T00:00:00Z".parse().unwrap(); // Wednesday
    let def = objective(0.9, Indicator::Ratio, Method::Occurrences, window);
    let monday = minute_of("2024-01-01T00:00:00Z".parse().unwrap());
    let d = ratio_data(&[(monday + 1440, 0.0, 1.0), (monday + 10, 99.0, 99.0)]);
    let h = budget_history(&def, &d, now, 3);
    assert_eq!(
        h.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        vec![monday, monday + 1440, monday + 2880]
    );
    assert_eq!(h[0].1, 1.0);
    assert!(close(h[1].1, 1.0 - 1.0 / 10.0)); // the bad event is in minute monday+1440
    assert!(close(h[2].1, 0.9));
}

#[test]
fn sli_series_gives_each_step_its_own_sli() {
    let m = H * 60;
    let d = ratio_data(&[(m, 9.0, 10.0), (m + 25, 1.0, 4.0)]);
    let s = sli_series(&occurrences(0.9, 60), &d, m, m + 27, 10);
    assert_eq!(
        s,
        vec![(m, Some(0.9)), (m + 10, None), (m + 20, Some(0.25))]
    );
    assert_eq!(sli_series(&occurrences(0.9, 60), &d, m, m, 10), vec![]);
    let def = objective(
        0.9,
        Indicator::Ratio,
        slices(5, 0.5),
        Window::Rolling { minutes: 60 },
    );
    assert_eq!(sli_series(&def, &d, m, m + 30, 30), vec![(m, Some(0.5))]);
}

/// Counts the calls a source receives, to pin the cost contract.
struct Counting<'a> {
    inner: &'a Data,
    sums: std::cell::Cell<usize>,
    walks: std::cell::Cell<usize>,
}

impl BucketSource for Counting<'_> {
    fn sum(&self, from: Minute, to: Minute) -> Bucket {
        self.sums.set(self.sums.get() + 1);
        self.inner.sum(from, to)
    }
    fn for_each(&self, from: Minute, to: Minute, f: &mut dyn FnMut(Minute, &Bucket)) {
        self.walks.set(self.walks.get() + 1);
        self.inner.for_each(from, to, f)
    }
}

#[test]
fn occurrences_sum_each_disjoint_piece_once_and_never_walk() {
    let (d, m) = steady_traffic(10.0);
    let src = Counting {
        inner: &d,
        sums: 0.into(),
        walks: 0.into(),
    };
    evaluate(&occurrences(0.99, THIRTY_DAYS), &src, at(m));
    assert_eq!((src.sums.get(), src.walks.get()), (8, 0));
    // A window shorter than some burn windows shares their pieces.
    let src = Counting {
        inner: &d,
        sums: 0.into(),
        walks: 0.into(),
    };
    evaluate(&occurrences(0.99, 60), &src, at(m));
    assert_eq!((src.sums.get(), src.walks.get()), (7, 0));
}

#[test]
fn timeslices_walk_the_longest_range_once() {
    let (d, m) = steady_traffic(10.0);
    let def = objective(
        0.99,
        Indicator::Ratio,
        slices(5, 0.99),
        Window::Rolling {
            minutes: THIRTY_DAYS,
        },
    );
    let walks = |at_minute: Minute| {
        let src = Counting {
            inner: &d,
            sums: 0.into(),
            walks: 0.into(),
        };
        evaluate(&def, &src, at(at_minute));
        (src.sums.get(), src.walks.get())
    };
    // m + 1 is a multiple of 5: every burn window starts on a slice boundary.
    assert_eq!(walks(m), (0, 1));
    // Two minutes later none does: each gets one short walk for its clipped
    // first slice.
    assert_eq!(walks(m + 2), (0, 1 + STANDARD_BURN_WINDOWS.len()));
}
