use proptest::prelude::*;
use slo::Tally;

use super::*;

/// 1,000 events a minute over `minutes`, with `bad` bad events in the
/// minutes listed.
fn series(minutes: std::ops::Range<i64>, bad: &[(i64, f64)]) -> Vec<(i64, Tally)> {
    minutes
        .map(|m| {
            let b = bad.iter().find(|(at, _)| *at == m).map_or(0.0, |(_, b)| *b);
            (
                m,
                Tally {
                    good: 1000.0 - b,
                    total: 1000.0,
                    raw_good: (1000.0 - b) as u64,
                    raw_total: 1000,
                },
            )
        })
        .collect()
}

fn burst(from: i64, to: i64, bad: f64) -> Vec<(i64, f64)> {
    (from..=to).map(|m| (m, bad)).collect()
}

const BUDGET: f64 = 40_320.0; // 0.1 % of 1,000 events a minute for 28 days

#[test]
fn one_burst_is_one_incident_with_its_share() {
    // Ten minutes at 50 % errors: burn 500 against a 99.9 % target; the
    // 5-minute window stays hot until minute 23. Bad = 5,000 =
    // 12.4 % of the 40,320 budget.
    let s = series(0..120, &burst(10, 19, 500.0));
    let found = find_incidents(&s, 0.999, BUDGET, &IncidentConfig::default()).unwrap();
    assert_eq!(found.len(), 1);
    let i = found[0];
    assert_eq!((i.start, i.end), (10, 23));
    assert!((i.bad - 5000.0).abs() < 1e-9);
    assert!((i.budget_share - 5000.0 / BUDGET).abs() < 1e-12);
    assert!((i.peak_burn_rate - 500.0).abs() < 1e-9);
    assert!((largest_share(&found) - i.budget_share).abs() < 1e-15);
}

#[test]
fn close_bursts_merge_and_distant_ones_do_not() {
    let mut bad = burst(10, 14, 500.0);
    bad.extend(burst(30, 34, 500.0)); // 11 quiet minutes after the first run ends at 18
    bad.extend(burst(100, 101, 800.0));
    let s = series(0..200, &bad);
    let found = find_incidents(&s, 0.999, BUDGET, &IncidentConfig::default()).unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].start, found[0].end), (10, 38));
    assert!((found[0].bad - 5000.0).abs() < 1e-9);
    assert_eq!(found[1].start, 100);
    assert!((found[1].bad - 1600.0).abs() < 1e-9);
    assert!((largest_share(&found) - 5000.0 / BUDGET).abs() < 1e-12);
}

#[test]
fn steady_low_burn_is_no_incident() {
    let bad: Vec<(i64, f64)> = (0..500).map(|m| (m, 5.0)).collect(); // burn 5
    let s = series(0..500, &bad);
    let found = find_incidents(&s, 0.999, BUDGET, &IncidentConfig::default()).unwrap();
    assert!(found.is_empty());
    assert_eq!(largest_share(&found), 0.0);
}

#[test]
fn sparse_minutes_are_quiet_minutes() {
    let s = vec![
        (
            5,
            Tally {
                good: 0.0,
                total: 10.0,
                raw_good: 0,
                raw_total: 10,
            },
        ),
        (
            500,
            Tally {
                good: 10.0,
                total: 10.0,
                raw_good: 10,
                raw_total: 10,
            },
        ),
    ];
    let found = find_incidents(&s, 0.99, 100.0, &IncidentConfig::default()).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].start, found[0].end), (5, 5));
    assert!((found[0].budget_share - 0.1).abs() < 1e-12);
}

#[test]
fn refuses_bad_inputs() {
    let s = series(0..3, &[]);
    let cfg = IncidentConfig::default();
    assert!(matches!(
        find_incidents(&s, 1.0, BUDGET, &cfg),
        Err(DecideError::Target { .. })
    ));
    assert!(matches!(
        find_incidents(&s, 0.99, 0.0, &cfg),
        Err(DecideError::Budget { .. })
    ));
    let unsorted = vec![s[1], s[0]];
    let err = find_incidents(&unsorted, 0.99, BUDGET, &cfg).unwrap_err();
    assert_eq!(
        err.to_string(),
        "minute series of incident detection is not ascending at index 1 (minute 0 after 1): expected strictly increasing minutes"
    );
}

proptest! {
    #[test]
    fn incidents_are_ordered_disjoint_and_bounded(
        bad in prop::collection::vec(prop_oneof![3 => Just(0.0f64), 1 => 0.0f64..1000.0], 1..300),
        gap in 0i64..30,
        w in 1i64..10,
    ) {
        let pairs: Vec<(i64, f64)> = bad.iter().enumerate().map(|(m, b)| (m as i64, *b)).collect();
        let s = series(0..bad.len() as i64, &pairs);
        let cfg = IncidentConfig { burn_threshold: 14.4, short_window_minutes: w, merge_gap_minutes: gap };
        let found = find_incidents(&s, 0.999, BUDGET, &cfg).unwrap();
        let total_bad: f64 = bad.iter().sum();
        let owned: f64 = found.iter().map(|i| i.bad).sum();
        prop_assert!(owned <= total_bad + 1e-6);
        for pair in found.windows(2) {
            prop_assert!(pair[0].end < pair[1].start);
        }
        for i in &found {
            prop_assert!(i.start <= i.end);
            prop_assert!((i.budget_share - i.bad / BUDGET).abs() < 1e-12);
            prop_assert!(i.peak_burn_rate > 14.4);
        }
        // A minute at full failure is always inside some incident.
        for (m, b) in &pairs {
            if *b >= 999.0 {
                prop_assert!(found.iter().any(|i| i.start <= *m && *m <= i.end));
            }
        }
    }
}
