//! SLO specs: service, indicator, budgeting method, time window, objectives
//! and alert policies, with the go-sdk rules that only need the SLO itself.
//!
//! What depends on the indicator's kind (threshold objectives need `op` and
//! `value`, ratio objectives must not have them) is checked in `resolve`,
//! since the indicator may be a reference.

use super::alert::{self};
use super::sli::{self, IndicatorDraft};
use super::{Doc, Fields, InlineOrRef, MetaOut};
use crate::diagnostic::{Location, index_path};
use crate::duration::{DurationShorthand, DurationUnit};
use crate::model::{BudgetingMethod, Calendar, Op, Ownership, SliDocumentation, TimeWindow};
use crate::tree::Entry;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjectiveDraft {
    pub(crate) name: String,
    /// The name was written as `name` (not derived), so a clash is an error.
    pub(crate) explicit_name: bool,
    pub(crate) display_name: Option<String>,
    /// The operator and where its key is.
    pub(crate) op: Option<(Op, Location)>,
    /// The value and where its key is.
    pub(crate) value: Option<(f64, Location)>,
    pub(crate) target: f64,
    pub(crate) time_slice_target: Option<f64>,
    pub(crate) time_slice_window: Option<DurationShorthand>,
    pub(crate) indicator: Option<IndicatorDraft>,
    pub(crate) composite_weight: f64,
    /// The objective's own position and path (`spec.objectives[0]`).
    pub(crate) location: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SloDraft {
    pub(crate) metadata: crate::model::Metadata,
    pub(crate) description: Option<String>,
    pub(crate) service: String,
    pub(crate) indicator: Option<IndicatorDraft>,
    pub(crate) budgeting_method: BudgetingMethod,
    pub(crate) time_window: TimeWindow,
    pub(crate) objectives: Vec<ObjectiveDraft>,
    pub(crate) alert_policies: Vec<InlineOrRef<super::AlertPolicyDraft>>,
    pub(crate) ownership: Ownership,
    /// SLO-level why/how/acceptable-variation, the fallback for its SLIs.
    pub(crate) documentation: SliDocumentation,
    pub(crate) location: Location,
}

pub(crate) struct SloSpec {
    description: Option<String>,
    service: String,
    indicator: Option<IndicatorDraft>,
    budgeting_method: BudgetingMethod,
    time_window: TimeWindow,
    objectives: Vec<ObjectiveDraft>,
    alert_policies: Vec<InlineOrRef<super::AlertPolicyDraft>>,
}

impl SloSpec {
    pub(crate) fn into_draft(self, meta: &MetaOut, location: Location) -> SloDraft {
        SloDraft {
            metadata: meta.metadata.clone(),
            description: self.description,
            service: self.service,
            indicator: self.indicator,
            budgeting_method: self.budgeting_method,
            time_window: self.time_window,
            objectives: self.objectives,
            alert_policies: self.alert_policies,
            ownership: meta.ownership.clone(),
            documentation: meta.documentation.clone(),
            location,
        }
    }
}

pub(crate) fn slo_spec(doc: &mut Doc<'_>, e: &Entry, path: &str) -> Option<SloSpec> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let description = f
        .get("description")
        .and_then(|d| doc.description(&d.value, &f.child("description")));
    let service = f
        .required(doc, "service")
        .and_then(|s| doc.non_empty_string(&s.value, &f.child("service")));
    let has_spec_indicator = f.has("indicator") || f.has("indicatorRef");
    let indicator = sli::indicator(doc, &mut f);
    let budgeting_method = f.required(doc, "budgetingMethod").and_then(|b| {
        let p = f.child("budgetingMethod");
        let s = doc.string(&b.value, &p)?;
        let m = match s.as_str() {
            "Occurrences" => BudgetingMethod::Occurrences,
            "Timeslices" => BudgetingMethod::Timeslices,
            "RatioTimeslices" => BudgetingMethod::RatioTimeslices,
            _ => {
                doc.error(
                    b.value.pos,
                    &p,
                    format!("expected one of Occurrences, Timeslices, RatioTimeslices, got {s:?}"),
                );
                return None;
            }
        };
        Some(m)
    });
    let time_window = f.required(doc, "timeWindow").and_then(|t| {
        let p = f.child("timeWindow");
        let items = doc.list(&t.value, &p)?;
        if items.len() != 1 {
            doc.error(
                t.value.pos,
                &p,
                format!("expected exactly one time window, got {}", items.len()),
            );
            return None;
        }
        time_window(doc, &items[0], &index_path(&p, 0))
    });
    let objectives = f.required(doc, "objectives").and_then(|o| {
        let p = f.child("objectives");
        let items = doc.list(&o.value, &p)?;
        if items.is_empty() {
            doc.error(o.value.pos, &p, "expected at least one objective");
            return None;
        }
        let composite = items.iter().any(|item| {
            matches!(&item.value, crate::tree::Value::Map(es)
                if es.iter().any(|e| (e.key == "indicator" || e.key == "indicatorRef") && !e.value.is_null()))
        });
        if composite && has_spec_indicator {
            let key = if f.has("indicator") { "indicator" } else { "indicatorRef" };
            doc.error(
                f.key_pos(key).unwrap_or(f.pos),
                &f.child(key),
                "property is forbidden on a composite SLO; its objectives carry the indicators",
            );
        }
        if !composite && !has_spec_indicator {
            doc.error(
                f.pos,
                &f.child("indicator"),
                "one of indicator or indicatorRef is required (on spec, or on every objective of a composite SLO)",
            );
        }
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match objective(doc, item, &index_path(&p, i), i, composite, budgeting_method) {
                Some(o) => out.push(o),
                None => ok = false,
            }
        }
        unique_objective_names(doc, &mut out);
        ok.then_some(out)
    });
    let alert_policies = match f.get("alertPolicies") {
        None => Some(Vec::new()),
        Some(a) => {
            let p = f.child("alertPolicies");
            doc.list(&a.value, &p).and_then(|items| {
                let mut out = Vec::new();
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match alert::slo_alert_policy(doc, item, &index_path(&p, i)) {
                        Some(x) => out.push(x),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            })
        }
    };
    f.finish(doc);
    Some(SloSpec {
        description,
        service: service?,
        indicator: indicator?,
        budgeting_method: budgeting_method?,
        time_window: time_window?,
        objectives: objectives?,
        alert_policies: alert_policies?,
    })
}

fn time_window(doc: &mut Doc<'_>, node: &crate::tree::Node, path: &str) -> Option<TimeWindow> {
    let mut f = Fields::of(doc, node, path, node.pos)?;
    let duration_e = f.required(doc, "duration");
    let duration = duration_e.and_then(|d| doc.duration(&d.value, &f.child("duration")));
    let is_rolling = match f.get("isRolling") {
        Some(r) => doc.boolean(&r.value, &f.child("isRolling")),
        None => Some(false),
    };
    let calendar_e = f.get("calendar");
    let calendar = calendar_e.map(|c| calendar(doc, c, &f.child("calendar")));
    if let (Some(rolling), Some(d), Some(de)) = (is_rolling, duration, duration_e) {
        let p = f.child("duration");
        if rolling && d.minutes().is_none() {
            doc.error(
                de.value.pos,
                &p,
                format!("a rolling window needs a fixed length; expected a unit of m, h, d or w, got \"{d}\""),
            );
        }
        if !rolling && matches!(d.unit, DurationUnit::Minute | DurationUnit::Hour) {
            doc.error(
                de.value.pos,
                &p,
                format!("a calendar window is aligned to calendar units; expected a unit of d, w, M, Q or Y, got \"{d}\""),
            );
        }
        match (rolling, calendar_e) {
            (true, Some(c)) => doc.error(
                c.key_pos,
                &f.child("calendar"),
                "property is forbidden when isRolling is true",
            ),
            (false, None) => f.missing(
                doc,
                "calendar",
                "property is required when isRolling is false or omitted",
            ),
            _ => {}
        }
    }
    f.finish(doc);
    let calendar = match calendar {
        Some(c) => Some(c?),
        None => None,
    };
    Some(TimeWindow {
        duration: duration?,
        is_rolling: is_rolling?,
        calendar,
    })
}

fn calendar(doc: &mut Doc<'_>, e: &Entry, path: &str) -> Option<Calendar> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let start_time = f.required(doc, "startTime").and_then(|s| {
        let p = f.child("startTime");
        let text = doc.string(&s.value, &p)?;
        let parsed = parse_date_time(&text);
        if parsed.is_none() {
            doc.error(
                s.value.pos,
                &p,
                format!("expected a date and time as \"YYYY-MM-DD hh:mm:ss\", got {text:?}"),
            );
        }
        parsed
    });
    let time_zone = f.required(doc, "timeZone").and_then(|z| {
        let p = f.child("timeZone");
        let name = doc.string(&z.value, &p)?;
        let canonical = time_zone(&name);
        if canonical.is_none() {
            doc.error(
                z.value.pos,
                &p,
                format!("unknown time zone {name:?}; expected an IANA time zone name like \"Europe/Berlin\""),
            );
        }
        canonical
    });
    f.finish(doc);
    Some(Calendar {
        start_time: start_time?,
        time_zone: time_zone?,
    })
}

