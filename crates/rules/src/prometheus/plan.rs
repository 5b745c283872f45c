//! From a spec SLO to what its rules need: the queries, the windows, the
//! objectives with their budgets, and the alert conditions.
//!
//! Everything that can make an SLO untranslatable is decided here and
//! reported as a [`RuleError`] naming the SLO and the place in its file, so
//! that the recording and alerting modules only build text. This module
//! does not write PromQL beyond reading `spec.query`.

use std::collections::BTreeSet;

use slo::burn_alert::STANDARD_RULES;
use spec::{BudgetingMethod, MetricSource, Op, RawType, SliSpec, Slo};

use super::RuleError;
use super::query::CountQuery;
use super::window;

/// The metric source type whose SLOs get rules (compared ignoring case).
pub(crate) const PROMETHEUS: &str = "prometheus";

/// Default alert name of burn-rate conditions.
pub(crate) const BURN_ALERT: &str = "SLOBurnRateHigh";

/// Annotations read as the runbook of an SLO, first found wins.
/// `lodestar.dev/runbook` is not (yet) a known annotation of the spec
/// crate, so it only survives lenient loading; the plain keys work in
/// strict mode.
const RUNBOOK_KEYS: &[&str] = &["lodestar.dev/runbook", "runbook_url", "runbook"];

/// Labels the rules set themselves; SLO labels with these names are
/// renamed with a `label_` prefix.
const OWN_LABELS: &[&str] = &[
    "slo",
    "service",
    "objective",
    "severity",
    "window",
    "kind",
    "status",
    "long_window",
    "short_window",
    "alert_policy",
    "alertname",
];

/// One SLO, ready to be turned into rules.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SloPlan {
    pub(crate) name: String,
    /// `displayName`, else the name; for alert texts.
    pub(crate) display: String,
    /// `slo`, `service`, then the SLO's own labels, Prometheus-safe.
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) indicator: Indicator,
    /// The rolling SLO window.
    pub(crate) window_minutes: i64,
    pub(crate) objectives: Vec<ObjectivePlan>,
    pub(crate) burn_alerts: Vec<BurnAlert>,
    pub(crate) no_data_alert: bool,
    pub(crate) runbook: Option<String>,
    /// Every window with recorded counts or ratios, ascending.
    pub(crate) windows: BTreeSet<i64>,
}

/// What the SLI counts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Indicator {
    /// Good or bad events among total events: counts exist, so windows
    /// chain exactly and the low-traffic guard applies.
    Events { total: CountQuery, bad: BadFrom },
    /// A precomputed ratio: no counts, so each window is the query's own
    /// value and the SLO window a time-weighted mean.
    Raw {
        query: CountQuery,
        /// `rawType: success`: the query is the good ratio.
        success: bool,
    },
}

/// How bad events are counted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BadFrom {
    Bad(CountQuery),
    /// `total - good`.
    Good(CountQuery),
}

/// One objective of the SLO.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjectivePlan {
    pub(crate) name: String,
    pub(crate) target: f64,
    /// `1 - target`, rounded to 12 significant digits so that `0.999` gives
    /// `0.001` and not `0.0010000000000000009`.
    pub(crate) budget: f64,
}

/// One burn-rate alert condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BurnAlert {
    pub(crate) alert_name: String,
    pub(crate) severity: String,
    /// Pages are held back under low traffic.
    pub(crate) page: bool,
    pub(crate) long_minutes: i64,
    pub(crate) short_minutes: i64,
    pub(crate) op: Op,
    /// Burn-rate threshold.
    pub(crate) factor: f64,
    pub(crate) for_minutes: Option<i64>,
    /// Extra labels (from an AlertPolicy and its condition).
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) annotations: Vec<(String, String)>,
    /// The AlertPolicy it comes from, if any.
    pub(crate) policy: Option<String>,
}

/// `None` when no metric source of the SLO is of type prometheus (the SLO
/// is not the rules' business); otherwise the plan or what stops it.
pub(crate) fn plan(slo: &Slo) -> Option<Result<SloPlan, Vec<RuleError>>> {
    let sources: Vec<&MetricSource> = match &slo.indicator {
        Some(sli) => sources_of(&sli.spec),
        None => slo
            .objectives
            .iter()
            .filter_map(|o| o.indicator.as_ref())
            .flat_map(|sli| sources_of(&sli.spec))
            .collect(),
    };
    if !sources
        .iter()
        .any(|s| s.source_type.eq_ignore_ascii_case(PROMETHEUS))
    {
        return None;
    }
    Some(build(slo))
}

fn sources_of(spec: &SliSpec) -> Vec<&MetricSource> {
    match spec {
        SliSpec::Ratio {
            good, bad, total, ..
        } => [good.as_ref(), bad.as_ref(), Some(total)]
            .into_iter()
            .flatten()
            .collect(),
        SliSpec::RatioRaw { raw, .. } => vec![raw],
        SliSpec::Threshold { metric_source } => vec![metric_source],
    }
}

