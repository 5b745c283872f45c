//! Golden scenarios from the SRE Workbook (chapter 5) run through the real
//! path (`EmbeddedCounts` over minute buckets, `observe`, `Tracker`,
//! `replay`) with the default policy of a 30-day rolling 99.9 % SLO: total
//! outage, 14.4x, 6x and 1x burns, a steady 0.1 % error rate, 5-minute
//! outages every 10 minutes, and a service of 10 requests an hour.
//!
//! For each alert raised the table gives detection time (incident start to
//! the end of the minute the alert fired) and reset time (incident end to
//! the end of the minute it resolved), and checks detection against the
//! Workbook's formula `(1 - SLO) / error ratio × long window × factor` (for
//! the budget alert `(1 - SLO) / error ratio × window`) within one minute.
//! The table is compared with `tests/data/scenarios.md`; regenerate it with
//! `UPDATE_EXPECT=1 cargo test -p lodestar-alert`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use alert::{
    AlertInterval, AlertKind, AlertSubject, EmbeddedCounts, Policy, PrefixSums, Severity, compares,
    replay, rolling_window, threshold_text,
};
use slo::{Bucket, Indicator, Method, Minute, ObjectiveDef, Op, Window};

const TARGET: f64 = 0.999;
const WINDOW: i64 = 30 * 1440;
/// Requests a minute of the ordinary services: 144 of them are 1.44 %, so
/// every scenario's bad counts are whole numbers.
const PER_MINUTE: u64 = 10_000;
/// Incidents start here (2024-03-01 00:00 UTC); history is clean before.
const T0: Minute = 28_487_520;
/// Replays start an hour before the incident and run this long after it.
const TAIL: i64 = 7 * 60;

/// Traffic of one minute: `(events, bad events)`.
type Traffic = Box<dyn Fn(Minute) -> (u64, u64)>;

struct Scenario {
    name: &'static str,
    /// Error ratio shown in the table and used by the formula.
    ratio_text: &'static str,
    error_ratio: f64,
    /// Incident minutes `[T0, T0 + minutes)`.
    minutes: i64,
    traffic: Traffic,
    /// Events a minute, for the low-traffic rule in the expectation.
    events_per_minute: f64,
    policy: Policy,
    /// Traffic burning before the replay starts: nothing to detect.
    steady: bool,
    /// The formula assumes a constant error ratio over the incident.
    uniform: bool,
}

fn during(minutes: i64, bad: u64) -> Traffic {
    Box::new(move |m| {
        let bad = if (T0..T0 + minutes).contains(&m) {
            bad
        } else {
            0
        };
        (PER_MINUTE, bad)
    })
}

fn scenarios() -> Vec<Scenario> {
    let default = Policy::workbook(WINDOW);
    let mut fast_only = default.clone();
    fast_only.conditions.truncate(1);
    fast_only.no_data_minutes = None;
    fast_only.budget_exhausted = false;
    let mut fast_only_undamped = fast_only.clone();
    fast_only_undamped.keep_firing_minutes = 0;
    let flapping = |minutes: i64| -> Traffic {
        Box::new(move |m| {
            let outage = (T0..T0 + minutes).contains(&m) && (m - T0) % 10 < 5;
            (PER_MINUTE, if outage { PER_MINUTE } else { 0 })
        })
    };
    let sparse = |failing: std::ops::Range<Minute>| -> Traffic {
        Box::new(move |m| {
            if (m - T0).rem_euclid(6) != 0 {
                (0, 0)
            } else {
                (1, u64::from(failing.contains(&m)))
            }
        })
    };
    let plain = |name, ratio_text, error_ratio, minutes, traffic| Scenario {
        name,
        ratio_text,
        error_ratio,
        minutes,
        traffic,
        events_per_minute: PER_MINUTE as f64,
        policy: default.clone(),
        steady: false,
        uniform: true,
    };
    vec![
        plain("total outage, 1h", "100%", 1.0, 60, during(60, PER_MINUTE)),
        plain("14.4x burn, 3h", "1.44%", 0.0144, 180, during(180, 144)),
        plain("6x burn, 16h", "0.6%", 0.006, 960, during(960, 60)),
        plain("1x burn, 4d", "0.1%", 0.001, 5760, during(5760, 10)),
        Scenario {
            steady: true,
            ..plain(
                "steady 0.1% (for 30d already)",
                "0.1%",
                0.001,
                1440,
                Box::new(|_| (PER_MINUTE, 10)),
            )
        },
        Scenario {
            uniform: false,
            ..plain(
                "5m outages every 10m, 3h",
                "100% half the time",
                1.0,
                180,
                flapping(180),
            )
        },
        Scenario {
            policy: fast_only.clone(),
            uniform: false,
            ..plain(
                "same, 1h/5m rule alone, 10m damping",
                "100% half the time",
                1.0,
                180,
                flapping(180),
            )
        },
        Scenario {
            policy: fast_only_undamped,
            uniform: false,
            ..plain(
                "same, 1h/5m rule alone, no damping",
                "100% half the time",
                1.0,
                180,
                flapping(180),
            )
        },
        Scenario {
            events_per_minute: 1.0 / 6.0,
            ..plain(
                "10 req/h, total outage 2h",
                "100%",
                1.0,
                120,
                sparse(T0..T0 + 120),
            )
        },
        Scenario {
            events_per_minute: 1.0 / 6.0,
            uniform: false,
            ..plain(
                "10 req/h, one failed request",
                "1 request",
                1.0,
                1,
                sparse(T0..T0 + 1),
            )
        },
    ]
}

