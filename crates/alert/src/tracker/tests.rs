use super::*;
use crate::policy::BurnCondition;

fn policy(keep_firing: i64) -> Policy {
    let mut p = Policy::workbook(30 * 1440);
    p.keep_firing_minutes = keep_firing;
    p
}

fn cond(name: &str, raises: Option<Severity>, for_minutes: i64) -> ConditionObservation {
    ConditionObservation {
        name: name.to_owned(),
        severity: Severity::Page,
        long_minutes: 60,
        short_minutes: 5,
        threshold: 14.4,
        for_minutes,
        long_burn: Some(15.2),
        short_burn: Some(16.0),
        long_events: 60_000,
        holds: raises.is_some(),
        raises,
    }
}

fn obs(at: Minute, conditions: Vec<ConditionObservation>) -> Observation {
    Observation {
        at,
        conditions,
        no_data: false,
        budget_remaining: Some(0.5),
        budget_exhausted: false,
    }
}

/// Steps minutes `0..holds.len()`, the page condition holding where `true`,
/// and returns `(minute, from, to, notify)` of every transition.
fn run(
    p: &Policy,
    for_minutes: i64,
    holds: &[bool],
    silenced: &[Minute],
) -> Vec<(Minute, Phase, Phase, bool)> {
    let mut t = Tracker::new();
    let mut out = Vec::new();
    for (m, h) in holds.iter().enumerate() {
        let m = m as Minute;
        let c = cond("page_1h_5m", h.then_some(Severity::Page), for_minutes);
        for tr in t.step(
            "checkout",
            "availability",
            p,
            &obs(m, vec![c]),
            silenced.contains(&m),
        ) {
            out.push((tr.at, tr.from, tr.to, tr.notify));
        }
    }
    out
}

fn bits(s: &str) -> Vec<bool> {
    s.bytes().map(|b| b == b'1').collect()
}

#[test]
fn fires_at_once_without_for_and_resolves_when_conditions_stop() {
    let tr = run(&policy(0), 0, &bits("0111000"), &[]);
    assert_eq!(
        tr,
        [
            (1, Phase::Inactive, Phase::Firing { since: 1 }, true),
            (
                4,
                Phase::Firing { since: 1 },
                Phase::Resolved { at: 4 },
                true
            ),
        ]
    );
}

#[test]
fn pending_lasts_for_minutes_then_fires() {
    let tr = run(&policy(0), 3, &bits("011111"), &[]);
    assert_eq!(
        tr,
        [
            (1, Phase::Inactive, Phase::Pending { since: 1 }, false),
            (
                4,
                Phase::Pending { since: 1 },
                Phase::Firing { since: 4 },
                true
            ),
        ]
    );
}

#[test]
fn pending_is_withdrawn_silently_when_conditions_stop() {
    let tr = run(&policy(0), 3, &bits("01101111"), &[]);
    assert_eq!(
        tr,
        [
            (1, Phase::Inactive, Phase::Pending { since: 1 }, false),
            (3, Phase::Pending { since: 1 }, Phase::Inactive, false),
            (4, Phase::Inactive, Phase::Pending { since: 4 }, false),
            (
                7,
                Phase::Pending { since: 4 },
                Phase::Firing { since: 7 },
                true
            ),
        ]
    );
}

#[test]
fn flap_damping_keeps_one_alert_through_short_gaps() {
    // False for 3 minutes (shorter than 5): the same alert continues.
    // Then false from minute 8: resolved at 8 + 5.
    let tr = run(&policy(5), 0, &bits("1100011100000000"), &[]);
    assert_eq!(
        tr,
        [
            (0, Phase::Inactive, Phase::Firing { since: 0 }, true),
            (
                13,
                Phase::Firing { since: 0 },
                Phase::Resolved { at: 13 },
                true
            ),
        ]
    );
    // Without damping the same data opens two alerts.
    let tr = run(&policy(0), 0, &bits("1100011100000000"), &[]);
    let fired = tr
        .iter()
        .filter(|t| matches!(t.2, Phase::Firing { .. }))
        .count();
    assert_eq!(fired, 2);
}

#[test]
fn resolved_is_not_notified_unless_the_policy_asks() {
    let mut p = policy(0);
    p.notify_resolved = false;
    let tr = run(&p, 0, &bits("10"), &[]);
    assert_eq!(
        tr[1],
        (
            1,
            Phase::Firing { since: 0 },
            Phase::Resolved { at: 1 },
            false
        )
    );
}

