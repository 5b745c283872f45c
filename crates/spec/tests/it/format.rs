//! `format_source` over every golden case: formatting is idempotent, and
//! the formatted files load to the same spec set (locations aside, since
//! formatting moves lines) with the same number of diagnostics.

use spec::{Location, MetricSource, Sli, SliSpec, SpecSet};

use super::cases;

fn clear(l: &mut Location) {
    *l = Location::default();
}

fn strip_source(m: &mut MetricSource) {
    clear(&mut m.location);
    if let Some(q) = &mut m.lodestar {
        clear(&mut q.filter_location);
    }
}

fn strip_sli(s: &mut Sli) {
    clear(&mut s.location);
    match &mut s.spec {
        SliSpec::Threshold { metric_source } => strip_source(metric_source),
        SliSpec::RatioRaw { raw, .. } => strip_source(raw),
        SliSpec::Ratio {
            good, bad, total, ..
        } => {
            good.iter_mut().chain(bad.iter_mut()).for_each(strip_source);
            strip_source(total);
        }
    }
}

fn strip_policy(p: &mut spec::AlertPolicy) {
    clear(&mut p.location);
    p.conditions.iter_mut().for_each(|c| clear(&mut c.location));
    p.notification_targets
        .iter_mut()
        .for_each(|t| clear(&mut t.location));
}

/// The set with every location cleared.
pub(crate) fn strip(mut set: SpecSet) -> SpecSet {
    set.services.iter_mut().for_each(|s| clear(&mut s.location));
    set.data_sources
        .iter_mut()
        .for_each(|d| clear(&mut d.location));
    set.slis.iter_mut().for_each(strip_sli);
    set.alert_conditions
        .iter_mut()
        .for_each(|c| clear(&mut c.location));
    set.alert_notification_targets
        .iter_mut()
        .for_each(|t| clear(&mut t.location));
    set.alert_policies.iter_mut().for_each(strip_policy);
    set.journeys.iter_mut().for_each(|j| clear(&mut j.location));
    set.corrections
        .iter_mut()
        .for_each(|c| clear(&mut c.location));
    set.budget_policies
        .iter_mut()
        .for_each(|p| clear(&mut p.location));
    for s in &mut set.slos {
        clear(&mut s.location);
        s.indicator.iter_mut().for_each(strip_sli);
        s.objectives
            .iter_mut()
            .flat_map(|o| o.indicator.iter_mut())
            .for_each(strip_sli);
        s.alert_policies.iter_mut().for_each(strip_policy);
    }
    set
}

#[test]
fn formatting_is_idempotent_and_keeps_meaning() {
    let mut checked = 0;
    for case in cases::all() {
        let before = spec::load_sources(&case.sources, case.mode);
        let mut formatted = Vec::new();
        let mut syntax_error = false;
        for (file, text) in &case.sources {
            match spec::format_source(file, text) {
                Ok(once) => {
                    let twice = spec::format_source(file, &once).unwrap();
                    assert_eq!(
                        once, twice,
                        "{}: {file}: formatting twice changed the text",
                        case.name
                    );
                    formatted.push((file.clone(), once));
                }
                Err(diags) => {
                    assert!(
                        before.set.is_none(),
                        "{}: {file}: format failed but load succeeded: {diags:?}",
                        case.name
                    );
                    syntax_error = true;
                }
            }
        }
        if syntax_error {
            continue;
        }
        let after = spec::load_sources(&formatted, case.mode);
        assert_eq!(
            before.diagnostics.len(),
            after.diagnostics.len(),
            "{}: formatting changed the diagnostics:\nbefore: {:#?}\nafter: {:#?}",
            case.name,
            before.diagnostics,
            after.diagnostics
        );
        if let (Some(a), Some(b)) = (before.set, after.set) {
            assert_eq!(
                strip(a),
                strip(b),
                "{}: formatted files load differently",
                case.name
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "expected several loadable golden cases, got {checked}"
    );
}
