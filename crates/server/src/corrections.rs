//! Corrections: maintenance windows and other excluded periods, from the
//! spec (`lodestar.dev/v1` `Correction`) and from the API
//! (`POST /api/v1/corrections`), in one set per catalog.
//!
//! A correction excludes its minutes from the budget of the SLOs it
//! applies to (every figure is computed as if those minutes had no events,
//! through `slo::Excluding`), silences their alerts, or both. Corrections
//! made through the API are kept in an append-only JSON-lines file in the
//! data folder (fsynced before the answer) and survive restarts and
//! reloads; spec corrections change with the spec. The schedule math is
//! `slo::correction`'s; this module only maps, stores and selects.

#[cfg(test)]
mod tests;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use slo::{CorrectionWindow, Minute, Repeat};

use crate::error::ApiError;

/// What a correction does to the SLOs it applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Its minutes do not count against the budget.
    Budget,
    /// Alerts are held while it runs.
    Silence,
}

/// One correction, ready to select minutes.
#[derive(Clone, Debug)]
pub struct CorrectionEntry {
    pub name: String,
    pub description: Option<String>,
    /// SLO names; with `services`, both empty means every SLO.
    pub slos: Vec<String>,
    pub services: Vec<String>,
    pub window: CorrectionWindow,
    pub silence_alerts: bool,
    pub exclude_from_budget: bool,
    /// `spec FILE:LINE:COL` or `api by IDENTITY at TIME`.
    pub origin: String,
    /// The request as made (API corrections), for listing them back.
    pub request: Option<CorrectionRequest>,
}

impl CorrectionEntry {
    /// True when it applies to `slo`.
    pub fn applies_to(&self, slo: &spec::Slo) -> bool {
        (self.slos.is_empty() && self.services.is_empty())
            || self.slos.contains(&slo.metadata.name)
            || self.services.contains(&slo.service)
    }

    fn serves(&self, purpose: Purpose) -> bool {
        match purpose {
            Purpose::Budget => self.exclude_from_budget,
            Purpose::Silence => self.silence_alerts,
        }
    }

    /// The entry of a validated spec correction.
    pub fn from_spec(c: &spec::Correction) -> Result<CorrectionEntry, String> {
        let window = window_of(
            &c.time_zone,
            c.start,
            &c.duration,
            c.repeat.as_ref(),
            c.days_of_week.clone(),
            c.until,
        )?;
        Ok(CorrectionEntry {
            name: c.metadata.name.clone(),
            description: c.description.clone(),
            slos: c.slos.clone(),
            services: c.services.clone(),
            window,
            silence_alerts: c.silence_alerts,
            exclude_from_budget: c.exclude_from_budget,
            origin: format!("spec {}", c.location),
            request: None,
        })
    }

    /// The JSON the API lists: what, where, and the next occurrences
    /// within a week of `at`.
    pub fn document(&self, at: Timestamp) -> Value {
        let now = slo::minute_of(at);
        let upcoming: Vec<Value> = self
            .window
            .occurrences(now - 7 * 1440, now + 7 * 1440)
            .into_iter()
            .map(|(from, to)| {
                json!({
                    "from": crate::view::minute_to_rfc3339(from),
                    "to": crate::view::minute_to_rfc3339(to),
                })
            })
            .collect();
        json!({
            "name": self.name,
            "description": self.description,
            "slos": self.slos,
            "services": self.services,
            "time_zone": self.window.tz.iana_name(),
            "start": self.window.start.to_string(),
            "duration_minutes": self.window.duration_minutes,
            "silence_alerts": self.silence_alerts,
            "exclude_from_budget": self.exclude_from_budget,
            "active": self.window.contains(now),
            "occurrences": upcoming,
            "origin": self.origin,
        })
    }
}

