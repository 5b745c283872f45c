use std::collections::BTreeMap;

use proptest::prelude::*;
use slo::{Bucket, Indicator, Method, ObjectiveDef, Window};

use super::*;
use crate::counts::EmbeddedCounts;
use crate::policy::{BurnCondition, Severity};

fn def(window: i64) -> ObjectiveDef {
    ObjectiveDef {
        target: 0.99,
        indicator: Indicator::Ratio,
        method: Method::Occurrences,
        window: Window::Rolling { minutes: window },
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

fn small_policy(keep_firing: i64, for_minutes: i64) -> Policy {
    Policy {
        name: "small".to_owned(),
        conditions: vec![
            BurnCondition {
                name: "fast".to_owned(),
                severity: Severity::Page,
                long_minutes: 10,
                short_minutes: 2,
                threshold: 5.0,
                op: slo::Op::Gte,
                for_minutes,
            },
            BurnCondition {
                name: "slow".to_owned(),
                severity: Severity::Ticket,
                long_minutes: 30,
                short_minutes: 5,
                threshold: 2.0,
                op: slo::Op::Gte,
                for_minutes: 0,
            },
        ],
        min_page_events: 100,
        min_alert_events: 1,
        no_data_minutes: Some(15),
        budget_exhausted: true,
        notify_resolved: true,
        keep_firing_minutes: keep_firing,
    }
}

fn run(
    data: &BTreeMap<Minute, Bucket>,
    policy: &Policy,
    range: (Minute, Minute),
    step: i64,
    silences: &[(Minute, Minute)],
) -> Replay {
    let d = def(120);
    let counts = EmbeddedCounts { def: &d, data };
    let window = rolling_window(120);
    let subject = AlertSubject {
        slo: "checkout",
        objective: "availability",
        policy,
        target: d.target,
        counts: &counts,
        window_of: &window,
    };
    replay(&subject, range.0, range.1, step, silences)
}

/// 100 events a minute over `0..300`, all bad during `outage`.
fn outage(outage: std::ops::Range<Minute>) -> BTreeMap<Minute, Bucket> {
    (0..300)
        .map(|m| {
            let good = if outage.contains(&m) { 0 } else { 100 };
            (m, bucket(good, 100))
        })
        .collect()
}

#[test]
fn an_outage_fires_and_resolves_each_severity_once() {
    let r = run(&outage(150..160), &small_policy(0, 0), (140, 200), 1, &[]);
    let page: Vec<&AlertInterval> = r
        .intervals
        .iter()
        .filter(|i| i.key.kind == AlertKind::Burn && i.key.severity == Severity::Page)
        .collect();
    assert_eq!(page.len(), 1);
    // 1 bad minute of 10 burns 10x ≥ 5x at once; the 2-minute window clears
    // at 161, the first minute without a bad one in it.
    assert_eq!(page[0].pending_at, 150);
    assert_eq!(page[0].fired_at, Some(150));
    assert_eq!(page[0].resolved_at, Some(161));
    // Peak: 10 bad minutes of 10 burn 100x.
    assert!((page[0].peak_burn.unwrap() - 100.0).abs() < 1e-9);
    let ticket = r
        .intervals
        .iter()
        .find(|i| i.key.severity == Severity::Ticket && i.key.kind == AlertKind::Burn)
        .unwrap();
    // 30-minute window at 2x: 0.6 bad minutes; its 5m window clears at 164.
    assert_eq!(
        (ticket.fired_at, ticket.resolved_at),
        (Some(150), Some(164))
    );
    // 10 minutes of 100 % errors in a 120-minute window at 99 %: budget gone.
    assert!(
        r.intervals
            .iter()
            .any(|i| i.key.kind == AlertKind::BudgetExhausted && i.resolved_at.is_none())
    );
    let firing = r
        .transitions
        .iter()
        .filter(|t| matches!(t.to, Phase::Firing { .. }))
        .count();
    assert_eq!(
        firing,
        r.intervals.iter().filter(|i| i.fired_at.is_some()).count()
    );
}

#[test]
fn for_delays_firing_and_silences_hold_alerts_back() {
    let r = run(&outage(150..180), &small_policy(0, 5), (140, 200), 1, &[]);
    let page = r
        .intervals
        .iter()
        .find(|i| i.key.severity == Severity::Page)
        .unwrap();
    assert_eq!((page.pending_at, page.fired_at), (150, Some(155)));

    let r = run(
        &outage(150..180),
        &small_policy(0, 0),
        (140, 200),
        1,
        &[(145, 170)],
    );
    let page = r
        .intervals
        .iter()
        .find(|i| i.key.severity == Severity::Page)
        .unwrap();
    assert_eq!(page.fired_at, Some(170));
    assert!(r.transitions.iter().all(|t| !t.silenced));
}

#[test]
fn no_data_when_events_stop() {
    let data: BTreeMap<Minute, Bucket> = (0..100).map(|m| (m, bucket(100, 100))).collect();
    let r = run(&data, &small_policy(0, 0), (90, 150), 1, &[]);
    let no_data: Vec<&AlertInterval> = r
        .intervals
        .iter()
        .filter(|i| i.key.kind == AlertKind::NoData)
        .collect();
    assert_eq!(no_data.len(), 1);
    // Last events at 99; 15 quiet minutes are 100..=114.
    assert_eq!(no_data[0].fired_at, Some(114));
    assert_eq!(no_data[0].resolved_at, None);
    assert_eq!(no_data[0].peak_burn, None);
}

#[test]
fn coarser_steps_see_the_same_alert_later_or_equal() {
    let fine = run(&outage(150..170), &small_policy(0, 0), (140, 200), 1, &[]);
    let coarse = run(&outage(150..170), &small_policy(0, 0), (140, 200), 4, &[]);
    let page = |r: &Replay| {
        r.intervals
            .iter()
            .find(|i| i.key.severity == Severity::Page)
            .unwrap()
            .clone()
    };
    assert_eq!(page(&fine).fired_at, Some(150));
    assert_eq!(page(&coarse).fired_at, Some(152));
    assert!(coarse.transitions.iter().all(|t| (t.at - 140) % 4 == 0));
}

fn check_intervals(r: &Replay) -> Result<(), TestCaseError> {
    let mut by_key: BTreeMap<&AlertKey, Vec<&AlertInterval>> = BTreeMap::new();
    for i in &r.intervals {
        by_key.entry(&i.key).or_default().push(i);
    }
    for list in by_key.values() {
        for (n, i) in list.iter().enumerate() {
            if let Some(f) = i.fired_at {
                prop_assert!(
                    f >= i.pending_at,
                    "fired {} before pending {}",
                    f,
                    i.pending_at
                );
            }
            if let Some(end) = i.resolved_at {
                prop_assert!(end >= i.fired_at.unwrap_or(i.pending_at));
            }
            if let Some(next) = list.get(n + 1) {
                let end = i.resolved_at;
                prop_assert!(end.is_some(), "an open interval is followed by another");
                prop_assert!(
                    end.unwrap() < next.pending_at,
                    "intervals overlap: {:?} {:?}",
                    i,
                    next
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn intervals_of_a_key_never_overlap(
        minutes in proptest::collection::vec((0u64..30, 0u64..30), 60..200),
        keep_firing in 0i64..6,
        for_minutes in 0i64..4,
        step in 1i64..4,
        silence in proptest::option::of((0i64..200, 1i64..30)),
    ) {
        let data: BTreeMap<Minute, Bucket> = minutes
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| *t > 0)
            .map(|(m, (b, t))| (m as Minute, bucket(t - (*b).min(*t), *t)))
            .collect();
        let silences: Vec<(Minute, Minute)> =
            silence.map(|(s, len)| (s, s + len)).into_iter().collect();
        let r = run(
            &data,
            &small_policy(keep_firing, for_minutes),
            (0, minutes.len() as Minute + 20),
            step,
            &silences,
        );
        check_intervals(&r)?;
        for t in &r.transitions {
            if t.silenced {
                let starts = matches!(t.to, Phase::Firing { .. } | Phase::Pending { .. });
                prop_assert!(!starts, "a silenced step started an alert: {:?}", t);
            }
        }
    }
}