fn build(slo: &Slo) -> Result<SloPlan, Vec<RuleError>> {
    let mut errors = Vec::new();
    let name = slo.metadata.name.clone();
    let mut fail = |at: &spec::Location, message: String| {
        errors.push(RuleError::Unsupported {
            slo: name.clone(),
            at: at.clone(),
            message,
        });
    };
    let indicator = match &slo.indicator {
        None => {
            fail(
                &slo.location,
                "composite SLOs cannot be expressed as Prometheus rules; expected one indicator on the SLO".into(),
            );
            None
        }
        Some(sli) => indicator(&sli.spec, &sli.location, &mut fail),
    };
    if slo.budgeting_method != BudgetingMethod::Occurrences {
        fail(
            &slo.location,
            format!(
                "budgetingMethod {:?} cannot be computed by Prometheus rules; expected Occurrences (Lodestar evaluates timeslice SLOs itself through a prometheus DataSource)",
                slo.budgeting_method
            ),
        );
    }
    let window_minutes = match (
        slo.time_window.is_rolling,
        slo.time_window.duration.minutes(),
    ) {
        (true, Some(m)) if window::source(m).is_some() => Some(m),
        (true, _) => {
            fail(
                &slo.location,
                format!(
                    "timeWindow {} is not a whole number of 5-minute blocks; expected a rolling window such as 28d or 30d",
                    slo.time_window.duration
                ),
            );
            None
        }
        (false, _) => {
            fail(
                &slo.location,
                format!(
                    "calendar-aligned timeWindow {} cannot be expressed as Prometheus rules; expected a rolling window (isRolling: true)",
                    slo.time_window.duration
                ),
            );
            None
        }
    };
    let labels = match slo_labels(slo) {
        Ok(l) => l,
        Err(message) => {
            fail(&slo.location, message);
            Vec::new()
        }
    };
    let (burn_alerts, no_data_alert) = match window_minutes {
        Some(w) => alerts(slo, w, &mut fail),
        None => (Vec::new(), false),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(indicator), Some(window_minutes)) = (indicator, window_minutes) else {
        // Both failures pushed an error above.
        return Err(errors);
    };
    let mut windows: BTreeSet<i64> = slo::STANDARD_BURN_WINDOWS.iter().map(|w| w.1).collect();
    windows.insert(window::HOUR_MINUTES);
    windows.insert(window_minutes);
    for a in &burn_alerts {
        windows.insert(a.long_minutes);
        windows.insert(a.short_minutes);
    }
    let objectives = slo
        .objectives
        .iter()
        .map(|o| ObjectivePlan {
            name: o.name.clone(),
            target: o.target,
            budget: round12(1.0 - o.target),
        })
        .collect();
    Ok(SloPlan {
        name: slo.metadata.name.clone(),
        display: slo
            .metadata
            .display_name
            .clone()
            .unwrap_or_else(|| slo.metadata.name.clone()),
        labels,
        indicator,
        window_minutes,
        objectives,
        burn_alerts,
        no_data_alert,
        runbook: RUNBOOK_KEYS
            .iter()
            .find_map(|k| slo.metadata.annotations.get(*k))
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty()),
        windows,
    })
}

fn indicator(
    spec: &SliSpec,
    at: &spec::Location,
    fail: &mut impl FnMut(&spec::Location, String),
) -> Option<Indicator> {
    let mut query = |m: &MetricSource, slot: &str| -> Option<CountQuery> {
        if !m.source_type.eq_ignore_ascii_case(PROMETHEUS) {
            fail(
                &m.location,
                format!(
                    "{slot} is of type {:?}; expected every metric source of the SLI to be of type prometheus",
                    m.source_type
                ),
            );
            return None;
        }
        let Some(text) = m.spec.get("query").and_then(|q| q.as_str()) else {
            fail(
                &m.location,
                format!(
                    "{slot}: spec.query is required and must be a string (a PromQL series selector or an expression with {{{{.window}}}})"
                ),
            );
            return None;
        };
        match CountQuery::parse(text) {
            Ok(q) => Some(q),
            Err(problem) => {
                fail(&m.location, format!("{slot}: spec.query {problem}"));
                None
            }
        }
    };
    match spec {
        SliSpec::Ratio {
            good, bad, total, ..
        } => {
            let total_q = query(total, "total");
            let bad_q = match (good, bad) {
                (_, Some(b)) => query(b, "bad").map(BadFrom::Bad),
                (Some(g), None) => query(g, "good").map(BadFrom::Good),
                // The spec crate guarantees one of them.
                (None, None) => None,
            };
            Some(Indicator::Events {
                total: total_q?,
                bad: bad_q?,
            })
        }
        SliSpec::RatioRaw { raw_type, raw, .. } => Some(Indicator::Raw {
            query: query(raw, "raw")?,
            success: *raw_type == RawType::Success,
        }),
        SliSpec::Threshold { .. } => {
            fail(
                at,
                "threshold SLIs cannot be expressed as Prometheus rules; express latency as a ratio of events (good: a histogram bucket counter with le=\"0.3\", total: its _count)".into(),
            );
            None
        }
    }
}

