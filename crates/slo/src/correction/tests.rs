use std::collections::BTreeMap;

use jiff::civil::{DateTime, Weekday, date};
use jiff::tz::TimeZone;
use proptest::prelude::*;

use super::*;
use crate::definition::{Aggregate, Indicator, Method, ObjectiveDef, Op, Window};
use crate::evaluation::evaluate;
use crate::window::minute_start;

fn tz(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

/// The minute of a wall-clock time in `zone` (compatible disambiguation).
fn local(zone: &str, dt: DateTime) -> Minute {
    minute_of(tz(zone).to_timestamp(dt).unwrap())
}

fn utc(dt: DateTime) -> Minute {
    local("UTC", dt)
}

fn window(zone: &str, start: DateTime, duration: i64, repeat: Option<Repeat>) -> CorrectionWindow {
    CorrectionWindow {
        start,
        tz: tz(zone),
        duration_minutes: duration,
        repeat,
        days_of_week: Vec::new(),
        until: None,
    }
}

fn local_start_times(w: &CorrectionWindow, from: Minute, to: Minute) -> Vec<String> {
    w.occurrences(from, to)
        .iter()
        .map(|(s, _)| {
            w.tz.to_datetime(minute_start(*s))
                .strftime("%a %Y-%m-%d %H:%M")
                .to_string()
        })
        .collect()
}

#[test]
fn a_one_off_correction_is_one_range_clipped_to_the_query() {
    let w = window("Europe/Berlin", date(2026, 11, 1).at(2, 0, 0, 0), 120, None);
    let s = utc(date(2026, 11, 1).at(1, 0, 0, 0));
    assert_eq!(w.occurrences(s - 1000, s + 1000), vec![(s, s + 120)]);
    assert_eq!(w.occurrences(s + 30, s + 60), vec![(s + 30, s + 60)]);
    assert_eq!(w.occurrences(s + 120, s + 1000), vec![]);
    assert_eq!(w.occurrences(s - 1000, s), vec![]);
    assert!(w.contains(s) && w.contains(s + 119) && !w.contains(s + 120) && !w.contains(s - 1));
}

#[test]
fn weekly_repeats_keep_the_wall_clock_time_across_dst() {
    // Europe/Berlin moves to summer time on 2026-03-29 at 02:00.
    let w = window(
        "Europe/Berlin",
        date(2026, 3, 15).at(1, 0, 0, 0),
        60,
        Some(Repeat::Weeks(1)),
    );
    let from = utc(date(2026, 3, 1).at(0, 0, 0, 0));
    let to = utc(date(2026, 4, 13).at(0, 0, 0, 0));
    assert_eq!(
        local_start_times(&w, from, to),
        [
            "Sun 2026-03-15 01:00",
            "Sun 2026-03-22 01:00",
            "Sun 2026-03-29 01:00",
            "Sun 2026-04-05 01:00",
            "Sun 2026-04-12 01:00",
        ]
    );
    let starts: Vec<Minute> = w.occurrences(from, to).iter().map(|r| r.0).collect();
    assert_eq!(
        starts[3] - starts[2],
        7 * 1440 - 60,
        "the DST week is an hour short"
    );
    assert_eq!(starts[4] - starts[3], 7 * 1440);
}

#[test]
fn a_start_in_a_dst_gap_moves_forward_and_a_fold_takes_the_earlier_instant() {
    let w = window(
        "Europe/Berlin",
        date(2026, 3, 22).at(2, 30, 0, 0),
        30,
        Some(Repeat::Weeks(1)),
    );
    let gap_day = utc(date(2026, 3, 29).at(0, 0, 0, 0));
    // 02:30 does not exist on 2026-03-29: it becomes 03:30 CEST, 01:30 UTC.
    let s = utc(date(2026, 3, 29).at(1, 30, 0, 0));
    assert_eq!(w.occurrences(gap_day, gap_day + 1440), vec![(s, s + 30)]);
    // And the next week is back at 02:30 local.
    let next = utc(date(2026, 4, 5).at(0, 30, 0, 0));
    assert_eq!(
        w.occurrences(gap_day + 1440, gap_day + 8 * 1440),
        vec![(next, next + 30)]
    );

    let daily = window(
        "Europe/Berlin",
        date(2026, 10, 20).at(2, 30, 0, 0),
        10,
        Some(Repeat::Days(1)),
    );
    // 02:30 happens twice on 2026-10-25; the first is 00:30 UTC (CEST).
    let fold = utc(date(2026, 10, 25).at(0, 30, 0, 0));
    assert_eq!(
        daily.occurrences(fold - 60, fold + 300),
        vec![(fold, fold + 10)]
    );
}

#[test]
fn minute_repeats_step_in_elapsed_time_across_dst() {
    let w = window(
        "America/New_York",
        date(2026, 3, 7).at(23, 0, 0, 0),
        15,
        Some(Repeat::Minutes(180)),
    );
    let first = local("America/New_York", date(2026, 3, 7).at(23, 0, 0, 0));
    let got = w.occurrences(first, first + 24 * 60);
    assert_eq!(got.len(), 8);
    assert!(got.windows(2).all(|p| p[1].0 - p[0].0 == 180));
    // Local times jump by an hour after 2026-03-08 02:00.
    assert_eq!(
        local_start_times(&w, first, first + 12 * 60),
        [
            "Sat 2026-03-07 23:00",
            "Sun 2026-03-08 03:00",
            "Sun 2026-03-08 06:00",
            "Sun 2026-03-08 09:00",
        ]
    );
}

#[test]
fn days_of_week_filter_daily_repeats_by_local_date() {
    let mut w = window(
        "Asia/Tokyo",
        date(2026, 6, 1).at(22, 0, 0, 0),
        60,
        Some(Repeat::Days(1)),
    );
    w.days_of_week = vec![Weekday::Saturday, Weekday::Sunday];
    let from = local("Asia/Tokyo", date(2026, 6, 1).at(0, 0, 0, 0));
    assert_eq!(
        local_start_times(&w, from, from + 14 * 1440),
        [
            "Sat 2026-06-06 22:00",
            "Sun 2026-06-07 22:00",
            "Sat 2026-06-13 22:00",
            "Sun 2026-06-14 22:00",
        ]
    );
}

#[test]
fn until_stops_new_occurrences_but_not_a_running_one() {
    let mut w = window(
        "UTC",
        date(2026, 1, 1).at(23, 0, 0, 0),
        120,
        Some(Repeat::Days(1)),
    );
    w.until = Some(date(2026, 1, 3).at(23, 0, 0, 0));
    let from = utc(date(2026, 1, 1).at(0, 0, 0, 0));
    let got = w.occurrences(from, from + 10 * 1440);
    let second = utc(date(2026, 1, 2).at(23, 0, 0, 0));
    assert_eq!(
        got.len(),
        2,
        "an occurrence starting exactly at until is not kept"
    );
    assert_eq!(
        got[1],
        (second, second + 120),
        "the last one runs past midnight"
    );
    w.until = Some(date(2026, 1, 3).at(23, 0, 1, 0));
    assert_eq!(w.occurrences(from, from + 10 * 1440).len(), 3);
}

#[test]
fn a_query_years_after_the_start_jumps_straight_there() {
    let w = window(
        "Europe/Berlin",
        date(2000, 1, 2).at(3, 0, 0, 0),
        60,
        Some(Repeat::Weeks(1)),
    );
    let from = utc(date(2040, 1, 1).at(0, 0, 0, 0));
    assert_eq!(
        local_start_times(&w, from, from + 14 * 1440),
        ["Sun 2040-01-01 03:00", "Sun 2040-01-08 03:00"]
    );
    let minutes = window(
        "UTC",
        date(2000, 1, 1).at(0, 0, 0, 0),
        1,
        Some(Repeat::Minutes(7)),
    );
    let far = utc(date(2090, 1, 1).at(0, 0, 0, 0));
    let got = minutes.occurrences(far, far + 70);
    assert_eq!(got.len(), 10);
    assert!(
        got.iter()
            .all(|(s, _)| (s - utc(date(2000, 1, 1).at(0, 0, 0, 0))) % 7 == 0)
    );
}

#[test]
fn nothing_happens_before_the_first_occurrence() {
    let w = window(
        "UTC",
        date(2026, 1, 10).at(0, 0, 0, 0),
        60,
        Some(Repeat::Days(1)),
    );
    let start = utc(date(2026, 1, 10).at(0, 0, 0, 0));
    assert_eq!(w.occurrences(start - 5 * 1440, start), vec![]);
    assert_eq!(
        w.occurrences(start - 5 * 1440, start + 1),
        vec![(start, start + 1)]
    );
}

#[test]
fn invalid_schedules_are_reported_and_yield_nothing() {
    let mut w = window("UTC", date(2026, 1, 1).at(0, 0, 0, 0), 0, None);
    assert_eq!(w.validate(), Err(CorrectionError::Duration(0)));
    assert_eq!(w.occurrences(i64::MIN / 2, i64::MAX / 2), vec![]);
    w.duration_minutes = 60;
    w.repeat = Some(Repeat::Minutes(60));
    assert_eq!(
        w.validate(),
        Err(CorrectionError::Overlap {
            repeat: 60,
            duration: 60
        })
    );
    assert_eq!(
        w.validate().unwrap_err().to_string(),
        "correction repeat of 60 minutes is invalid: expected more than the duration of 60 minutes"
    );
    w.repeat = Some(Repeat::Days(0));
    assert_eq!(w.validate(), Err(CorrectionError::Repeat(Repeat::Days(0))));
    w.repeat = Some(Repeat::Days(1));
    assert_eq!(w.validate(), Ok(()));
}

#[test]
fn merging_sorts_joins_and_drops_empty_ranges() {
    assert_eq!(
        merge_ranges([
            (10, 20),
            (5, 5),
            (0, 3),
            (15, 30),
            (30, 31),
            (40, 39),
            (2, 4)
        ]),
        vec![(0, 4), (10, 31)]
    );
    assert!(is_merged(&[(0, 4), (10, 31)]));
    assert!(!is_merged(&[(0, 4), (4, 31)]));
    assert!(!is_merged(&[(10, 31), (0, 4)]));
}

fn ratio(good: f64, total: f64) -> Bucket {
    Bucket {
        good,
        total,
        raw_good: good as u64,
        raw_total: total as u64,
        values: None,
    }
}

#[test]
fn excluding_sums_only_the_kept_minutes_and_walks_around_the_gaps() {
    let data: BTreeMap<Minute, Bucket> = (0..10).map(|m| (m, ratio(1.0, (m + 1) as f64))).collect();
    let ranges = merge_ranges([(2, 4), (7, 8)]);
    let x = Excluding::new(&data, &ranges);
    // Kept: 0, 1, 4, 5, 6, 8, 9 → totals 1+2+5+6+7+9+10.
    assert_eq!(x.sum(0, 10).total, 40.0);
    assert_eq!(x.sum(3, 7).total, 5.0 + 6.0 + 7.0);
    assert_eq!(x.sum(2, 4), Bucket::default());
    assert_eq!(x.sum(5, 5), Bucket::default());
    let mut seen = Vec::new();
    x.for_each(1, 9, &mut |m, _| seen.push(m));
    assert_eq!(seen, [1, 4, 5, 6, 8]);
}

proptest! {
    #[test]
    fn merged_ranges_cover_exactly_the_same_minutes(
        ranges in prop::collection::vec((0i64..200, 0i64..40), 0..12)
    ) {
        let ranges: Vec<(Minute, Minute)> = ranges.into_iter().map(|(a, len)| (a, a + len)).collect();
        let merged = merge_ranges(ranges.clone());
        prop_assert!(is_merged(&merged));
        for m in -1..250 {
            let before = ranges.iter().any(|&(a, b)| a <= m && m < b);
            let after = merged.iter().any(|&(a, b)| a <= m && m < b);
            prop_assert_eq!(before, after, "minute {}", m);
        }
    }

    /// The jump to `from` finds exactly what walking every occurrence from
    /// the start finds.
    #[test]
    fn occurrences_match_a_walk_from_the_start(
        zone in prop::sample::select(vec![
            "UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia",
        ]),
        start_day in 0i64..900,
        start_minute in 0i64..1440,
        kind in 0u8..3,
        n in 1i64..4,
        duration in 1i64..600,
        offset in -30i64..800,
        span in 1i64..(20 * 1440),
        weekdays in prop::collection::vec(0i8..7, 0..4),
        until_day in prop::option::of(0i64..900),
    ) {
        let start = date(2010, 1, 1).at(0, 0, 0, 0)
            .checked_add(Span::new().days(start_day).minutes(start_minute))
            .unwrap();
        let repeat = match kind {
            0 => Repeat::Minutes(duration + 1 + n * 97),
            1 => Repeat::Days(n),
            _ => Repeat::Weeks(n),
        };
        let duration = match repeat {
            Repeat::Days(n) => duration.min(n * 1440 - 120),
            _ => duration,
        };
        let mut w = window(zone, start, duration, Some(repeat));
        w.days_of_week = weekdays.iter().map(|d| Weekday::from_monday_zero_offset(*d).unwrap()).collect();
        w.days_of_week.dedup();
        w.until = until_day.map(|d| start.checked_add(Span::new().days(d + 1)).unwrap());
        prop_assume!(w.validate().is_ok());
        let first = local(zone, start);
        let from = first + offset * 1440 / 10;
        let to = from + span;

        let until = w.until.map(|u| minute_of(w.tz.to_timestamp(u).unwrap()));
        let mut expected = Vec::new();
        for k in 0.. {
            let (s, civil) = match repeat {
                Repeat::Minutes(n) => (first + k * n, None),
                Repeat::Days(n) | Repeat::Weeks(n) => {
                    let days = if matches!(repeat, Repeat::Weeks(_)) { 7 * n } else { n };
                    let civil = start.checked_add(Span::new().days(k * days)).unwrap();
                    (local(zone, civil), Some(civil))
                }
            };
            if s >= to || until.is_some_and(|u| s >= u) {
                break;
            }
            let day_ok = match (repeat, civil) {
                (Repeat::Days(_), Some(c)) => w.days_of_week.is_empty() || w.days_of_week.contains(&c.weekday()),
                _ => true,
            };
            if s + duration > from && day_ok {
                expected.push((s.max(from), (s + duration).min(to)));
            }
        }
        prop_assert_eq!(w.occurrences(from, to), expected);
    }

    /// Evaluating through `Excluding` is evaluating data in which the
    /// excluded minutes were never recorded.
    #[test]
    fn evaluating_through_excluding_equals_deleting_the_minutes(
        events in prop::collection::vec((0i64..900, 0u8..4, 1u32..4, 1u32..500), 0..120),
        ranges in prop::collection::vec((0i64..900, 1i64..200), 0..5),
        method in 0u8..4,
        minutes in 30i64..900,
        at_minute in 0i64..1000,
    ) {
        let base: Minute = 29_000_000;
        let threshold = method == 3;
        let mut data: BTreeMap<Minute, Bucket> = BTreeMap::new();
        for (m, good, weight, value) in events {
            let b = data.entry(base + m).or_default();
            if threshold {
                b.add_value(f64::from(value), f64::from(weight));
            } else {
                b.add_event(good != 0, f64::from(weight));
            }
        }
        let ranges = merge_ranges(ranges.into_iter().map(|(a, len)| (base + a, base + a + len)));
        let kept: BTreeMap<Minute, Bucket> = data
            .iter()
            .filter(|(m, _)| !ranges.iter().any(|&(a, b)| a <= **m && **m < b))
            .map(|(m, b)| (*m, b.clone()))
            .collect();
        let def = ObjectiveDef {
            target: 0.95,
            indicator: if threshold {
                Indicator::Threshold { op: Op::Lte, value: 250.0, aggregate: Aggregate::Quantile(0.9) }
            } else {
                Indicator::Ratio
            },
            method: match method {
                0 | 3 => Method::Occurrences,
                1 => Method::Timeslices { slice_minutes: 7, slice_target: 0.9 },
                _ => Method::RatioTimeslices { slice_minutes: 5 },
            },
            window: Window::Rolling { minutes },
        };
        let at = minute_start(base + at_minute);
        let through = evaluate(&def, &Excluding::new(&data, &ranges), at);
        let deleted = evaluate(&def, &kept, at);
        prop_assert_eq!(through, deleted);
    }
}
