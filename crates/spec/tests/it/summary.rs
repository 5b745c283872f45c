//! A compact, stable text rendering of a loaded spec set for golden files:
//! enough to see that values, defaults, references and documentation
//! fallbacks came out right, without the noise of `Debug`.

use std::fmt::Write;

use spec::{
    Aggregate, AlertPolicy, BudgetPolicy, Correction, LodestarQuery, Metadata, MetricSource,
    Objective, PolicyCondition, PolicyException, Sli, SliDocumentation, SliSpec, SpecSet,
};

pub(crate) fn summary(set: &SpecSet) -> String {
    let mut out = String::new();
    for s in &set.services {
        writeln!(
            out,
            "service {}{} @ {}",
            s.metadata.name,
            opt(" description", &s.description),
            s.location
        )
        .unwrap();
    }
    for d in &set.data_sources {
        writeln!(
            out,
            "data-source {} type={} connection={} @ {}",
            d.metadata.name, d.source_type, d.connection_details, d.location
        )
        .unwrap();
    }
    for s in &set.slis {
        writeln!(out, "sli {}", sli(s, "  ")).unwrap();
    }
    for c in &set.alert_conditions {
        writeln!(out, "alert-condition {} {}", c.metadata.name, condition(c)).unwrap();
    }
    for t in &set.alert_notification_targets {
        writeln!(
            out,
            "notification-target {} target={}",
            t.metadata.name, t.target
        )
        .unwrap();
    }
    for p in &set.alert_policies {
        writeln!(out, "alert-policy {}", policy(p)).unwrap();
    }
    for s in &set.slos {
        let o = &s.ownership;
        writeln!(
            out,
            "slo {}{} service={} @ {}",
            s.metadata.name,
            meta(&s.metadata),
            s.service,
            s.location
        )
        .unwrap();
        let w = &s.time_window;
        let window = match &w.calendar {
            None => format!("rolling {}", w.duration),
            Some(c) => format!(
                "calendar {} from {} {}",
                w.duration, c.start_time, c.time_zone
            ),
        };
        writeln!(out, "  window {window}, {:?}", s.budgeting_method).unwrap();
        writeln!(
            out,
            "  owner={:?} champion={:?} escalation={:?} review-cadence={:?} last-reviewed={:?}",
            o.owner,
            o.champion,
            o.escalation,
            o.review_cadence.map(|d| d.to_string()),
            o.last_reviewed.map(|d| d.to_string())
        )
        .unwrap();
        if let Some(i) = &s.indicator {
            writeln!(out, "  indicator {}", sli(i, "    ")).unwrap();
        }
        for obj in &s.objectives {
            writeln!(out, "  objective {}", objective(obj)).unwrap();
            if let Some(i) = &obj.indicator {
                writeln!(out, "    indicator {}", sli(i, "      ")).unwrap();
            }
        }
        for p in &s.alert_policies {
            writeln!(out, "  alert-policy {}", policy(p)).unwrap();
        }
    }
    for j in &set.journeys {
        writeln!(
            out,
            "journey {}{} weight={} owner={:?} completion={:?} first-action={:?} @ {}",
            j.metadata.name,
            meta(&j.metadata),
            j.weight,
            j.owner,
            j.completion_slo,
            j.time_to_first_action_slo,
            j.location
        )
        .unwrap();
        for st in &j.steps {
            writeln!(
                out,
                "  step {}{} slos={:?}",
                st.name,
                opt(" display", &st.display_name),
                st.slos
            )
            .unwrap();
        }
    }
    for c in &set.corrections {
        out.push_str(&correction(c));
    }
    for p in &set.budget_policies {
        out.push_str(&budget_policy(p));
    }
    out
}

fn correction(c: &Correction) -> String {
    let mut s = format!(
        "correction {}{}{} slos={:?} services={:?} @ {}\n",
        c.metadata.name,
        meta(&c.metadata),
        opt(" description", &c.description),
        c.slos,
        c.services,
        c.location
    );
    let days: Vec<String> = c.days_of_week.iter().map(|d| format!("{d:?}")).collect();
    writeln!(
        s,
        "  start {} {} for {} repeat={:?} days={days:?} until={:?} silence={} exclude={}",
        c.start,
        c.time_zone,
        c.duration,
        c.repeat.map(|r| r.to_string()),
        c.until.map(|u| u.to_string()),
        c.silence_alerts,
        c.exclude_from_budget
    )
    .unwrap();
    s
}

