//! `lodestar.dev/v1` `kind: Correction`: a maintenance window or another
//! excluded period, one-off or recurring, for some SLOs or services.
//!
//! Everything that can be checked inside the object is checked here: the
//! time zone exists, the start and `until` are wall-clock times in the
//! `YYYY-MM-DD hh:mm:ss` form, durations are fixed-length, a repeat is
//! longer than one occurrence, `daysOfWeek` only filters daily repeats.
//! SLO and service names are recorded as references for `resolve`. No
//! occurrence is computed here (that is `slo::correction`).

use jiff::civil::Weekday;

use super::{CorrectionDraft, Doc, Fields, Kind, RefDraft};
use crate::diagnostic::{Location, index_path};
use crate::duration::{DurationShorthand, DurationUnit};
use crate::model::{Correction, Metadata};
use crate::tree::{Entry, Node};

pub(crate) struct CorrectionSpec {
    description: Option<String>,
    slo_refs: Vec<RefDraft>,
    service_refs: Vec<RefDraft>,
    time_zone: String,
    start: jiff::civil::DateTime,
    duration: DurationShorthand,
    repeat: Option<DurationShorthand>,
    days_of_week: Vec<Weekday>,
    until: Option<jiff::civil::DateTime>,
    silence_alerts: bool,
    exclude_from_budget: bool,
}

impl CorrectionSpec {
    pub(crate) fn into_draft(self, metadata: Metadata, location: Location) -> CorrectionDraft {
        let names = |refs: &[RefDraft]| refs.iter().map(|r| r.name.clone()).collect();
        CorrectionDraft {
            correction: Correction {
                metadata,
                description: self.description,
                slos: names(&self.slo_refs),
                services: names(&self.service_refs),
                time_zone: self.time_zone,
                start: self.start,
                duration: self.duration,
                repeat: self.repeat,
                days_of_week: self.days_of_week,
                until: self.until,
                silence_alerts: self.silence_alerts,
                exclude_from_budget: self.exclude_from_budget,
                location,
            },
            slo_refs: self.slo_refs,
        }
    }
}

