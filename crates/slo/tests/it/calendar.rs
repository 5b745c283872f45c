//! Calendar windows against their invariants, for random zones (with and
//! without DST, with half-hour DST and midnight changes), units, counts and
//! starts: the period holds the instant, consecutive periods tile time, and
//! each period is as long as its units allow.

use jiff::Timestamp;
use jiff::civil::date;
use jiff::tz::TimeZone;
use proptest::prelude::*;
use slo::{
    CalendarUnit, Window, minute_of, minute_start, period_bounds, period_minutes, window_bounds,
};

fn window() -> impl Strategy<Value = Window> {
    let zones = vec![
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "America/Sao_Paulo",
    ];
    let units = vec![
        CalendarUnit::Week,
        CalendarUnit::Month,
        CalendarUnit::Quarter,
        CalendarUnit::Year,
    ];
    (
        prop::sample::select(zones),
        prop::sample::select(units),
        1u32..4,
        2000i16..2030,
        1i8..13,
        1i8..32,
        0i8..24,
        0i8..60,
    )
        .prop_map(|(zone, unit, count, y, mo, d, h, mi)| {
            let d = d.min(jiff::civil::Date::new(y, mo, 1).unwrap().days_in_month());
            Window::Calendar {
                unit,
                count,
                start: date(y, mo, d).at(h, mi, 0, 0),
                tz: TimeZone::get(zone).unwrap(),
            }
        })
}

fn instant() -> impl Strategy<Value = Timestamp> {
    // 2001-01-01 to 2029-12-31.
    (978_307_200i64..1_893_369_600).prop_map(|s| Timestamp::from_second(s).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn periods_hold_the_instant_and_tile_time(w in window(), at in instant()) {
        let (from, to) = period_bounds(&w, at);
        let m = minute_of(at);
        prop_assert!(from <= m && m < to, "{from} <= {m} < {to}");
        prop_assert_eq!(window_bounds(&w, at), (from, m + 1));
        prop_assert_eq!(period_minutes(&w, at), to - from);
        prop_assert_eq!(period_bounds(&w, minute_start(from - 1)).1, from, "previous period ends where this one starts");
        prop_assert_eq!(period_bounds(&w, minute_start(to)).0, to, "next period starts where this one ends");
        prop_assert_eq!(period_bounds(&w, minute_start(from)), (from, to));
    }

    #[test]
    fn periods_are_as_long_as_their_units(w in window(), at in instant()) {
        let Window::Calendar { unit, count, .. } = &w else { unreachable!() };
        let days = (period_minutes(&w, at) as f64) / 1440.0;
        let n = f64::from(*count);
        // DST moves a boundary by at most an hour; a start clamped to the
        // end of a short month shortens or lengthens a period by up to 3 days.
        let (lo, hi) = match unit {
            CalendarUnit::Week => (7.0 * n, 7.0 * n),
            CalendarUnit::Month => (28.0 * n - 3.0, 31.0 * n + 3.0),
            CalendarUnit::Quarter => (89.0 * n - 3.0, 92.0 * n + 3.0),
            CalendarUnit::Year => (365.0 * n - 3.0, 366.0 * n + 3.0),
        };
        let hour = 1.0 / 24.0;
        prop_assert!(lo - hour <= days && days <= hi + hour, "{days} days for {count} {unit:?}");
    }
}
