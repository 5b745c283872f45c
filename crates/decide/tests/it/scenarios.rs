//! The scenarios, each built from tallies and sketches whose
//! answers are known: a healthy release passes; a canary 30 % slower at p95
//! fails; a canary with too little traffic is inconclusive; a budget
//! exhausted by the payment dependency is excepted by the policy; a flag
//! that causes the burn is named as the dominant cause.

use decide::attribution::{attribute, dominant_cause};
use decide::gate::{Arm, GateConfig, ObjectiveEvidence, ReasonKind, Verdict, judge};
use decide::incident::{IncidentConfig, find_incidents, largest_share};
use decide::policy::{PolicyFacts, Releases, State, evaluate};
use decide::priorities::{PriorityInput, Recommendation, TopContributor, rank, render_markdown};
use slo::{Sketch, Tally};
use spec::BudgetPolicy;

const WINDOW: i64 = 28 * 1440;
const TARGET: f64 = 0.999;

fn workbook() -> BudgetPolicy {
    let text = include_str!("../data/workbook-policy.yaml");
    let loaded = spec::load_sources(
        &[("workbook-policy.yaml".to_owned(), text.to_owned())],
        spec::Mode::Strict,
    );
    let errors: Vec<String> = loaded.errors().map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    loaded.set.unwrap().budget_policies.remove(0)
}

/// Deterministic pseudo-random numbers (xorshift64*), so the scenarios
/// have fixed answers without a dependency.
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Approximately standard normal (sum of twelve uniforms).
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.uniform()).sum::<f64>() - 6.0
    }
}

/// `n` log-normal latencies with median `median_ms`.
fn latencies(n: usize, median_ms: f64, seed: u64) -> Sketch {
    let mut noise = Noise(seed);
    let mut s = Sketch::new();
    for _ in 0..n {
        s.add(median_ms * (0.3 * noise.normal()).exp(), 1.0);
    }
    s
}

fn arm(n: u64, bad: f64, latency: Sketch) -> Arm {
    Arm {
        good: n as f64 - bad,
        total: n as f64,
        raw_total: n,
        latency: Some(latency),
    }
}

fn tally(bad: f64, total: f64) -> Tally {
    Tally {
        good: total - bad,
        total,
        raw_good: (total - bad) as u64,
        raw_total: total as u64,
    }
}

fn healthy_facts() -> PolicyFacts {
    PolicyFacts {
        slo: "checkout-latency".to_owned(),
        budget_remaining: 0.85,
        burn_rates: vec![(5, Some(0.8)), (60, Some(0.9))],
        ..PolicyFacts::default()
    }
}

fn evidence(canary: Arm, baseline: Arm, burned: f64) -> ObjectiveEvidence {
    ObjectiveEvidence {
        slo: "checkout-latency".to_owned(),
        policy: evaluate(&workbook(), &healthy_facts()),
        canary: Some(canary),
        baseline: Some(baseline),
        latency_unit: "ms".to_owned(),
        budget_burned: Some(burned),
        elapsed_minutes: 120,
        window_minutes: WINDOW,
    }
}

#[test]
fn healthy_service_release_passes() {
    // Same latency distribution (different draws), 0.1 % errors in both
    // arms, and the new version burned 0.4 % of the budget.
    let e = evidence(
        arm(3_000, 3.0, latencies(3_000, 240.0, 1)),
        arm(27_000, 27.0, latencies(27_000, 240.0, 2)),
        0.004,
    );
    let report = judge(&GateConfig::default(), &[e], &[]).unwrap();
    let reasons: Vec<&str> = report.reasons.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(report.verdict, Verdict::Pass, "{reasons:#?}");
    assert_eq!(report.exit_code, 0);
    assert_eq!(
        reasons[0],
        "policy workbook: healthy (budget remaining 85 %), releases allowed"
    );
    assert!(
        reasons[1].ends_with("no significant difference"),
        "{}",
        reasons[1]
    );
    assert_eq!(
        reasons[3],
        "the new version burned 0.4 % of the 28-day budget in 2 h"
    );
}

