use jiff::Timestamp;
use jiff::civil::{DateTime, date};
use jiff::tz::TimeZone;

use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn berlin(unit: CalendarUnit, count: u32, start: DateTime) -> Window {
    Window::Calendar {
        unit,
        count,
        start,
        tz: TimeZone::get("Europe/Berlin").unwrap(),
    }
}

/// Asserts the full period holding `at` (as RFC 3339 instants) and its length.
fn check_period(window: &Window, at: &str, from: &str, to: &str, minutes: i64) {
    let at = ts(at);
    let (f, t) = period_bounds(window, at);
    assert_eq!(
        (minute_start(f), minute_start(t)),
        (ts(from), ts(to)),
        "period of {at}"
    );
    assert_eq!(
        period_minutes(window, at),
        minutes,
        "length of the period of {at}"
    );
    assert_eq!(
        window_bounds(window, at),
        (f, minute_of(at) + 1),
        "window bounds at {at}"
    );
}

#[test]
fn minute_of_floors_before_and_after_the_epoch() {
    assert_eq!(minute_of(ts("1970-01-01T00:00:00Z")), 0);
    assert_eq!(minute_of(ts("1970-01-01T00:00:59.999Z")), 0);
    assert_eq!(minute_of(ts("1970-01-01T00:01:00Z")), 1);
    assert_eq!(minute_of(ts("1969-12-31T23:59:59.5Z")), -1);
    assert_eq!(minute_of(ts("1969-12-31T23:59:00Z")), -1);
    assert_eq!(minute_of(ts("1969-12-31T23:58:59.5Z")), -2);
    assert_eq!(
        minute_start(minute_of(ts("2024-05-01T10:11:12Z"))),
        ts("2024-05-01T10:11:00Z")
    );
}

#[test]
fn rolling_window_ends_with_the_bucket_holding_the_instant() {
    let at = ts("2024-03-10T12:34:56Z");
    let m = minute_of(at);
    assert_eq!(
        window_bounds(&Window::Rolling { minutes: 60 }, at),
        (m - 59, m + 1)
    );
    assert_eq!(
        window_bounds(&Window::Rolling { minutes: 1 }, at),
        (m, m + 1)
    );
    assert_eq!(
        period_minutes(&Window::Rolling { minutes: 40320 }, at),
        40320
    );
}

#[test]
fn berlin_month_over_the_march_change_is_an_hour_short() {
    let w = berlin(CalendarUnit::Month, 1, date(2024, 1, 1).at(0, 0, 0, 0));
    // March 2024 in Berlin: 2024-03-01T00:00+01:00 to 2024-04-01T00:00+02:00.
    check_period(
        &w,
        "2024-03-15T12:00:00Z",
        "2024-02-29T23:00:00Z",
        "2024-03-31T22:00:00Z",
        31 * 1440 - 60,
    );
    // The first minute of March local time already belongs to March.
    check_period(
        &w,
        "2024-02-29T23:00:00Z",
        "2024-02-29T23:00:00Z",
        "2024-03-31T22:00:00Z",
        31 * 1440 - 60,
    );
    // The last minute of February local time belongs to February.
    check_period(
        &w,
        "2024-02-29T22:59:59Z",
        "2024-01-31T23:00:00Z",
        "2024-02-29T23:00:00Z",
        29 * 1440,
    );
}

#[test]
fn berlin_month_over_the_october_change_is_an_hour_long() {
    let w = berlin(CalendarUnit::Month, 1, date(2024, 1, 1).at(0, 0, 0, 0));
    check_period(
        &w,
        "2024-10-27T01:30:00Z",
        "2024-09-30T22:00:00Z",
        "2024-10-31T23:00:00Z",
        31 * 1440 + 60,
    );
    check_period(
        &w,
        "2024-10-31T23:00:00Z",
        "2024-10-31T23:00:00Z",
        "2024-11-30T23:00:00Z",
        30 * 1440,
    );
}

#[test]
fn quarters_follow_the_civil_calendar() {
    let w = berlin(CalendarUnit::Quarter, 1, date(2024, 1, 1).at(0, 0, 0, 0));
    check_period(
        &w,
        "2024-02-10T00:00:00Z",
        "2023-12-31T23:00:00Z",
        "2024-03-31T22:00:00Z",
        91 * 1440 - 60,
    );
    check_period(
        &w,
        "2024-05-20T00:00:00Z",
        "2024-03-31T22:00:00Z",
        "2024-06-30T22:00:00Z",
        91 * 1440,
    );
    check_period(
        &w,
        "2024-11-20T00:00:00Z",
        "2024-09-30T22:00:00Z",
        "2024-12-31T23:00:00Z",
        92 * 1440 + 60,
    );
}