/// Exactly `YYYY-MM-DD hh:mm:ss` (the go-sdk's `time.DateTime`).
pub(crate) fn parse_date_time(s: &str) -> Option<jiff::civil::DateTime> {
    let b = s.as_bytes();
    let shape = b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", s).ok()
}

/// The canonical IANA name of `name` in jiff's bundled database.
pub(crate) fn time_zone(name: &str) -> Option<String> {
    static DB: std::sync::OnceLock<jiff::tz::TimeZoneDatabase> = std::sync::OnceLock::new();
    let tz = DB
        .get_or_init(jiff::tz::TimeZoneDatabase::bundled)
        .get(name)
        .ok()?;
    Some(tz.iana_name().unwrap_or(name).to_string())
}

fn objective(
    doc: &mut Doc<'_>,
    node: &crate::tree::Node,
    path: &str,
    index: usize,
    composite: bool,
    method: Option<BudgetingMethod>,
) -> Option<ObjectiveDraft> {
    let mut f = Fields::of(doc, node, path, node.pos)?;
    let name = f.get("name").map(|n| doc.name(&n.value, &f.child("name")));
    let display_name = f
        .get("displayName")
        .and_then(|d| doc.string(&d.value, &f.child("displayName")));
    let op = f.get("op").and_then(|o| {
        let p = f.child("op");
        doc.op(&o.value, &p).map(|op| (op, doc.loc(o.key_pos, &p)))
    });
    let value = f.get("value").and_then(|v| {
        let p = f.child("value");
        doc.number(&v.value, &p)
            .map(|(x, _)| (x, doc.loc(v.key_pos, &p)))
    });
    let target = target(doc, &mut f);
    let time_slice_target = f.get("timeSliceTarget");
    let time_slice_window = f.get("timeSliceWindow");
    let tst = time_slice_target.and_then(|t| {
        let p = f.child("timeSliceTarget");
        let (x, text) = doc.number(&t.value, &p)?;
        if !(x > 0.0 && x <= 1.0) {
            doc.error(
                t.value.pos,
                &p,
                format!("expected a number in (0, 1], got {text}"),
            );
        }
        Some(x)
    });
    let tsw =
        time_slice_window.and_then(|w| doc.fixed_duration(&w.value, &f.child("timeSliceWindow")));
    match method {
        Some(BudgetingMethod::Timeslices) if time_slice_target.is_none() => f.missing(
            doc,
            "timeSliceTarget",
            "property is required when budgetingMethod is Timeslices",
        ),
        Some(BudgetingMethod::Timeslices) => {}
        Some(m) => {
            if let Some(t) = time_slice_target {
                doc.error(
                    t.key_pos,
                    &f.child("timeSliceTarget"),
                    format!("property is only valid when budgetingMethod is Timeslices, not {m:?}"),
                );
            }
        }
        None => {}
    }
    match method {
        Some(BudgetingMethod::Timeslices | BudgetingMethod::RatioTimeslices)
            if time_slice_window.is_none() =>
        {
            f.missing(
                doc,
                "timeSliceWindow",
                "property is required when budgetingMethod is Timeslices or RatioTimeslices",
            )
        }
        Some(BudgetingMethod::Timeslices | BudgetingMethod::RatioTimeslices) => {}
        Some(BudgetingMethod::Occurrences) => {
            if let Some(w) = time_slice_window {
                doc.error(
                    w.key_pos,
                    &f.child("timeSliceWindow"),
                    "property is only valid when budgetingMethod is Timeslices or RatioTimeslices",
                );
            }
        }
        None => {}
    }
    let has_indicator = f.has("indicator") || f.has("indicatorRef");
    let indicator = sli::indicator(doc, &mut f);
    if composite && !has_indicator {
        f.missing(
            doc,
            "indicator",
            "one of indicator or indicatorRef is required on every objective of a composite SLO",
        );
    }
    let weight = f.get("compositeWeight").and_then(|w| {
        let p = f.child("compositeWeight");
        let (x, text) = doc.number(&w.value, &p)?;
        if !composite {
            doc.error(
                w.key_pos,
                &p,
                "property is only valid on objectives of a composite SLO",
            );
        } else if x <= 0.0 {
            doc.error(
                w.value.pos,
                &p,
                format!("expected a number greater than 0, got {text}"),
            );
        }
        Some(x)
    });
    f.finish(doc);
    let explicit_name = name.is_some();
    let name = match name {
        Some(n) => n?,
        None => display_name
            .as_deref()
            .map(slug)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("objective-{index}")),
    };
    Some(ObjectiveDraft {
        name,
        explicit_name,
        display_name,
        op,
        value,
        target: target?,
        time_slice_target: tst,
        time_slice_window: tsw,
        indicator: indicator?,
        composite_weight: weight.unwrap_or(1.0),
        location: doc.loc(node.pos, path),
    })
}