#[test]
fn canary_thirty_percent_slower_at_p95_fails() {
    let e = evidence(
        arm(3_000, 3.0, latencies(3_000, 312.0, 3)),
        arm(27_000, 27.0, latencies(27_000, 240.0, 4)),
        0.004,
    );
    let report = judge(&GateConfig::default(), &[e], &[]).unwrap();
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(report.exit_code(), 1);
    let latency = report
        .reasons
        .iter()
        .find(|r| r.kind == ReasonKind::Latency)
        .unwrap();
    assert_eq!(latency.verdict, Verdict::Fail);
    let test = latency.mann_whitney.unwrap();
    assert!(test.p_two_sided < 1e-10, "{test:?}");
    // A 30 % shift of a log-normal with sigma 0.3 puts a random canary
    // request above a random baseline one about 73 % of the time:
    // rank-biserial 2·0.73 - 1 ≈ 0.46.
    assert!((test.effect - 0.46).abs() < 0.05, "{test:?}");
    assert!(
        latency.message.contains("canary is slower"),
        "{}",
        latency.message
    );
    // The other checks pass: only latency fails the release.
    assert!(
        report
            .reasons
            .iter()
            .filter(|r| r.kind != ReasonKind::Latency)
            .all(|r| r.verdict == Verdict::Pass)
    );
}

#[test]
fn canary_with_too_little_traffic_is_inconclusive() {
    let e = evidence(
        arm(57, 0.0, latencies(57, 312.0, 5)),
        arm(27_000, 27.0, latencies(27_000, 240.0, 6)),
        0.0001,
    );
    let report = judge(&GateConfig::default(), std::slice::from_ref(&e), &[]).unwrap();
    assert_eq!(report.verdict, Verdict::Inconclusive);
    assert_eq!(report.exit_code, 3);
    assert!(report.reasons.iter().all(|r| r.kind != ReasonKind::Latency));
    assert_eq!(
        report.reasons[1].message,
        "canary has 57 events and baseline 27000 since the change; at least 200 per arm are needed to compare them"
    );
    let closed = GateConfig {
        fail_closed: true,
        ..GateConfig::default()
    };
    assert_eq!(judge(&closed, &[e], &[]).unwrap().exit_code, 1);
}

#[test]
fn budget_exhausted_by_payment_dependency_is_excepted() {
    // 1,000 events a minute for 28 days against 99.9 %: the window allows
    // 40,320 bad events. Background errors of 0.2 a minute (8,064 bad)
    // plus a one-hour outage of payments-gateway at 70 % errors (42,000
    // bad): 50,064 bad, 124 % of the budget, remaining -24 %.
    let budget = 0.001 * 1000.0 * WINDOW as f64;
    let outage_start = 20_000;
    let series: Vec<(i64, Tally)> = (0..WINDOW)
        .map(|m| {
            let outage = (outage_start..outage_start + 60).contains(&m);
            (m, tally(if outage { 700.2 } else { 0.2 }, 1000.0))
        })
        .collect();
    let incidents = find_incidents(&series, TARGET, budget, &IncidentConfig::default()).unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].start, outage_start);
    let mut whole = Tally::default();
    for (_, t) in &series {
        whole.add(t);
    }
    let remaining = 1.0 - whole.bad() / budget;
    assert!((remaining - (-0.2417)).abs() < 1e-3, "{remaining}");

    let segments = [
        (
            "peer.service",
            "payments-gateway",
            tally(42_000.0, 120_000.0),
        ),
        ("peer.service", "inventory", tally(500.0, 2_000_000.0)),
        ("region", "eu", tally(25_032.0, 20_160_000.0)),
        ("region", "us", tally(25_032.0, 20_160_000.0)),
    ];
    let attribution = attribute(TARGET, budget, &whole, &segments, &["peer.service"]).unwrap();
    assert_eq!(attribution.dependency[0].value, "payments-gateway");
    let policy = workbook();
    let facts = PolicyFacts {
        slo: "checkout-availability".to_owned(),
        budget_remaining: remaining,
        burn_rates: vec![(5, Some(0.2)), (60, Some(0.2))],
        largest_incident_share: largest_share(&incidents),
        ..PolicyFacts::default()
    }
    .with_dependencies(&policy, &attribution);
    let verdict = evaluate(&policy, &facts);

    // 42,000 / 50,064 = 83.9 % excepted: consumed 1.2417 · 0.161 = 0.2 →
    // 80 % remaining, healthy instead of exhausted.
    assert_eq!(verdict.state, State::Healthy, "{:#?}", verdict.reasons);
    assert_eq!(verdict.releases, Releases::Allowed);
    assert!((verdict.effective_budget_remaining - 0.8).abs() < 0.001);
    assert_eq!(
        verdict.reasons[0],
        "84 % of the burn came from dependency payments-gateway (exception): budget remaining counted as 80 % instead of -24 %"
    );
    // The outage burned more than a whole budget by itself: postmortem.
    assert!(verdict.postmortem_required);
    assert!(
        verdict
            .reasons
            .last()
            .unwrap()
            .ends_with("postmortem required"),
        "{:?}",
        verdict.reasons
    );

    // Without the exception the same facts freeze releases.
    let mut strict = policy.clone();
    strict.exceptions.clear();
    let frozen = evaluate(&strict, &facts);
    assert_eq!(frozen.state, State::Exhausted);
    assert_eq!(frozen.releases, Releases::Frozen);
}

