use std::collections::BTreeMap;

use slo::{Bucket, Indicator, Method, ObjectiveDef, Window};

use super::*;
use crate::counts::EmbeddedCounts;

fn def() -> ObjectiveDef {
    ObjectiveDef {
        target: 0.99,
        indicator: Indicator::Ratio,
        method: Method::Occurrences,
        window: Window::Rolling { minutes: 600 },
    }
}

/// `per_minute` events a minute over `minutes`, `bad` of them bad in each
/// minute of `bad_minutes`.
fn data(
    minutes: std::ops::Range<Minute>,
    per_minute: u64,
    bad_minutes: std::ops::Range<Minute>,
    bad: u64,
) -> BTreeMap<Minute, Bucket> {
    minutes
        .map(|m| {
            let b = if bad_minutes.contains(&m) { bad } else { 0 };
            let good = per_minute - b;
            (
                m,
                Bucket {
                    good: good as f64,
                    total: per_minute as f64,
                    raw_good: good,
                    raw_total: per_minute,
                    values: None,
                },
            )
        })
        .collect()
}

fn one_condition(severity: Severity, threshold: f64) -> Policy {
    Policy {
        name: "test".to_owned(),
        conditions: vec![BurnCondition {
            name: "c".to_owned(),
            severity,
            long_minutes: 60,
            short_minutes: 5,
            threshold,
            op: Op::Gte,
            for_minutes: 0,
        }],
        min_page_events: 100,
        min_alert_events: 1,
        no_data_minutes: None,
        budget_exhausted: false,
        notify_resolved: true,
        keep_firing_minutes: 0,
    }
}

fn at(policy: &Policy, data: &BTreeMap<Minute, Bucket>, m: Minute) -> Observation {
    let def = def();
    let counts = EmbeddedCounts { def: &def, data };
    observe(policy, def.target, &counts, (m + 1 - 600, m + 1), m)
}

#[test]
fn burn_rates_of_both_windows() {
    // 10 bad of 100 a minute for the last 6 minutes: 5m burns 10x, 1h 1x.
    let d = data(0..300, 100, 294..300, 10);
    let o = at(&one_condition(Severity::Page, 2.0), &d, 299);
    let c = &o.conditions[0];
    assert!((c.short_burn.unwrap() - 10.0).abs() < 1e-9);
    assert!((c.long_burn.unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(c.long_events, 6000);
    assert!(!c.holds, "the long window is below the threshold");
    assert_eq!(c.raises, None);
    let o = at(&one_condition(Severity::Page, 1.0), &d, 299);
    assert!(o.conditions[0].holds);
    assert_eq!(o.conditions[0].raises, Some(Severity::Page));
}

#[test]
fn windows_end_with_the_observed_minute() {
    // Bad minute 200 is inside the 5m window at 204, outside at 205.
    let d = data(0..300, 100, 200..201, 100);
    let p = one_condition(Severity::Page, 1.0);
    assert!(at(&p, &d, 204).conditions[0].holds);
    assert!(!at(&p, &d, 205).conditions[0].holds);
    assert!(!at(&p, &d, 199).conditions[0].holds);
}

#[test]
fn low_traffic_pages_become_tickets_and_vanish_under_the_floor() {
    // One event a minute: 60 in the long window, fewer than 100.
    let d = data(0..300, 1, 250..300, 1);
    let mut p = one_condition(Severity::Page, 14.4);
    let c = &at(&p, &d, 299).conditions[0];
    assert!(c.holds);
    assert_eq!(c.long_events, 60);
    assert_eq!(c.raises, Some(Severity::Ticket));
    p.min_page_events = 60;
    assert_eq!(at(&p, &d, 299).conditions[0].raises, Some(Severity::Page));
    p.min_alert_events = 61;
    let c = &at(&p, &d, 299).conditions[0];
    assert!(c.holds);
    assert_eq!(c.raises, None);
}

#[test]
fn a_window_without_events_never_holds() {
    let d = data(0..100, 100, 0..100, 100);
    let p = one_condition(Severity::Ticket, 0.0);
    let c = &at(&p, &d, 200).conditions[0];
    assert_eq!((c.long_burn, c.short_burn), (None, None));
    assert!(!c.holds);
}

#[test]
fn no_data_after_the_quiet_period_only_when_there_was_data() {
    let d = data(0..100, 10, 0..0, 0);
    let mut p = one_condition(Severity::Page, 14.4);
    p.no_data_minutes = Some(30);
    // Minute 99 is the last with events: quiet from 100 on.
    assert!(!at(&p, &d, 128).no_data);
    assert!(at(&p, &d, 129).no_data);
    assert!(at(&p, &d, 500).no_data);
    // The window (600 minutes) no longer holds any event: nothing to miss.
    assert!(!at(&p, &d, 800).no_data);
    p.no_data_minutes = None;
    assert!(!at(&p, &d, 129).no_data);
}

#[test]
fn budget_exhausted_when_the_window_spent_it() {
    // 1 % bad over the whole 600-minute window at a 99 % target: all spent.
    let d = data(0..600, 100, 0..600, 1);
    let mut p = one_condition(Severity::Page, 14.4);
    let o = at(&p, &d, 599);
    assert!(o.budget_remaining.unwrap().abs() < 1e-9);
    assert!(!o.budget_exhausted, "the policy does not alert on it");
    p.budget_exhausted = true;
    assert!(at(&p, &d, 599).budget_exhausted);
    // Half the minutes bad: half the budget left.
    let d = data(0..600, 100, 0..300, 1);
    let o = at(&p, &d, 599);
    assert!((o.budget_remaining.unwrap() - 0.5).abs() < 1e-9);
    assert!(!o.budget_exhausted);
    assert_eq!(at(&p, &BTreeMap::new(), 599).budget_remaining, None);
}

#[test]
fn comparisons_treat_a_hair_as_equal() {
    let just_below = 14.4 * (1.0 - 1e-12);
    assert!(compares(Op::Gte, just_below, 14.4));
    assert!(!compares(Op::Gte, 14.3, 14.4));
    assert!(!compares(Op::Gt, 14.4, 14.4));
    assert!(compares(Op::Gt, 14.5, 14.4));
    assert!(compares(Op::Lte, 14.4 * (1.0 + 1e-12), 14.4));
    assert!(!compares(Op::Lt, just_below, 14.4));
    assert!(compares(Op::Lt, 1.0, 14.4));
    assert!(compares(Op::Gte, 0.0, 0.0));
}