fn window_of(
    time_zone: &str,
    start: jiff::civil::DateTime,
    duration: &spec::DurationShorthand,
    repeat: Option<&spec::DurationShorthand>,
    days_of_week: Vec<jiff::civil::Weekday>,
    until: Option<jiff::civil::DateTime>,
) -> Result<CorrectionWindow, String> {
    let tz = jiff::tz::TimeZone::get(time_zone).map_err(|e| {
        format!(
            "time zone {time_zone:?} is unknown ({e}): expected an IANA name such as Europe/Berlin"
        )
    })?;
    let duration_minutes = duration.minutes().ok_or_else(|| {
        format!("duration {duration} is not a fixed length: expected m, h, d or w")
    })?;
    let repeat = match repeat {
        None => None,
        Some(r) => Some(match r.unit {
            spec::DurationUnit::Minute | spec::DurationUnit::Hour => {
                Repeat::Minutes(r.minutes().unwrap_or(0))
            }
            spec::DurationUnit::Day => Repeat::Days(i64::from(r.value)),
            spec::DurationUnit::Week => Repeat::Weeks(i64::from(r.value)),
            _ => {
                return Err(format!(
                    "repeat {r} is not a fixed length: expected m, h, d or w"
                ));
            }
        }),
    };
    let window = CorrectionWindow {
        start,
        tz,
        duration_minutes,
        repeat,
        days_of_week,
        until,
    };
    window.validate().map_err(|e| e.to_string())?;
    Ok(window)
}

/// `POST /api/v1/corrections`: the fields of the spec kind, in JSON.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CorrectionRequest {
    /// RFC 1123 name, unique among corrections.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub slos: Vec<String>,
    #[serde(default)]
    pub services: Vec<String>,
    /// IANA time zone; default UTC.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// `YYYY-MM-DD hh:mm:ss` in `timeZone`, or an RFC 3339 instant.
    pub start: String,
    /// `30m`, `2h`, `1d`...
    pub duration: String,
    #[serde(default)]
    pub repeat: Option<String>,
    #[serde(default)]
    pub days_of_week: Vec<String>,
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub silence_alerts: Option<bool>,
    #[serde(default)]
    pub exclude_from_budget: Option<bool>,
}

impl CorrectionRequest {
    /// Validates against `catalog` (the SLOs and services named must
    /// exist) and builds the entry; errors name the field.
    pub fn into_entry(
        self,
        catalog: &crate::Catalog,
        origin: String,
    ) -> Result<CorrectionEntry, ApiError> {
        let bad = |field: &str, why: String| ApiError::BadRequest(format!("{field}: {why}"));
        if !valid_name(&self.name) {
            return Err(bad(
                "name",
                format!(
                    "{:?} is not a valid name: expected lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit",
                    self.name
                ),
            ));
        }
        for (i, s) in self.slos.iter().enumerate() {
            if catalog.slo(s).is_none() {
                return Err(bad(&format!("slos[{i}]"), format!("no SLO named {s:?}")));
            }
        }
        for (i, s) in self.services.iter().enumerate() {
            if !catalog.slos.iter().any(|e| e.spec.service == *s) {
                return Err(bad(
                    &format!("services[{i}]"),
                    format!("no SLO belongs to a service named {s:?}"),
                ));
            }
        }
        let zone = self.time_zone.clone().unwrap_or_else(|| "UTC".into());
        let tz = jiff::tz::TimeZone::get(&zone).map_err(|_| {
            bad(
                "timeZone",
                format!("{zone:?} is unknown: expected an IANA name such as Europe/Berlin"),
            )
        })?;
        let civil = |field: &str, text: &str| -> Result<jiff::civil::DateTime, ApiError> {
            if let Ok(t) = text.parse::<Timestamp>() {
                return Ok(tz.to_datetime(t));
            }
            text.parse::<jiff::civil::DateTime>().map_err(|_| {
                bad(
                    field,
                    format!("{text:?} is not a time: expected YYYY-MM-DD hh:mm:ss (in timeZone) or RFC 3339"),
                )
            })
        };
        let start = civil("start", &self.start)?;
        let until = self
            .until
            .as_deref()
            .map(|u| civil("until", u))
            .transpose()?;
        let duration =
            spec::DurationShorthand::parse(&self.duration).map_err(|e| bad("duration", e))?;
        let repeat = self
            .repeat
            .as_deref()
            .map(spec::DurationShorthand::parse)
            .transpose()
            .map_err(|e| bad("repeat", e))?;
        let mut days = Vec::new();
        for (i, d) in self.days_of_week.iter().enumerate() {
            days.push(weekday(d).ok_or_else(|| {
                bad(
                    &format!("daysOfWeek[{i}]"),
                    format!("{d:?} is not a weekday: expected Mon, Tue, Wed, Thu, Fri, Sat or Sun"),
                )
            })?);
        }
        let window = window_of(&zone, start, &duration, repeat.as_ref(), days, until)
            .map_err(|e| bad("spec", e))?;
        Ok(CorrectionEntry {
            name: self.name.clone(),
            description: self.description.clone(),
            slos: self.slos.clone(),
            services: self.services.clone(),
            window,
            silence_alerts: self.silence_alerts.unwrap_or(true),
            exclude_from_budget: self.exclude_from_budget.unwrap_or(true),
            origin,
            request: Some(self),
        })
    }
}

