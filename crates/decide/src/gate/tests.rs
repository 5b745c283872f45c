use slo::Sketch;

use super::*;
use crate::policy::{State, no_policy};

/// `n` latencies spread evenly over [100, 380) ms, scaled by `factor`.
fn latencies(n: usize, factor: f64) -> Sketch {
    let mut s = Sketch::new();
    for i in 0..n {
        s.add((100.0 + (i % 280) as f64) * factor, 1.0);
    }
    s
}

fn arm(n: u64, bad: f64, latency: Option<Sketch>) -> Arm {
    Arm {
        good: n as f64 - bad,
        total: n as f64,
        raw_total: n,
        latency,
    }
}

fn evidence(canary: Arm, baseline: Arm, burned: f64) -> ObjectiveEvidence {
    ObjectiveEvidence {
        slo: "checkout-latency".to_owned(),
        policy: no_policy("checkout-latency", 0.8),
        canary: Some(canary),
        baseline: Some(baseline),
        latency_unit: "ms".to_owned(),
        budget_burned: Some(burned),
        elapsed_minutes: 120,
        window_minutes: 40_320,
    }
}

fn kinds(report: &GateReport) -> Vec<(ReasonKind, Verdict)> {
    report.reasons.iter().map(|r| (r.kind, r.verdict)).collect()
}

#[test]
fn same_behaviour_passes() {
    let e = evidence(
        arm(2_800, 3.0, Some(latencies(2_800, 1.0))),
        arm(28_000, 30.0, Some(latencies(28_000, 1.0))),
        0.004,
    );
    let r = judge(&GateConfig::default(), &[e], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Pass);
    assert_eq!(r.exit_code, 0);
    assert_eq!(
        kinds(&r),
        [
            (ReasonKind::Policy, Verdict::Pass),
            (ReasonKind::Latency, Verdict::Pass),
            (ReasonKind::Errors, Verdict::Pass),
            (ReasonKind::Budget, Verdict::Pass),
        ]
    );
    assert_eq!(
        r.reasons[3].message,
        "the new version burned 0.4 % of the 28-day budget in 2 h"
    );
}