/// One alert key's outcome in a scenario.
struct Row {
    alert: String,
    count: usize,
    detection: Option<i64>,
    expected: Option<f64>,
    reset: Option<i64>,
}

fn run(s: &Scenario) -> Vec<Row> {
    let history_from = T0 - WINDOW - 2 * 1440;
    let (from, to) = if s.steady {
        (T0, T0 + s.minutes)
    } else {
        (T0 - 60, T0 + s.minutes + TAIL)
    };
    let data: BTreeMap<Minute, Bucket> = (history_from..to)
        .filter_map(|m| {
            let (total, bad) = (s.traffic)(m);
            (total > 0).then(|| {
                (
                    m,
                    Bucket {
                        good: (total - bad) as f64,
                        total: total as f64,
                        raw_good: total - bad,
                        raw_total: total,
                        values: None,
                    },
                )
            })
        })
        .collect();
    // Window sums over the BTreeMap walk every minute; running totals make
    // a step of the 30-day window two lookups.
    let sums = PrefixSums::new(&data, history_from, to);
    let def = ObjectiveDef {
        target: TARGET,
        indicator: Indicator::Ratio,
        method: Method::Occurrences,
        window: Window::Rolling { minutes: WINDOW },
    };
    let counts = EmbeddedCounts {
        def: &def,
        data: &sums,
    };
    let window = rolling_window(WINDOW);
    let subject = AlertSubject {
        slo: "checkout",
        objective: "availability",
        policy: &s.policy,
        target: TARGET,
        counts: &counts,
        window_of: &window,
    };
    let r = replay(&subject, from, to, 1, &[]);

    let mut keys: Vec<_> = r.intervals.iter().map(|i| i.key.clone()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|key| {
            let fired: Vec<&AlertInterval> = r
                .intervals
                .iter()
                .filter(|i| i.key == key && i.fired_at.is_some())
                .collect();
            let first = fired.first().and_then(|i| i.fired_at);
            let last_resolved = fired.last().and_then(|i| i.resolved_at);
            let alert = match key.kind {
                AlertKind::Burn => format!("burn {}", key.severity.as_str()),
                other => other.as_str().replace('_', " "),
            };
            Row {
                alert,
                count: fired.len(),
                detection: first.filter(|_| !s.steady).map(|f| f + 1 - T0),
                expected: if s.steady {
                    None
                } else {
                    expected_detection(s, key.kind, key.severity)
                },
                reset: last_resolved.map(|r| r + 1 - (T0 + s.minutes)),
            }
        })
        .collect()
}