#[test]
fn weeks_start_on_the_weekday_of_start_and_shrink_over_dst() {
    // 2024-01-01 is a Monday, so weeks run Monday to Monday.
    let w = berlin(CalendarUnit::Week, 1, date(2024, 1, 1).at(0, 0, 0, 0));
    // Sunday 2024-03-31 is the change day: that week has 167 hours.
    check_period(
        &w,
        "2024-03-31T12:00:00Z",
        "2024-03-24T23:00:00Z",
        "2024-03-31T22:00:00Z",
        7 * 1440 - 60,
    );
    check_period(
        &w,
        "2024-04-03T12:00:00Z",
        "2024-03-31T22:00:00Z",
        "2024-04-07T22:00:00Z",
        7 * 1440,
    );
    // Fortnights keep the phase of `start`.
    let two = berlin(CalendarUnit::Week, 2, date(2024, 1, 1).at(0, 0, 0, 0));
    check_period(
        &two,
        "2024-01-20T12:00:00Z",
        "2024-01-14T23:00:00Z",
        "2024-01-28T23:00:00Z",
        14 * 1440,
    );
}

#[test]
fn years_are_whole_civil_years() {
    let w = berlin(CalendarUnit::Year, 1, date(2023, 1, 1).at(0, 0, 0, 0));
    check_period(
        &w,
        "2024-07-01T00:00:00Z",
        "2023-12-31T23:00:00Z",
        "2024-12-31T23:00:00Z",
        366 * 1440,
    );
}

#[test]
fn calendar_start_sets_the_phase_of_periods() {
    // Monthly from the 15th at 09:00.
    let w = berlin(CalendarUnit::Month, 1, date(2024, 1, 15).at(9, 0, 0, 0));
    check_period(
        &w,
        "2024-03-10T00:00:00Z",
        "2024-02-15T08:00:00Z",
        "2024-03-15T08:00:00Z",
        29 * 1440,
    );
    // Two-month periods from January: March-April.
    let w = berlin(CalendarUnit::Month, 2, date(2024, 1, 1).at(0, 0, 0, 0));
    check_period(
        &w,
        "2024-04-10T00:00:00Z",
        "2024-02-29T23:00:00Z",
        "2024-04-30T22:00:00Z",
        61 * 1440 - 60,
    );
    // A start in the future still aligns the periods before it.
    let w = berlin(CalendarUnit::Month, 1, date(2025, 1, 1).at(0, 0, 0, 0));
    check_period(
        &w,
        "2024-06-15T00:00:00Z",
        "2024-05-31T22:00:00Z",
        "2024-06-30T22:00:00Z",
        30 * 1440,
    );
}

#[test]
fn a_start_on_the_31st_clamps_to_short_months_without_drifting() {
    let w = Window::Calendar {
        unit: CalendarUnit::Month,
        count: 1,
        start: date(2024, 1, 31).at(0, 0, 0, 0),
        tz: TimeZone::UTC,
    };
    check_period(
        &w,
        "2024-02-28T12:00:00Z",
        "2024-01-31T00:00:00Z",
        "2024-02-29T00:00:00Z",
        29 * 1440,
    );
    check_period(
        &w,
        "2024-03-30T12:00:00Z",
        "2024-02-29T00:00:00Z",
        "2024-03-31T00:00:00Z",
        31 * 1440,
    );
    // Back on the 31st in May, not stuck on the 29th.
    check_period(
        &w,
        "2024-05-31T12:00:00Z",
        "2024-05-31T00:00:00Z",
        "2024-06-30T00:00:00Z",
        30 * 1440,
    );
}

#[test]
fn a_period_start_inside_a_dst_gap_moves_forward() {
    // 2024-03-31 02:30 does not exist in Berlin; the period starts at 03:30 CEST.
    let w = berlin(CalendarUnit::Month, 1, date(2024, 1, 31).at(2, 30, 0, 0));
    check_period(
        &w,
        "2024-04-10T00:00:00Z",
        "2024-03-31T01:30:00Z",
        "2024-04-30T00:30:00Z",
        30 * 1440 - 60,
    );
}

#[test]
fn other_zones_use_their_own_rules() {
    let w = Window::Calendar {
        unit: CalendarUnit::Month,
        count: 1,
        start: date(2024, 1, 1).at(0, 0, 0, 0),
        tz: TimeZone::get("America/New_York").unwrap(),
    };
    // US DST starts on 2024-03-10.
    check_period(
        &w,
        "2024-03-20T00:00:00Z",
        "2024-03-01T05:00:00Z",
        "2024-04-01T04:00:00Z",
        31 * 1440 - 60,
    );
}
