use spec::{
    BudgetPolicy, DurationShorthand, Metadata, PolicyCondition, PolicyException, PolicyRule,
    PolicyScope, PolicyState, ReleaseMode,
};

use super::*;

fn rule(state: PolicyState, when: Vec<PolicyCondition>, allow: &[&str]) -> PolicyRule {
    PolicyRule {
        state,
        when,
        releases: state.default_releases(),
        allow: allow.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// The SRE Workbook's example policy: releases stop once the four-week
/// budget is gone (except P0 fixes and security), need approval when it is
/// at risk, a single incident over 20 % of the budget needs a postmortem,
/// and outages of dependencies do not count.
fn workbook() -> BudgetPolicy {
    BudgetPolicy {
        metadata: Metadata {
            name: "workbook".to_owned(),
            ..Metadata::default()
        },
        description: None,
        applies_to: PolicyScope::default(),
        escalation_owner: Some("cto".to_owned()),
        escalation_after: Some(DurationShorthand::parse("2d").unwrap()),
        rules: vec![
            rule(
                PolicyState::Exhausted,
                vec![PolicyCondition::BudgetRemainingBelow(0.0)],
                &["p0", "security"],
            ),
            rule(
                PolicyState::AtRisk,
                vec![
                    PolicyCondition::BudgetRemainingBelow(0.25),
                    PolicyCondition::BurnRateAbove {
                        window: DurationShorthand::parse("1h").unwrap(),
                        rate: 14.4,
                    },
                ],
                &[],
            ),
        ],
        postmortem_share: 0.2,
        exceptions: vec![PolicyException::Dependency {
            attribute: "peer.service".to_owned(),
            values: vec!["payments-gateway".to_owned()],
        }],
        location: spec::Location::default(),
    }
}

fn facts(remaining: f64) -> PolicyFacts {
    PolicyFacts {
        slo: "checkout-availability".to_owned(),
        budget_remaining: remaining,
        burn_rates: vec![(5, Some(1.0)), (60, Some(1.0))],
        ..PolicyFacts::default()
    }
}

#[test]
fn healthy_when_no_rule_matches() {
    let v = evaluate(&workbook(), &facts(0.8));
    assert_eq!(v.state, State::Healthy);
    assert_eq!(v.releases, Releases::Allowed);
    assert_eq!(v.matched_rule, None);
    assert!(!v.postmortem_required);
    assert_eq!(v.escalation_owner.as_deref(), Some("cto"));
    assert_eq!(v.escalate_after.as_deref(), Some("2d"));
    assert_eq!(
        v.reasons,
        ["policy workbook: healthy, no rule matched (budget remaining 80 %)"]
    );
}

#[test]
fn exhausted_freezes_with_allowed_kinds() {
    let v = evaluate(&workbook(), &facts(-0.12));
    assert_eq!(v.state, State::Exhausted);
    assert_eq!(v.releases, Releases::Frozen);
    assert_eq!(v.allow, ["p0", "security"]);
    assert_eq!(v.matched_rule, Some(0));
    assert_eq!(
        v.reasons,
        [
            "policy workbook: exhausted (rule 1) because budget exhausted; releases frozen except p0, security"
        ]
    );
}

#[test]
fn exactly_empty_budget_is_exhausted() {
    assert_eq!(evaluate(&workbook(), &facts(0.0)).state, State::Exhausted);
}

#[test]
fn first_matching_rule_wins_and_conditions_are_ored() {
    let mut f = facts(0.9);
    f.burn_rates = vec![(60, Some(20.0))];
    let v = evaluate(&workbook(), &f);
    assert_eq!(v.state, State::AtRisk);
    assert_eq!(v.releases, Releases::NeedsApproval);
    assert_eq!(
        v.reasons,
        [
            "policy workbook: at-risk (rule 2) because burn rate over 1h is 20× > 14.4×; releases need approval"
        ]
    );
    let v = evaluate(&workbook(), &facts(0.1));
    assert_eq!(v.state, State::AtRisk);
    assert!(
        v.reasons[0].contains("budget remaining 10 % < 25 %"),
        "{:?}",
        v.reasons
    );
}

#[test]
fn missing_burn_rate_is_said_and_does_not_hold() {
    let mut f = facts(0.9);
    f.burn_rates.clear();
    let v = evaluate(&workbook(), &f);
    assert_eq!(v.state, State::Healthy);
    assert!(
        v.reasons
            .contains(&"burn rate over 1h was not computed: condition skipped".to_owned()),
        "{:?}",
        v.reasons
    );
    // A window without events is known to be quiet: no note.
    f.burn_rates = vec![(60, None)];
    let v = evaluate(&workbook(), &f);
    assert_eq!(v.reasons.len(), 1);
}

#[test]
fn dependency_exception_recomputes_remaining() {
    // Consumed 1.12; 72 % of it excepted leaves 0.3136 consumed, so
    // 68.64 % remaining: at neither threshold.
    let mut f = facts(-0.12);
    f.dependency_share = 0.72;
    f.dependency_names = vec!["payments-gateway".to_owned()];
    let v = evaluate(&workbook(), &f);
    assert_eq!(v.state, State::Healthy);
    assert!((v.effective_budget_remaining - 0.6864).abs() < 1e-12);
    assert_eq!(
        v.reasons[0],
        "72 % of the burn came from dependency payments-gateway (exception): budget remaining counted as 69 % instead of -12 %"
    );
}

#[test]
fn dependency_burn_without_exception_counts() {
    let mut p = workbook();
    p.exceptions.clear();
    let mut f = facts(-0.12);
    f.dependency_share = 0.72;
    f.dependency_names = vec!["payments-gateway".to_owned()];
    let v = evaluate(&p, &f);
    assert_eq!(v.state, State::Exhausted);
    assert_eq!(
        v.reasons[0],
        "72 % of the burn came from dependency payments-gateway, but policy workbook has no dependency exception"
    );
}

#[test]
fn excluded_traffic_counts_only_with_its_exception() {
    let mut f = facts(0.1);
    f.excluded_share = 0.5;
    // The workbook policy has no excludedTraffic exception.
    assert_eq!(evaluate(&workbook(), &f).state, State::AtRisk);
    let mut p = workbook();
    p.exceptions.push(PolicyException::ExcludedTraffic {
        filter: "attributes[\"synthetic\"] == \"true\"".to_owned(),
    });
    let v = evaluate(&p, &f);
    // 0.9 consumed, half excepted: 55 % remaining.
    assert!((v.effective_budget_remaining - 0.55).abs() < 1e-12);
    assert_eq!(v.state, State::Healthy);
}

#[test]
fn postmortem_after_a_large_incident() {
    let mut f = facts(0.7);
    f.largest_incident_share = 0.25;
    let v = evaluate(&workbook(), &f);
    assert!(v.postmortem_required);
    assert_eq!(
        v.reasons.last().unwrap(),
        "one incident burned 25 % of the budget (more than 20 %): postmortem required"
    );
    f.largest_incident_share = 0.2;
    assert!(!evaluate(&workbook(), &f).postmortem_required);
}

#[test]
fn incident_condition_and_explicit_release_mode() {
    let mut p = workbook();
    p.rules.insert(
        0,
        PolicyRule {
            state: PolicyState::AtRisk,
            when: vec![PolicyCondition::IncidentBurnAbove(0.3)],
            releases: ReleaseMode::Frozen,
            allow: vec!["fix".to_owned()],
        },
    );
    let mut f = facts(0.5);
    f.largest_incident_share = 0.35;
    let v = evaluate(&p, &f);
    assert_eq!((v.state, v.releases), (State::AtRisk, Releases::Frozen));
    assert!(v.reasons[0].contains("one incident burned 35 % of the budget > 30 %"));
}

#[test]
fn facts_take_dependency_shares_from_attribution() {
    let tally = |good: f64, total: f64| slo::Tally {
        good,
        total,
        raw_good: good as u64,
        raw_total: total as u64,
    };
    let attribution = crate::attribution::attribute(
        0.999,
        100.0,
        &tally(9_900.0, 10_000.0),
        &[
            ("peer.service", "payments-gateway", tally(920.0, 1_000.0)),
            ("peer.service", "search", tally(990.0, 1_000.0)),
        ],
        &["peer.service"],
    )
    .unwrap();
    let f = facts(0.0).with_dependencies(&workbook(), &attribution);
    assert!((f.dependency_share - 0.8).abs() < 1e-12);
    assert_eq!(f.dependency_names, ["payments-gateway"]);
}

#[test]
fn strictest_policy_decides() {
    let healthy = evaluate(&workbook(), &facts(0.8));
    let frozen = evaluate(&workbook(), &facts(-0.5));
    let mut pm = facts(0.8);
    pm.largest_incident_share = 0.5;
    let with_postmortem = evaluate(&workbook(), &pm);
    let v = strictest(vec![healthy, frozen, with_postmortem], "checkout", 0.8);
    assert_eq!(v.releases, Releases::Frozen);
    assert!(v.postmortem_required);
    assert_eq!(v.reasons.len(), 1 + 1 + 2);
    let none = strictest(Vec::new(), "checkout", 0.8);
    assert_eq!(none, no_policy("checkout", 0.8));
    assert_eq!(none.reasons, ["no budget policy applies"]);
}

#[test]
fn verdict_json_shape() {
    let v = evaluate(&workbook(), &facts(-0.12));
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["state"], "exhausted");
    assert_eq!(json["releases"], "frozen");
    assert_eq!(json["policy"], "workbook");
    assert_eq!(json["matched_rule"], 0);
    let at_risk = serde_json::to_value(State::AtRisk).unwrap();
    assert_eq!(at_risk, "at-risk");
    assert_eq!(
        serde_json::to_value(Releases::NeedsApproval).unwrap(),
        "approval"
    );
}

proptest::proptest! {
    #[test]
    fn exceptions_only_ever_relieve(
        remaining in -2.0f64..1.0,
        dependency in 0.0f64..1.0,
        burn in 0.0f64..30.0,
    ) {
        let mut f = facts(remaining);
        f.burn_rates = vec![(60, Some(burn))];
        let plain = evaluate(&workbook(), &f);
        f.dependency_share = dependency;
        let excepted = evaluate(&workbook(), &f);
        proptest::prop_assert!(excepted.effective_budget_remaining >= remaining - 1e-12);
        proptest::prop_assert!(excepted.effective_budget_remaining <= 1.0);
        proptest::prop_assert!(excepted.state <= plain.state);
        proptest::prop_assert!(excepted.releases <= plain.releases);
        // Lower remaining budget never makes the state milder.
        let mut worse = f.clone();
        worse.budget_remaining = remaining - 0.1;
        proptest::prop_assert!(evaluate(&workbook(), &worse).state >= excepted.state);
    }
}