#[test]
fn flag_causing_the_burn_is_the_dominant_cause() {
    // The new-checkout flag serves 10 % of the traffic and 85 % of the
    // bad events; versions and regions burn in proportion to traffic.
    let budget = 10_000.0;
    let whole = tally(4_000.0, 1_000_000.0);
    let segments = [
        ("flag", "new-checkout", tally(3_400.0, 100_000.0)),
        ("flag", "none", tally(600.0, 900_000.0)),
        ("version", "v41", tally(4_000.0, 1_000_000.0)),
        ("region", "eu", tally(2_100.0, 520_000.0)),
        ("region", "us", tally(1_900.0, 480_000.0)),
    ];
    let attribution = attribute(TARGET, budget, &whole, &segments, &[]).unwrap();
    let cause = dominant_cause(&attribution, 0.6).unwrap();
    assert_eq!(
        (cause.dimension.as_str(), cause.value.as_str()),
        ("flag", "new-checkout")
    );
    assert_eq!(
        cause.describe(),
        "attributed to flag new-checkout (85 % of the burn, 10 % of the traffic)"
    );
    // The top contributors for the priorities report.
    let top: Vec<TopContributor> = attribution.top.iter().take(2).map(Into::into).collect();
    assert_eq!(top[0].value, "v41");
    assert_eq!(top[1].value, "new-checkout");

    let report = rank(
        &[
            PriorityInput {
                journey: Some(("buy".to_owned(), 3.0)),
                slo: "checkout-availability".to_owned(),
                service: Some("checkout".to_owned()),
                owner: Some("team-checkout".to_owned()),
                budget_remaining: 0.6,
                burn_rate_1h: Some(8.5),
                burn_rate_window: Some(0.4),
                time_to_exhaustion_s: Some(0.6 * WINDOW as f64 * 60.0 / 8.5),
                policy_state: State::Healthy,
                top_contributors: vec![(&attribution.by_dimension[0].contributors[0]).into()],
            },
            PriorityInput {
                journey: Some(("browse".to_owned(), 1.0)),
                slo: "search-latency".to_owned(),
                service: Some("search".to_owned()),
                owner: Some("team-search".to_owned()),
                budget_remaining: 0.9,
                burn_rate_1h: Some(0.3),
                burn_rate_window: Some(0.1),
                time_to_exhaustion_s: Some(0.9 * WINDOW as f64 * 60.0 / 0.3),
                policy_state: State::Healthy,
                top_contributors: Vec::new(),
            },
        ],
        "2026-11-28T09:00:00Z".parse().unwrap(),
    );
    // 0.6 · 40,320 min / 8.5 = 2,846.1 min = 47 h 26 min after 09:00 on the 28th.
    assert_eq!(report.items[0].slo, "checkout-availability");
    assert_eq!(report.items[0].recommendation, Recommendation::Reliability);
    assert_eq!(
        report.items[0].reason,
        "at 8.5× the sustainable rate the budget runs out on 2026-11-30 08:26 UTC (60 % left); 85 % of the burn from flag new-checkout"
    );
    assert_eq!(report.items[1].recommendation, Recommendation::Features);
    let md = render_markdown(&report);
    assert!(
        md.contains(
            "| 1 | checkout-availability | buy | team-checkout | 60 % | 8.5× | 2026-11-30 |"
        ),
        "{md}"
    );
}