fn budget_policy(p: &BudgetPolicy) -> String {
    let scope = &p.applies_to;
    let mut s = format!(
        "budget-policy {}{} slos={:?} services={:?} journeys={:?} escalation={:?} after={:?} postmortem-share={} @ {}\n",
        p.metadata.name,
        meta(&p.metadata),
        scope.slos,
        scope.services,
        scope.journeys,
        p.escalation_owner,
        p.escalation_after.map(|d| d.to_string()),
        p.postmortem_share,
        p.location
    );
    for r in &p.rules {
        let when: Vec<String> = r
            .when
            .iter()
            .map(|c| match c {
                PolicyCondition::BudgetRemainingBelow(x) => format!("remaining<{x}"),
                PolicyCondition::BurnRateAbove { window, rate } => format!("burn({window})>{rate}"),
                PolicyCondition::IncidentBurnAbove(x) => format!("incident>{x}"),
            })
            .collect();
        writeln!(
            s,
            "  rule {} when [{}] releases={} allow={:?}",
            r.state.as_str(),
            when.join(" | "),
            r.releases.as_str(),
            r.allow
        )
        .unwrap();
    }
    for e in &p.exceptions {
        match e {
            PolicyException::Dependency { attribute, values } => {
                writeln!(s, "  except dependency {attribute} in {values:?}").unwrap()
            }
            PolicyException::ExcludedTraffic { filter } => {
                writeln!(s, "  except traffic {filter:?}").unwrap()
            }
        }
    }
    s
}

fn opt(label: &str, v: &Option<String>) -> String {
    v.as_ref()
        .map(|v| format!("{label}={v:?}"))
        .unwrap_or_default()
}

fn meta(m: &Metadata) -> String {
    let mut s = opt(" display", &m.display_name);
    if !m.labels.is_empty() {
        write!(s, " labels={:?}", m.labels).unwrap();
    }
    s
}

fn docs(d: &SliDocumentation) -> String {
    format!(
        "why={:?} how={:?} variation={:?}",
        d.why, d.how, d.acceptable_variation
    )
}

fn sli(s: &Sli, pad: &str) -> String {
    let body = match &s.spec {
        SliSpec::Threshold { metric_source } => {
            format!("threshold\n{pad}source {}", source(metric_source))
        }
        SliSpec::Ratio {
            counter,
            good,
            bad,
            total,
        } => {
            let mut b = format!("ratio counter={counter}");
            for (label, m) in [
                ("good", good.as_ref()),
                ("bad", bad.as_ref()),
                ("total", Some(total)),
            ] {
                if let Some(m) = m {
                    write!(b, "\n{pad}{label} {}", source(m)).unwrap();
                }
            }
            b
        }
        SliSpec::RatioRaw {
            counter,
            raw_type,
            raw,
        } => {
            format!(
                "raw counter={counter} type={raw_type:?}\n{pad}raw {}",
                source(raw)
            )
        }
    };
    format!(
        "{}{} {body}\n{pad}{} @ {}",
        s.metadata.name,
        opt(" description", &s.description),
        docs(&s.documentation),
        s.location
    )
}

fn source(m: &MetricSource) -> String {
    let reference = m
        .metric_source_ref
        .as_ref()
        .map(|r| format!(" ref={r}"))
        .unwrap_or_default();
    match &m.lodestar {
        Some(q) => format!("type={}{reference} {}", m.source_type, lodestar(q)),
        None => format!("type={}{reference} spec={}", m.source_type, m.spec),
    }
}

fn lodestar(q: &LodestarQuery) -> String {
    let aggregate = match &q.aggregate {
        Aggregate::Quantile(x) => format!("quantile({x})"),
        other => format!("{other:?}").to_lowercase(),
    };
    let selection = match &q.metric {
        Some(m) => format!("metric={m:?}"),
        None => format!("filter={:?}", q.filter),
    };
    format!(
        "{selection} (at {}) field={} aggregate={aggregate} segments={:?} max-segments={}",
        q.filter_location, q.field, q.segments, q.max_segments
    )
}

fn objective(o: &Objective) -> String {
    let mut s = format!(
        "{}{} target={}",
        o.name,
        opt(" display", &o.display_name),
        o.target
    );
    if let Some(op) = o.op {
        write!(s, " op={}", op.as_str()).unwrap();
    }
    if let Some(v) = o.value {
        write!(s, " value={v}").unwrap();
    }
    if let Some(t) = o.time_slice_target {
        write!(s, " slice-target={t}").unwrap();
    }
    if let Some(w) = o.time_slice_window {
        write!(s, " slice-window={w}").unwrap();
    }
    if o.composite_weight != 1.0 || o.indicator.is_some() {
        write!(s, " weight={}", o.composite_weight).unwrap();
    }
    s
}

fn condition(c: &spec::AlertCondition) -> String {
    format!(
        "severity={} burnrate {} {} over {} after {:?}",
        c.severity,
        c.op.as_str(),
        c.threshold,
        c.lookback_window,
        c.alert_after.map(|d| d.to_string())
    )
}

fn policy(p: &AlertPolicy) -> String {
    let conditions: Vec<String> = p
        .conditions
        .iter()
        .map(|c| format!("{} ({})", c.metadata.name, condition(c)))
        .collect();
    let targets: Vec<String> = p
        .notification_targets
        .iter()
        .map(|t| format!("{}={}", t.metadata.name, t.target))
        .collect();
    format!(
        "{} no-data={} resolved={} breaching={} conditions=[{}] targets=[{}]",
        p.metadata.name,
        p.alert_when_no_data,
        p.alert_when_resolved,
        p.alert_when_breaching,
        conditions.join(", "),
        targets.join(", ")
    )
}