#[test]
fn slower_canary_fails_with_figures() {
    let e = evidence(
        arm(2_800, 3.0, Some(latencies(2_800, 1.3))),
        arm(28_000, 30.0, Some(latencies(28_000, 1.0))),
        0.004,
    );
    let r = judge(&GateConfig::default(), &[e], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(r.exit_code(), 1);
    let latency = &r.reasons[1];
    assert_eq!(latency.kind, ReasonKind::Latency);
    // True p95s are 366 and 475.8 ms (+30 %); the sketch reads each within 1 %.
    assert_eq!(
        latency.message,
        "p95 latency 478.3 ms vs 361.5 ms (+32 %), Mann-Whitney p=3.3e-249, effect 0.39 ≥ 0.1: canary is slower"
    );
    let test = latency.mann_whitney.unwrap();
    assert!(test.p_two_sided < 1e-6);
    assert!(test.effect > 0.3);
}

#[test]
fn faster_canary_passes() {
    let e = evidence(
        arm(2_800, 3.0, Some(latencies(2_800, 0.7))),
        arm(28_000, 30.0, Some(latencies(28_000, 1.0))),
        0.0,
    );
    let r = judge(&GateConfig::default(), &[e], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Pass);
    assert!(r.reasons[1].message.ends_with("canary is faster"));
}

#[test]
fn small_but_significant_slowdown_passes_below_effect() {
    // 2 % slower over 28,000 events a side: significant, effect ≈ 0.05.
    let e = evidence(
        arm(28_000, 0.0, Some(latencies(28_000, 1.02))),
        arm(28_000, 0.0, Some(latencies(28_000, 1.0))),
        0.0,
    );
    let r = judge(&GateConfig::default(), &[e], &[]).unwrap();
    let latency = &r.reasons[1];
    assert!(latency.mann_whitney.unwrap().p_two_sided < 0.05);
    assert_eq!(latency.verdict, Verdict::Pass);
    assert!(
        latency.message.contains("difference too small to matter"),
        "{}",
        latency.message
    );
}

#[test]
fn too_few_events_is_inconclusive() {
    let e = evidence(
        arm(57, 0.0, Some(latencies(57, 1.3))),
        arm(4_000, 4.0, Some(latencies(4_000, 1.0))),
        0.0,
    );
    let r = judge(&GateConfig::default(), std::slice::from_ref(&e), &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert_eq!(r.exit_code, 3);
    assert_eq!(
        r.reasons[1].message,
        "canary has 57 events and baseline 4000 since the change; at least 200 per arm are needed to compare them"
    );
    let closed = GateConfig {
        fail_closed: true,
        ..GateConfig::default()
    };
    assert_eq!(judge(&closed, &[e], &[]).unwrap().exit_code, 1);
}

#[test]
fn more_errors_fail() {
    // 3 % vs 0.5 % bad over 5,000 events each.
    let e = evidence(arm(5_000, 150.0, None), arm(5_000, 25.0, None), 0.01);
    let r = judge(&GateConfig::default(), &[e], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    let errors = &r.reasons[1];
    assert_eq!(errors.kind, ReasonKind::Errors);
    assert!(
        errors
            .message
            .starts_with("bad-event ratio 3.0 % vs 0.5 % (+2.5 points)"),
        "{}",
        errors.message
    );
    assert!(errors.message.ends_with("< 0.05: canary fails more often"));
}

#[test]
fn budget_burn_warns_then_fails() {
    let e = |burned| evidence(arm(5_000, 5.0, None), arm(5_000, 5.0, None), burned);
    let r = judge(&GateConfig::default(), &[e(0.08)], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Warn);
    assert_eq!(r.exit_code, 3);
    assert_eq!(
        r.reasons.last().unwrap().message,
        "the new version burned 8.0 % of the 28-day budget in 2 h (warns from 5.0 %)"
    );
    let r = judge(&GateConfig::default(), &[e(0.25)], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.reasons.last().unwrap().message,
        "the new version burned 25 % of the 28-day budget in 2 h (fails from 20 %)"
    );
}

#[test]
fn policy_freeze_fails_unless_the_change_is_allowed() {
    let mut e = evidence(arm(5_000, 5.0, None), arm(5_000, 5.0, None), 0.0);
    e.policy.policy = Some("workbook".to_owned());
    e.policy.state = State::Exhausted;
    e.policy.releases = Releases::Frozen;
    e.policy.allow = vec!["fix".to_owned()];
    e.policy.effective_budget_remaining = -0.1;
    let r = judge(&GateConfig::default(), std::slice::from_ref(&e), &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.reasons[0].message,
        "policy workbook: exhausted (budget remaining -10 %), releases frozen except fix"
    );
    let r = judge(
        &GateConfig::default(),
        std::slice::from_ref(&e),
        &["fix".to_owned()],
    )
    .unwrap();
    assert_eq!(r.verdict, Verdict::Pass);
    assert_eq!(
        r.reasons[0].message,
        "policy workbook: exhausted, releases frozen, but \"fix\" changes are allowed"
    );
    e.policy.releases = Releases::NeedsApproval;
    e.policy.state = State::AtRisk;
    let r = judge(&GateConfig::default(), &[e], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Warn);
}

#[test]
fn missing_arms_and_evidence() {
    let mut e = evidence(arm(5_000, 5.0, None), arm(5_000, 5.0, None), 0.0);
    e.baseline = None;
    let r = judge(&GateConfig::default(), &[e], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert_eq!(
        r.reasons[1].message,
        "no baseline to compare the canary with"
    );
    let r = judge(&GateConfig::default(), &[], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Inconclusive);
}

#[test]
fn config_is_validated() {
    let bad = GateConfig {
        alpha: 1.5,
        ..GateConfig::default()
    };
    assert_eq!(
        judge(&bad, &[], &[]).unwrap_err().to_string(),
        "alpha = 1.5 in gate config is invalid: expected a probability strictly between 0 and 1"
    );
    let inverted = GateConfig {
        max_budget_burn_warn: 0.5,
        ..GateConfig::default()
    };
    assert!(inverted.validate().is_err());
    let parsed: GateConfig =
        serde_json::from_str(r#"{"alpha": 0.01, "fail_closed": true}"#).unwrap();
    assert_eq!(parsed.alpha, 0.01);
    assert!(parsed.fail_closed);
    assert_eq!(parsed.min_samples, 200);
    assert!(serde_json::from_str::<GateConfig>(r#"{"alpah": 0.01}"#).is_err());
}

#[test]
fn report_json_shape() {
    let e = evidence(
        arm(2_800, 3.0, Some(latencies(2_800, 1.3))),
        arm(28_000, 30.0, Some(latencies(28_000, 1.0))),
        0.004,
    );
    let r = judge(&GateConfig::default(), &[e], &[]).unwrap();
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["verdict"], "fail");
    assert_eq!(json["exit_code"], 1);
    assert_eq!(json["reasons"][1]["kind"], "latency");
    assert!(json["reasons"][1]["mann_whitney"]["p_two_sided"].is_number());
    assert!(json["reasons"][0].get("mann_whitney").is_none());
    assert!(json["reasons"][2]["proportions"]["z"].is_number());
}
