//! The example files under the repository's `examples/` folder load
//! cleanly, so what we show users is what the loader accepts.

use spec::{Mode, PolicyCondition, PolicyException, PolicyState, ReleaseMode};

#[test]
fn the_workbook_policy_example_loads_and_says_what_the_workbook_says() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/policies/workbook.yaml");
    let loaded = spec::load_paths(&[path], Mode::Strict).unwrap();
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let set = loaded.set.unwrap();
    let [policy] = set.budget_policies.as_slice() else {
        panic!("expected one policy, got {:#?}", set.budget_policies);
    };
    assert!(policy.applies_to.is_everything());
    assert_eq!(policy.postmortem_share, 0.2);
    assert_eq!(policy.escalation_owner.as_deref(), Some("cto-office"));
    let exhausted = &policy.rules[0];
    assert_eq!(exhausted.state, PolicyState::Exhausted);
    assert_eq!(exhausted.when, [PolicyCondition::BudgetRemainingBelow(0.0)]);
    assert_eq!(exhausted.releases, ReleaseMode::Frozen);
    assert_eq!(exhausted.allow, ["fix", "security"]);
    assert_eq!(policy.rules[1].state, PolicyState::AtRisk);
    assert_eq!(policy.rules[1].releases, ReleaseMode::NeedsApproval);
    assert_eq!(
        policy.exceptions[0],
        PolicyException::Dependency {
            attribute: "peer.service".into(),
            values: vec![]
        }
    );
}