/// The Workbook's time to fire for the first condition that can raise
/// `severity` (after the low-traffic rule), or the budget's time to run out.
fn expected_detection(s: &Scenario, kind: AlertKind, severity: Severity) -> Option<f64> {
    let allowed = 1.0 - TARGET;
    match kind {
        AlertKind::NoData => None,
        AlertKind::BudgetExhausted => {
            let t = allowed / s.error_ratio * WINDOW as f64;
            (s.uniform && t <= s.minutes as f64).then_some(t)
        }
        AlertKind::Burn => s
            .policy
            .conditions
            .iter()
            .filter(|c| {
                let events = s.events_per_minute * c.long_minutes as f64;
                let raised =
                    if c.severity == Severity::Page && events < s.policy.min_page_events as f64 {
                        Severity::Ticket
                    } else {
                        c.severity
                    };
                raised == severity && compares(Op::Gte, s.error_ratio / allowed, c.threshold)
            })
            .map(|c| {
                allowed / s.error_ratio * c.long_minutes as f64 * c.threshold + c.for_minutes as f64
            })
            .filter(|t| *t <= s.minutes as f64 + 1e-9)
            .reduce(f64::min),
    }
}

/// Minutes with at most two decimals, `—` when absent.
fn cell(minutes: Option<f64>) -> String {
    minutes.map_or_else(|| "—".to_owned(), |m| format!("{}m", threshold_text(m)))
}

const NOTES: &str = "\
Default policy of a 30-day rolling 99.9 % SLO (`Policy::workbook`), \
10,000 requests a minute unless said otherwise. Detection: incident start to \
the end of the minute the alert fired; Workbook: `(1 - SLO) / error ratio × \
long window × factor` (budget: `(1 - SLO) / error ratio × window`); reset: \
incident end to the end of the minute the alert resolved, including the 10 \
minutes of flap damping; — : not applicable, or still open when the replay \
ended (budget alerts last until the bad minutes leave the 30-day window).

- Burn alerts of one severity are one alert: a page resolves when the last \
page condition lets go, so the 6h/30m rule sets the page's reset (about 30 \
minutes after a total outage) and the 3d/6h rule the ticket's.
- 5-minute outages every 10 minutes open ONE page: once the 6h/30m rule \
holds, its 30-minute window never clears between outages. The 1h/5m rule \
alone clears at the 5th good minute of every gap; without damping that is a \
new page every 10 minutes, with 10 minutes of damping one page.
- 10 requests an hour never page: a long window of 1 h or 6 h holds 10 or \
60 requests, fewer than the 100 a page needs, so the page rules open a \
ticket instead, as fast as a page would have fired. One failed request \
alone is 1,000x the budget rate at this traffic and holds a ticket open \
until it leaves the 6-hour window: at 99.9 % such a service cannot tell one \
bad request from an outage, which is why it gets a ticket and not a page.
- A steady 0.1 % spends exactly the budget: the 3d/6h ticket holds (1x) \
and the remaining budget is 0, which counts as exhausted; it never pages.
";

fn table() -> String {
    let mut out = String::from(
        "| scenario | error ratio | alert | alerts | detection | Workbook | reset |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for s in scenarios() {
        let rows = run(&s);
        assert!(!rows.is_empty(), "{}: no alert at all", s.name);
        for r in rows {
            if let (Some(d), Some(e)) = (r.detection, r.expected) {
                assert!(
                    (d as f64 - e).abs() < 1.0,
                    "{}: {} detected after {d}m, the Workbook says {e:.2}m",
                    s.name,
                    r.alert
                );
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                s.name,
                s.ratio_text,
                r.alert,
                r.count,
                if s.steady {
                    "open from the start".to_owned()
                } else {
                    cell(r.detection.map(|d| d as f64))
                },
                cell(r.expected),
                cell(r.reset.map(|r| r as f64)),
            );
        }
    }
    out.push('\n');
    out.push_str(NOTES);
    out
}

#[test]
fn workbook_scenarios_match_the_golden_table() {
    let actual = table();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scenarios.md");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        expected == actual,
        "scenario table changed; rerun with UPDATE_EXPECT=1 to accept:\n{actual}"
    );
}

#[test]
fn low_traffic_and_steady_burns_never_page() {
    for s in scenarios() {
        if s.name.starts_with("10 req/h") || s.steady {
            let rows = run(&s);
            assert!(
                rows.iter().all(|r| r.alert != "burn page"),
                "{} paged",
                s.name
            );
            assert!(
                rows.iter()
                    .any(|r| r.alert == "burn ticket" && r.count == 1)
            );
        }
    }
}