/// `target` xor `targetPercent`, as a fraction.
fn target(doc: &mut Doc<'_>, f: &mut Fields<'_>) -> Option<f64> {
    let target = f.get("target");
    let percent = f.get("targetPercent");
    match (target, percent) {
        (Some(_), Some(p)) => {
            doc.error(
                p.key_pos,
                &f.child("targetPercent"),
                "target and targetPercent are mutually exclusive; give only one",
            );
            None
        }
        (None, None) => {
            f.missing(doc, "target", "one of target or targetPercent is required");
            None
        }
        (Some(t), None) => {
            let p = f.child("target");
            let (x, text) = doc.number(&t.value, &p)?;
            if (0.0..1.0).contains(&x) {
                return Some(x);
            }
            if x > 1.0 && x < 100.0 && doc.lenient() {
                let fraction = percent_to_fraction(&text, x);
                doc.warning(
                    t.value.pos,
                    &p,
                    format!("{text} looks like a percentage; read as {fraction} (use targetPercent for percentages)"),
                );
                return Some(fraction);
            }
            let hint = if x > 1.0 && x < 100.0 {
                " (use targetPercent for percentages)"
            } else {
                ""
            };
            doc.error(
                t.value.pos,
                &p,
                format!("expected a number in [0, 1), got {text}{hint}"),
            );
            // Reported; keep the value so the checks that follow still run.
            Some(x)
        }
        (None, Some(tp)) => {
            let p = f.child("targetPercent");
            let (x, text) = doc.number(&tp.value, &p)?;
            if (0.0..100.0).contains(&x) {
                return Some(percent_to_fraction(&text, x));
            }
            doc.error(
                tp.value.pos,
                &p,
                format!("expected a number in [0, 100), got {text}"),
            );
            Some(x / 100.0)
        }
    }
}