#[test]
fn refiring_right_after_resolution_is_a_new_alert() {
    let tr = run(&policy(0), 0, &bits("1011"), &[]);
    assert_eq!(
        tr,
        [
            (0, Phase::Inactive, Phase::Firing { since: 0 }, true),
            (
                1,
                Phase::Firing { since: 0 },
                Phase::Resolved { at: 1 },
                true
            ),
            (
                2,
                Phase::Resolved { at: 1 },
                Phase::Firing { since: 2 },
                true
            ),
        ]
    );
}

#[test]
fn silence_resolves_firing_alerts_and_holds_everything_inactive() {
    // Firing from 0; silenced 2..5; conditions hold throughout.
    let tr = run(&policy(10), 2, &bits("11111111111"), &[2, 3, 4, 5]);
    assert_eq!(
        tr,
        [
            (0, Phase::Inactive, Phase::Pending { since: 0 }, false),
            (2, Phase::Pending { since: 0 }, Phase::Inactive, false),
            (6, Phase::Inactive, Phase::Pending { since: 6 }, false),
            (
                8,
                Phase::Pending { since: 6 },
                Phase::Firing { since: 8 },
                true
            ),
        ]
    );
    let tr = run(&policy(10), 0, &bits("1111111"), &[3, 4]);
    assert_eq!(
        tr,
        [
            (0, Phase::Inactive, Phase::Firing { since: 0 }, true),
            (
                3,
                Phase::Firing { since: 0 },
                Phase::Resolved { at: 3 },
                true
            ),
            (5, Phase::Inactive, Phase::Firing { since: 5 }, true),
        ]
    );
}

#[test]
fn silenced_transitions_say_so() {
    let p = policy(10);
    let mut t = Tracker::new();
    let c = || vec![cond("page_1h_5m", Some(Severity::Page), 0)];
    t.step("s", "o", &p, &obs(0, c()), false);
    let tr = t.step("s", "o", &p, &obs(1, c()), true);
    assert_eq!(tr.len(), 1);
    assert!(tr[0].silenced);
    assert!(
        tr[0]
            .summary
            .starts_with("silenced by a maintenance window"),
        "{}",
        tr[0].summary
    );
}

#[test]
fn conditions_of_one_severity_are_one_alert() {
    let p = policy(0);
    let mut t = Tracker::new();
    let mut slow = cond("page_6h_30m", Some(Severity::Page), 0);
    slow.long_minutes = 360;
    slow.short_minutes = 30;
    slow.threshold = 6.0;
    let mut ticket = cond("ticket_1d_2h", Some(Severity::Ticket), 0);
    ticket.severity = Severity::Ticket;
    ticket.long_minutes = 1440;
    ticket.short_minutes = 120;
    ticket.threshold = 3.0;
    let o = obs(
        0,
        vec![cond("page_1h_5m", Some(Severity::Page), 0), slow, ticket],
    );
    let tr = t.step("checkout", "availability", &p, &o, false);
    assert_eq!(tr.len(), 2);
    assert_eq!(tr[0].key.severity, Severity::Page);
    assert_eq!(tr[0].key.kind, AlertKind::Burn);
    assert_eq!(tr[0].conditions.len(), 2);
    assert_eq!(
        tr[0].summary,
        "burning 15.2x the budget over 1h and 16.0x over 5m (page threshold 14.4x); \
         burning 15.2x the budget over 6h and 16.0x over 30m (page threshold 6x)"
    );
    assert_eq!(tr[1].key.severity, Severity::Ticket);
    assert_eq!(
        tr[1].summary,
        "burning 15.2x the budget over 1d and 16.0x over 2h (ticket threshold 3x)"
    );
    // The same facts again: nothing new to say.
    assert!(
        t.step("checkout", "availability", &p, &o.clone_at(1), false)
            .is_empty()
    );
    assert_eq!(t.alerts().count(), 2);
}

impl Observation {
    fn clone_at(&self, at: Minute) -> Observation {
        Observation { at, ..self.clone() }
    }
}