fn valid_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn weekday(text: &str) -> Option<jiff::civil::Weekday> {
    use jiff::civil::Weekday::*;
    let t = text.to_ascii_lowercase();
    Some(match t.get(..3)? {
        "mon" => Monday,
        "tue" => Tuesday,
        "wed" => Wednesday,
        "thu" => Thursday,
        "fri" => Friday,
        "sat" => Saturday,
        "sun" => Sunday,
        _ => return None,
    })
}

/// The corrections of one catalog: the spec's, plus the API's (shared with
/// the state's [`CorrectionLog`] and replaced whenever it changes).
#[derive(Debug, Default)]
pub struct CorrectionSet {
    spec: Vec<CorrectionEntry>,
    api: RwLock<Arc<Vec<CorrectionEntry>>>,
}

impl CorrectionSet {
    /// The set of a spec; spec corrections that cannot be mapped are
    /// returned as problems (the spec loader has validated them, so this
    /// only happens for zones missing from the bundled database).
    pub fn from_spec(set: &spec::SpecSet) -> (CorrectionSet, Vec<String>) {
        let mut problems = Vec::new();
        let spec = set
            .corrections
            .iter()
            .filter_map(|c| match CorrectionEntry::from_spec(c) {
                Ok(e) => Some(e),
                Err(why) => {
                    problems.push(format!(
                        "{}: correction {:?}: {why}",
                        c.location, c.metadata.name
                    ));
                    None
                }
            })
            .collect();
        (
            CorrectionSet {
                spec,
                api: RwLock::default(),
            },
            problems,
        )
    }

    /// Replaces the API corrections.
    pub fn set_api(&self, entries: Arc<Vec<CorrectionEntry>>) {
        *self.api.write().unwrap_or_else(|p| p.into_inner()) = entries;
    }

    /// Every correction, spec first.
    pub fn all(&self) -> Vec<CorrectionEntry> {
        let api = self.api.read().unwrap_or_else(|p| p.into_inner()).clone();
        self.spec.iter().chain(api.iter()).cloned().collect()
    }

    /// Sorted, disjoint minute ranges within `[from, to)` that corrections
    /// applying to `slo` cover for `purpose`.
    pub fn ranges(
        &self,
        slo: &spec::Slo,
        from: Minute,
        to: Minute,
        purpose: Purpose,
    ) -> Vec<(Minute, Minute)> {
        let api = self.api.read().unwrap_or_else(|p| p.into_inner()).clone();
        let mut ranges = Vec::new();
        for c in self.spec.iter().chain(api.iter()) {
            if c.serves(purpose) && c.applies_to(slo) {
                ranges.extend(c.window.occurrences(from, to));
            }
        }
        slo::merge_ranges(ranges)
    }

