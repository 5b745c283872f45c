//! The full example in README.md loads cleanly, so the documentation cannot
//! drift from what the loader accepts.

use spec::{Aggregate, Mode, SliSpec};

fn readme_example() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("## A full example")
        .nth(1)
        .expect("README has a full example");
    let block = section.split("```yaml\n").nth(1).expect("a yaml block");
    block.split("```").next().unwrap().to_string()
}

#[test]
fn the_readme_example_loads_without_diagnostics() {
    let loaded = spec::load_sources(&[("README.md".to_string(), readme_example())], Mode::Strict);
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let set = loaded.set.unwrap();
    assert_eq!(set.slos.len(), 2);
    assert_eq!(
        set.journeys[0].steps[0].slos,
        ["checkout-availability", "checkout-latency"]
    );
    let availability = &set.slos[0];
    assert_eq!(
        availability.ownership.escalation,
        ["payments-oncall", "payments-lead", "vp-eng"]
    );
    assert_eq!(availability.alert_policies[0].conditions[0].threshold, 14.4);
    let latency = &set.slos[1];
    assert_eq!(latency.objectives[0].target, 0.995);
    let Some(SliSpec::Threshold { metric_source }) = latency.indicator.as_ref().map(|s| &s.spec)
    else {
        panic!("expected a threshold SLI");
    };
    assert_eq!(
        metric_source.source_type, "lodestar",
        "type comes from the DataSource"
    );
    let q = metric_source.lodestar.as_ref().unwrap();
    assert_eq!(
        (q.aggregate.clone(), q.max_segments),
        (Aggregate::Quantile(0.95), 50)
    );
}