#[test]
fn downgraded_pages_say_why() {
    let p = policy(0);
    let mut t = Tracker::new();
    let mut c = cond("page_1h_5m", Some(Severity::Ticket), 0);
    c.long_events = 10;
    let tr = t.step("s", "o", &p, &obs(0, vec![c]), false);
    assert_eq!(tr[0].key.severity, Severity::Ticket);
    assert_eq!(
        tr[0].summary,
        "burning 15.2x the budget over 1h and 16.0x over 5m (page threshold 14.4x), \
         a ticket rather than a page: 10 events in 1h, 100 needed to page"
    );
}

#[test]
fn no_data_and_budget_alerts_are_tickets_of_their_own() {
    let p = policy(0);
    let mut t = Tracker::new();
    let mut o = obs(0, Vec::new());
    o.no_data = true;
    o.budget_exhausted = true;
    o.budget_remaining = Some(-0.25);
    let tr = t.step("s", "o", &p, &o, false);
    let kinds: Vec<(AlertKind, Severity, &str)> = tr
        .iter()
        .map(|t| (t.key.kind, t.key.severity, t.summary.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                AlertKind::NoData,
                Severity::Ticket,
                "no events for 1h after the window had some"
            ),
            (
                AlertKind::BudgetExhausted,
                Severity::Ticket,
                "error budget exhausted: 125.0% of the window's budget spent"
            ),
        ]
    );
    let tr = t.step("s", "o", &p, &obs(1, Vec::new()), false);
    assert_eq!(tr.len(), 2);
    assert!(tr.iter().all(|t| matches!(t.to, Phase::Resolved { at: 1 })));
    assert_eq!(tr[0].summary, "events are arriving");
    assert_eq!(tr[1].summary, "error budget 50.0% left");
}

#[test]
fn objectives_do_not_share_alerts() {
    let p = policy(0);
    let mut t = Tracker::new();
    let c = || vec![cond("page_1h_5m", Some(Severity::Page), 0)];
    assert_eq!(t.step("a", "o", &p, &obs(0, c()), false).len(), 1);
    assert_eq!(t.step("b", "o", &p, &obs(0, c()), false).len(), 1);
    assert_eq!(t.step("a", "p", &p, &obs(0, c()), false).len(), 1);
    assert_eq!(t.alerts().count(), 3);
}

#[test]
fn a_persisted_tracker_continues_where_it_stopped() {
    let p = policy(5);
    let mut live = Tracker::new();
    let c = |h: bool| vec![cond("page_1h_5m", h.then_some(Severity::Page), 2)];
    for m in 0..4 {
        live.step("s", "o", &p, &obs(m, c(true)), false);
    }
    live.step("s", "o", &p, &obs(4, c(false)), false);
    let text = serde_json::to_string(&live).unwrap();
    let mut restored: Tracker = serde_json::from_str(&text).unwrap();
    assert_eq!(restored, live);
    for m in 5..13 {
        let h = m < 7;
        assert_eq!(
            restored.step("s", "o", &p, &obs(m, c(h)), false),
            live.step("s", "o", &p, &obs(m, c(h)), false)
        );
    }
    let key = AlertKey {
        slo: "s".to_owned(),
        objective: "o".to_owned(),
        severity: Severity::Page,
        kind: AlertKind::Burn,
    };
    assert_eq!(restored.phase(&key), Phase::Resolved { at: 12 });
}

#[test]
fn texts_for_lengths_and_thresholds() {
    assert_eq!(minutes_text(5), "5m");
    assert_eq!(minutes_text(90), "90m");
    assert_eq!(minutes_text(120), "2h");
    assert_eq!(minutes_text(4320), "3d");
    assert_eq!(minutes_text(0), "0m");
    assert_eq!(threshold_text(14.4), "14.4");
    assert_eq!(threshold_text(6.0), "6");
    assert_eq!(threshold_text(0.9333), "0.93");
    assert_eq!(threshold_text(13.44), "13.44");
}

#[test]
fn burn_condition_names_reach_the_details() {
    let p = Policy {
        conditions: vec![BurnCondition {
            name: "mine".to_owned(),
            severity: Severity::Page,
            long_minutes: 60,
            short_minutes: 5,
            threshold: 1.0,
            op: slo::Op::Gte,
            for_minutes: 0,
        }],
        ..policy(0)
    };
    let mut t = Tracker::new();
    let tr = t.step(
        "s",
        "o",
        &p,
        &obs(0, vec![cond("mine", Some(Severity::Page), 0)]),
        false,
    );
    assert_eq!(tr[0].conditions[0].name, "mine");
}