/// `x / 100`, shifting the decimal point in `text` when it is a plain
/// decimal so that `99.9` becomes exactly the double nearest 0.999.
pub(crate) fn percent_to_fraction(text: &str, x: f64) -> f64 {
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if int.is_empty() && frac.is_empty() || !digits_ok(int) || !digits_ok(frac) {
        return x / 100.0;
    }
    let all = format!("{int}{frac}");
    let point = int.len() as isize - 2;
    let shifted = if point <= 0 {
        format!("0.{}{all}", "0".repeat(point.unsigned_abs()))
    } else {
        let (a, b) = all.split_at(point as usize);
        format!("{a}.{b}0")
    };
    shifted.parse().unwrap_or(x / 100.0)
}

/// `Checkout p95 < 300 ms` → `checkout-p95-300-ms`, at most 63 characters.
pub(crate) fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(63);
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Explicit duplicate names are errors; derived ones get `-{i}` appended.
fn unique_objective_names(doc: &mut Doc<'_>, objectives: &mut [ObjectiveDraft]) {
    for i in 1..objectives.len() {
        if objectives[..i].iter().all(|o| o.name != objectives[i].name) {
            continue;
        }
        let loc = objectives[i].location.clone();
        if objectives[i].explicit_name {
            let first = objectives[..i]
                .iter()
                .find(|o| o.name == objectives[i].name)
                .map(|o| o.location.path.clone());
            doc.sink.error(
                &Location { path: format!("{}.name", loc.path), ..loc },
                format!(
                    "objective name {:?} is already used by {}; expected names unique within the SLO",
                    objectives[i].name,
                    first.unwrap_or_default()
                ),
            );
        } else {
            let base = objectives[i].name.clone();
            let mut n = i;
            while objectives[..i]
                .iter()
                .any(|o| o.name == format!("{base}-{n}"))
            {
                n += 1;
            }
            objectives[i].name = format!("{base}-{n}");
        }
    }
}

#[cfg(test)]
mod tests;