    /// True when a correction silencing `slo`'s alerts covers minute `m`.
    pub fn silenced(&self, slo: &spec::Slo, m: Minute) -> bool {
        !self.ranges(slo, m, m + 1, Purpose::Silence).is_empty()
    }
}

/// One line of the corrections file.
#[allow(clippy::large_enum_variant)] // one line at a time; boxing buys nothing
#[derive(Debug, Deserialize, Serialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum LogLine {
    Add {
        request: CorrectionRequest,
        origin: String,
    },
    Delete {
        name: String,
        origin: String,
    },
}

/// The API's corrections, durable in `corrections.jsonl` in the data
/// folder (or in memory only, for tests).
#[derive(Debug)]
pub struct CorrectionLog {
    path: Option<PathBuf>,
    /// Requests in force, in the order made.
    active: Mutex<Vec<(CorrectionRequest, String)>>,
}

/// The file under the data folder.
pub const CORRECTIONS_FILE: &str = "corrections.jsonl";

impl CorrectionLog {
    /// A log kept in memory only.
    pub fn in_memory() -> CorrectionLog {
        CorrectionLog {
            path: None,
            active: Mutex::default(),
        }
    }

    /// Opens (or starts) `dir/corrections.jsonl`. A line that does not
    /// parse is an error naming its line number: corrections change what
    /// the budget says, so they are never dropped silently.
    pub fn open(dir: &Path) -> Result<CorrectionLog, String> {
        let path = dir.join(CORRECTIONS_FILE);
        let mut active: Vec<(CorrectionRequest, String)> = Vec::new();
        match File::open(&path) {
            Ok(f) => {
                for (i, line) in BufReader::new(f).lines().enumerate() {
                    let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<LogLine>(&line) {
                        Ok(LogLine::Add { request, origin }) => {
                            active.retain(|(r, _)| r.name != request.name);
                            active.push((request, origin));
                        }
                        Ok(LogLine::Delete { name, .. }) => active.retain(|(r, _)| r.name != name),
                        Err(e) => {
                            return Err(format!("{}:{}: {e}", path.display(), i + 1));
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
        Ok(CorrectionLog {
            path: Some(path),
            active: Mutex::new(active),
        })
    }

    fn append(&self, line: &LogLine) -> Result<(), ApiError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut text =
            serde_json::to_string(line).map_err(|e| ApiError::Internal(e.to_string()))?;
        text.push('\n');
        let io = |e: std::io::Error| ApiError::Internal(format!("{}: {e}", path.display()));
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_data().map_err(io)
    }

    /// Records a correction (replacing one of the same name) durably.
    pub fn add(&self, request: CorrectionRequest, origin: String) -> Result<(), ApiError> {
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        self.append(&LogLine::Add {
            request: request.clone(),
            origin: origin.clone(),
        })?;
        active.retain(|(r, _)| r.name != request.name);
        active.push((request, origin));
        Ok(())
    }

    /// Removes a correction; `false` when none has that name.
    pub fn delete(&self, name: &str, origin: String) -> Result<bool, ApiError> {
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        if !active.iter().any(|(r, _)| r.name == name) {
            return Ok(false);
        }
        self.append(&LogLine::Delete {
            name: name.to_string(),
            origin,
        })?;
        active.retain(|(r, _)| r.name != name);
        Ok(true)
    }

    /// The entries in force, built against `catalog`; requests that no
    /// longer validate (an SLO removed from the spec) are skipped with a
    /// warning each.
    pub fn entries(&self, catalog: &crate::Catalog) -> (Vec<CorrectionEntry>, Vec<String>) {
        let active = self
            .active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut warnings = Vec::new();
        let entries = active
            .into_iter()
            .filter_map(|(r, origin)| {
                let name = r.name.clone();
                match r.into_entry(catalog, origin) {
                    Ok(e) => Some(e),
                    Err(e) => {
                        warnings.push(format!("correction {name:?} is not applied: {e}"));
                        None
                    }
                }
            })
            .collect();
        (entries, warnings)
    }
}