/// The burn-rate conditions: the SLO's AlertPolicies when it has any,
/// otherwise the SRE Workbook's four scaled to the window. The second value
/// says whether a no-data alert is wanted.
fn alerts(
    slo: &Slo,
    window_minutes: i64,
    fail: &mut impl FnMut(&spec::Location, String),
) -> (Vec<BurnAlert>, bool) {
    if slo.alert_policies.is_empty() {
        let defaults = STANDARD_RULES
            .iter()
            .map(|r| BurnAlert {
                alert_name: BURN_ALERT.into(),
                severity: if r.page { "page" } else { "ticket" }.into(),
                page: r.page,
                long_minutes: r.long_minutes,
                short_minutes: r.short_minutes,
                op: Op::Gte,
                factor: round12(r.factor(window_minutes)),
                // A thirtieth of the long window: damps flapping and adds
                // at most 3.3 % of that window to the detection time.
                for_minutes: Some(r.long_minutes / 30),
                labels: Vec::new(),
                annotations: Vec::new(),
                policy: None,
            })
            .collect();
        return (defaults, true);
    }
    let mut out = Vec::new();
    let mut no_data = false;
    for p in &slo.alert_policies {
        no_data |= p.alert_when_no_data;
        if !p.alert_when_breaching {
            continue;
        }
        let alert_name = p
            .metadata
            .display_name
            .as_deref()
            .filter(|n| is_identifier(n))
            .unwrap_or(BURN_ALERT)
            .to_string();
        for c in &p.conditions {
            let long = c.lookback_window.minutes().unwrap_or(0);
            if window::source(long).is_none() {
                fail(
                    &c.location,
                    format!(
                        "lookbackWindow {} of alert condition {:?} is not a whole number of 5-minute blocks; expected e.g. 5m, 1h, 6h, 1d",
                        c.lookback_window, c.metadata.name
                    ),
                );
                continue;
            }
            let mut labels = Vec::new();
            let mut annotations = Vec::new();
            for meta in [&p.metadata, &c.metadata] {
                for (k, v) in &meta.labels {
                    labels.push((prometheus_label(k), v.join(",")));
                }
                for (k, v) in &meta.annotations {
                    annotations.push((prometheus_label(k), v.clone()));
                }
            }
            let severity = c.severity.trim().to_string();
            out.push(BurnAlert {
                alert_name: alert_name.clone(),
                page: severity.eq_ignore_ascii_case("page")
                    || severity.eq_ignore_ascii_case("critical"),
                severity,
                long_minutes: long,
                short_minutes: window::short_for(long),
                op: c.op,
                factor: c.threshold,
                for_minutes: c.alert_after.and_then(|d| d.minutes()),
                labels: dedup_last_wins(labels),
                annotations: dedup_last_wins(annotations),
                policy: Some(p.metadata.name.clone()),
            });
        }
    }
    (out, no_data)
}

/// `slo`, `service`, then the SLO's labels (list values joined with `,`),
/// keys made valid Prometheus label names.
fn slo_labels(slo: &Slo) -> Result<Vec<(String, String)>, String> {
    let mut out = vec![
        ("slo".to_string(), slo.metadata.name.clone()),
        ("service".to_string(), slo.service.clone()),
    ];
    let mut seen: Vec<(String, &str)> = Vec::new();
    for (k, v) in &slo.metadata.labels {
        let mut key = prometheus_label(k);
        if OWN_LABELS.contains(&key.as_str()) {
            key = format!("label_{key}");
        }
        if let Some((_, first)) = seen.iter().find(|(p, _)| *p == key) {
            return Err(format!(
                "labels {first:?} and {k:?} both become the Prometheus label {key:?}; expected label keys that differ in more than punctuation"
            ));
        }
        seen.push((key.clone(), k));
        out.push((key, v.join(",")));
    }
    Ok(out)
}

/// `team.name` → `team_name`: anything outside `[a-zA-Z0-9_]` becomes `_`,
/// and a leading digit gets a `_` before it.
pub(crate) fn prometheus_label(key: &str) -> String {
    let mut out: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn dedup_last_wins(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        match out.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

/// `x` rounded to 12 significant digits, removing binary noise such as
/// `1 - 0.999 = 0.0010000000000000009` so that rule files carry the number
/// the spec meant.
pub(crate) fn round12(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{x:.11e}").parse().unwrap_or(x)
}
