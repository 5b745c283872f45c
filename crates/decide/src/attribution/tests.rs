use proptest::prelude::*;
use slo::Tally;

use super::*;

fn tally(good: f64, total: f64) -> Tally {
    Tally {
        good,
        total,
        raw_good: good as u64,
        raw_total: total as u64,
    }
}

/// 100,000 events, 400 bad, against 99.9 % over a window allowing 1,000
/// bad: versions v1 (90 % of traffic, 40 bad) and v2 (10 %, 360 bad);
/// regions split evenly; the payments dependency saw 50 bad.
fn example() -> Attribution {
    let segments = vec![
        ("version", "v1", tally(89_960.0, 90_000.0)),
        ("version", "v2", tally(9_640.0, 10_000.0)),
        ("region", "eu", tally(49_800.0, 50_000.0)),
        ("region", "us", tally(49_800.0, 50_000.0)),
        ("peer.service", "payments", tally(1_950.0, 2_000.0)),
    ];
    attribute(
        0.999,
        1_000.0,
        &tally(99_600.0, 100_000.0),
        &segments,
        &["peer.service"],
    )
    .unwrap()
}

#[test]
fn shares_by_dimension() {
    let a = example();
    assert!((a.total_bad - 400.0).abs() < 1e-9);
    assert!((a.share_of_budget - 0.4).abs() < 1e-12);
    let version = &a.by_dimension[0];
    assert_eq!(version.dimension, "version");
    assert_eq!(version.contributors[0].value, "v2");
    let v2 = &version.contributors[0];
    assert!((v2.share_of_burn - 0.9).abs() < 1e-12);
    assert!((v2.share_of_traffic - 0.1).abs() < 1e-12);
    assert!((v2.share_of_budget - 0.36).abs() < 1e-12);
    // 3.6 % errors against a 0.1 % allowance: burn rate 36.
    assert!((v2.burn_rate.unwrap() - 36.0).abs() < 1e-6);
    // Equal bad in both regions: ordered by name.
    let region = &a.by_dimension[1];
    assert_eq!(region.contributors[0].value, "eu");
    assert!((region.contributors[0].share_of_burn - 0.5).abs() < 1e-12);
}

#[test]
fn dependencies_are_reported_apart() {
    let a = example();
    assert_eq!(a.dependency.len(), 1);
    assert_eq!(a.dependency[0].value, "payments");
    assert!((a.dependency_share - 0.125).abs() < 1e-12);
    assert!(a.top.iter().all(|c| c.dimension != "peer.service"));
    assert_eq!(a.top[0].value, "v2");
    assert!((excepted_share(&a, "peer.service", &["payments".to_owned()]) - 0.125).abs() < 1e-12);
    assert!((excepted_share(&a, "peer.service", &[]) - 0.125).abs() < 1e-12);
    assert_eq!(
        excepted_share(&a, "peer.service", &["search".to_owned()]),
        0.0
    );
}

#[test]
fn dominant_cause_needs_low_traffic_share() {
    let a = example();
    let cause = dominant_cause(&a, 0.6).unwrap();
    assert_eq!(
        (cause.dimension.as_str(), cause.value.as_str()),
        ("version", "v2")
    );
    assert_eq!(
        cause.describe(),
        "attributed to version v2 (90 % of the burn, 10 % of the traffic)"
    );
    // Nothing carries 95 % of the burn.
    assert!(dominant_cause(&a, 0.95).is_none());

    // The only version deployed carries all the burn and all the traffic:
    // it is where the traffic is, not a cause.
    let only = attribute(
        0.999,
        1_000.0,
        &tally(99_600.0, 100_000.0),
        &[("version", "v1", tally(99_600.0, 100_000.0))],
        &[],
    )
    .unwrap();
    assert!(dominant_cause(&only, 0.6).is_none());
}

#[test]
fn no_burn_means_no_shares() {
    let a = attribute(
        0.99,
        10.0,
        &tally(100.0, 100.0),
        &[("region", "eu", tally(100.0, 100.0))],
        &[],
    )
    .unwrap();
    assert_eq!(a.total_bad, 0.0);
    assert_eq!(a.by_dimension[0].contributors[0].share_of_burn, 0.0);
    assert!(a.top.is_empty());
    assert!(dominant_cause(&a, 0.1).is_none());
}

#[test]
fn refuses_bad_target_and_budget() {
    let whole = tally(1.0, 1.0);
    let none: [(&str, &str, Tally); 0] = [];
    assert!(matches!(
        attribute(0.0, 1.0, &whole, &none, &[]),
        Err(DecideError::Target { .. })
    ));
    let err = attribute(0.99, -1.0, &whole, &none, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "window budget -1 of attribution is invalid: expected a positive bad-event weight allowed over the window"
    );
}

proptest! {
    #[test]
    fn shares_are_fractions_and_sum_to_one_per_full_dimension(
        parts in prop::collection::vec((0u32..1000, 1u32..1000), 1..8),
    ) {
        let segments: Vec<(String, String, Tally)> = parts
            .iter()
            .enumerate()
            .map(|(i, (bad, extra))| {
                let total = f64::from(bad + extra);
                ("version".to_owned(), format!("v{i}"), tally(total - f64::from(*bad), total))
            })
            .collect();
        let mut whole = Tally::default();
        for (_, _, t) in &segments {
            whole.add(t);
        }
        let a = attribute(0.99, 100.0, &whole, &segments, &[]).unwrap();
        let d = &a.by_dimension[0];
        let sum: f64 = d.contributors.iter().map(|c| c.share_of_burn).sum();
        if a.total_bad > 0.0 {
            prop_assert!((sum - 1.0).abs() < 1e-9);
        }
        for c in &d.contributors {
            prop_assert!((0.0..=1.0).contains(&c.share_of_burn));
            prop_assert!((0.0..=1.0).contains(&c.share_of_traffic));
        }
        for pair in d.contributors.windows(2) {
            prop_assert!(pair[0].bad >= pair[1].bad);
        }
        prop_assert!(a.top.len() <= TOP_CONTRIBUTORS);
        if let Some(cause) = dominant_cause(&a, 0.5) {
            prop_assert!(cause.share_of_burn >= 0.5);
            prop_assert!(cause.share_of_traffic * 2.0 <= cause.share_of_burn);
        }
    }
}