pub(crate) fn correction_spec(doc: &mut Doc<'_>, e: &Entry, path: &str) -> Option<CorrectionSpec> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let description = f
        .get("description")
        .and_then(|d| doc.description(&d.value, &f.child("description")));
    let slo_refs = match f.get("slos") {
        None => Some(Vec::new()),
        Some(s) => doc.name_list(&s.value, &f.child("slos"), Kind::Slo),
    };
    let service_refs = match f.get("services") {
        None => Some(Vec::new()),
        Some(s) => doc.name_list(&s.value, &f.child("services"), Kind::Service),
    };
    let time_zone = f
        .required(doc, "timeZone")
        .and_then(|z| doc.time_zone(&z.value, &f.child("timeZone")));
    let start_entry = f.required(doc, "start");
    let start = start_entry.and_then(|s| doc.civil_date_time(&s.value, &f.child("start")));
    let duration_entry = f.required(doc, "duration");
    let duration = duration_entry.and_then(|d| doc.fixed_duration(&d.value, &f.child("duration")));
    let repeat_entry = f.get("repeat");
    let repeat = match repeat_entry {
        None => Some(None),
        Some(r) => {
            let p = f.child("repeat");
            doc.fixed_duration(&r.value, &p).and_then(|repeat| {
                let (Some(every), Some(d)) = (repeat.minutes(), duration) else {
                    return Some(Some(repeat));
                };
                if d.minutes().is_some_and(|len| len >= every) {
                    doc.error(
                        r.value.pos,
                        &p,
                        format!(
                            "expected a repeat longer than the duration {d}, got \"{repeat}\" (occurrences would overlap)"
                        ),
                    );
                    return None;
                }
                Some(Some(repeat))
            })
        }
    };
    let days_of_week = match f.get("daysOfWeek") {
        None => Some(Vec::new()),
        Some(d) => {
            let p = f.child("daysOfWeek");
            let days = weekdays(doc, &d.value, &p);
            match repeat_entry.map(|_| repeat) {
                None => {
                    doc.error(
                        d.key_pos,
                        &p,
                        "daysOfWeek filters a daily repeat; expected repeat in days (like 1d) as well",
                    );
                    None
                }
                Some(Some(Some(r))) if r.unit != DurationUnit::Day => {
                    doc.error(
                        d.key_pos,
                        &p,
                        format!(
                            "daysOfWeek filters a daily repeat; expected repeat in days (like 1d), got \"{r}\""
                        ),
                    );
                    None
                }
                _ => days,
            }
        }
    };
    let until = match f.get("until") {
        None => Some(None),
        Some(u) => {
            let p = f.child("until");
            let until = doc.civil_date_time(&u.value, &p);
            if repeat_entry.is_none() {
                doc.error(
                    u.key_pos,
                    &p,
                    "until ends a recurrence; expected repeat as well (a one-off correction ends after its duration)",
                );
                None
            } else {
                match (until, start) {
                    (Some(until), Some(start)) if until <= start => {
                        doc.error(
                            u.value.pos,
                            &p,
                            format!("expected a time after start {start}, got {until}"),
                        );
                        None
                    }
                    (until, _) => until.map(Some),
                }
            }
        }
    };
    let silence_alerts = match f.get("silenceAlerts") {
        None => Some(true),
        Some(b) => doc.boolean(&b.value, &f.child("silenceAlerts")),
    };
    let exclude_from_budget = match f.get("excludeFromBudget") {
        None => Some(true),
        Some(b) => doc.boolean(&b.value, &f.child("excludeFromBudget")),
    };
    if silence_alerts == Some(false) && exclude_from_budget == Some(false) {
        doc.warning(
            f.pos,
            &f.path,
            "silenceAlerts and excludeFromBudget are both false, so the correction changes nothing",
        );
    }
    f.finish(doc);
    Some(CorrectionSpec {
        description,
        slo_refs: slo_refs?,
        service_refs: service_refs?,
        time_zone: time_zone?,
        start: start?,
        duration: duration?,
        repeat: repeat?,
        days_of_week: days_of_week?,
        until: until?,
        silence_alerts: silence_alerts?,
        exclude_from_budget: exclude_from_budget?,
    })
}

const WEEKDAYS: [(&str, &str, Weekday); 7] = [
    ("Mon", "Monday", Weekday::Monday),
    ("Tue", "Tuesday", Weekday::Tuesday),
    ("Wed", "Wednesday", Weekday::Wednesday),
    ("Thu", "Thursday", Weekday::Thursday),
    ("Fri", "Friday", Weekday::Friday),
    ("Sat", "Saturday", Weekday::Saturday),
    ("Sun", "Sunday", Weekday::Sunday),
];

/// A list of unique weekdays, `Mon` or `Monday` (any case).
fn weekdays(doc: &mut Doc<'_>, node: &Node, path: &str) -> Option<Vec<Weekday>> {
    let items = doc.list(node, path)?;
    let mut out: Vec<Weekday> = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let p = index_path(path, i);
        let Some(text) = doc.string(item, &p) else {
            ok = false;
            continue;
        };
        let day = WEEKDAYS.iter().find(|(short, long, _)| {
            text.eq_ignore_ascii_case(short) || text.eq_ignore_ascii_case(long)
        });
        match day {
            None => {
                doc.error(
                    item.pos,
                    &p,
                    format!(
                        "expected a weekday (Mon, Tue, Wed, Thu, Fri, Sat or Sun), got {text:?}"
                    ),
                );
                ok = false;
            }
            Some((_, _, day)) if out.contains(day) => {
                doc.error(item.pos, &p, format!("weekday {text:?} is listed twice"));
                ok = false;
            }
            Some((_, _, day)) => out.push(*day),
        }
    }
    ok.then_some(out)
}
