//! The alert loop: evaluates every SLO objective's alert policy (its
//! OpenSLO AlertPolicies, else the Workbook default) against its data at a
//! steady interval, advances the alert states (`alert::Tracker`), turns
//! notified transitions into notifications in the durable outbox
//! (`notify::Outbox`) and delivers what is due; and it answers the API's
//! questions: the alerts now, and the alerts a past range would have
//! raised (a pure replay over the same data).
//!
//! The decisions are `alert`'s and the delivery `notify`'s; this module
//! only feeds them data (through `view::with_objective_data`, so
//! corrections exclude exactly what they exclude everywhere else), keeps
//! the state between ticks (saved to `alerts.json` in the data folder so a
//! restart neither forgets a firing alert nor re-pages it) and maps names.
//! Everything here is blocking: call it from a blocking thread.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use alert::{AlertKey, Counts, EmbeddedCounts, Phase, Policy, Tracker, Transition};
use jiff::Timestamp;
use notify::{Notification, Outbox, Target, TargetName, TargetSet};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use slo::Minute;

use crate::catalog::{Catalog, ObjectiveEntry, SloEntry};
use crate::corrections::Purpose;
use crate::promql::PromSession;
use crate::view::{correction_span, minute_to_rfc3339, with_objective_data};

/// The alert state file in the data folder.
pub const ALERTS_FILE: &str = "alerts.json";
/// Transitions kept for `GET /api/v1/alerts` (newest last).
const RECENT_TRANSITIONS: usize = 500;
/// Longest range a replay may cover.
pub const MAX_REPLAY_MINUTES: i64 = 35 * 1440;

/// How the loop runs and where it sends.
#[derive(Clone, Debug)]
pub struct AlertingOptions {
    /// Seconds between evaluations.
    pub interval_secs: u64,
    /// Targets every alert goes to, besides its policies' own.
    pub default_targets: Vec<(TargetName, Target)>,
    /// Base URL of the dashboard for links in notifications
    /// (`generatorURL`), e.g. `http://127.0.0.1:8080`.
    pub public_url: String,
}

impl Default for AlertingOptions {
    fn default() -> Self {
        AlertingOptions {
            interval_secs: 30,
            default_targets: Vec::new(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// What is saved between runs.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    tracker: Tracker,
    /// Last minute stepped, per `slo/objective`.
    last_step: BTreeMap<String, Minute>,
    /// The newest transition of each open alert, for the API.
    latest: Vec<Transition>,
}

#[derive(Debug, Default)]
struct Inner {
    saved: Saved,
    recent: VecDeque<Transition>,
    /// When each firing alert was last sent to a refreshing target.
    refreshed: BTreeMap<AlertKey, Timestamp>,
    outbox: Option<Outbox>,
    /// Problems of the last evaluation, per SLO (bad policy, engine down).
    problems: BTreeMap<String, String>,
    /// Targets of the spec that could not be parsed, by name.
    target_problems: Vec<String>,
    last_evaluation: Option<(Timestamp, f64)>,
}

/// The alert loop's state; one per server.
#[derive(Debug)]
pub struct Alerting {
    pub options: AlertingOptions,
    dir: Option<PathBuf>,
    inner: Mutex<Inner>,
}

impl Alerting {
    /// Alerting with state in memory only and no outbox (tests, `check`).
    pub fn in_memory(options: AlertingOptions) -> Alerting {
        Alerting {
            options,
            dir: None,
            inner: Mutex::default(),
        }
    }

    /// Alerting with its state and outbox under `dir`, restoring both.
    pub fn open(dir: &Path, options: AlertingOptions) -> Result<Alerting, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut inner = Inner::default();
        let path = dir.join(ALERTS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                inner.saved = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
        inner.outbox = Some(
            Outbox::open(dir.join("outbox")).map_err(|e| format!("notification outbox: {e}"))?,
        );
        Ok(Alerting {
            options,
            dir: Some(dir.to_path_buf()),
            inner: Mutex::new(inner),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The targets alerts of `catalog` can go to: the defaults plus every
    /// AlertNotificationTarget of the spec (by name). Unparseable spec
    /// targets are skipped and reported.
    fn targets(&self, catalog: &Catalog) -> (TargetSet, Vec<String>) {
        let mut named: BTreeMap<TargetName, Target> =
            self.options.default_targets.iter().cloned().collect();
        let mut problems = Vec::new();
        for t in spec_targets(catalog) {
            match Target::parse(&t.target) {
                Ok(target) => {
                    named.insert(TargetName::new(t.metadata.name.clone()), target);
                }
                Err(e) => problems.push(format!(
                    "{}: alert notification target {:?}: {e}",
                    t.location, t.metadata.name
                )),
            }
        }
        match TargetSet::new(named) {
            Ok(set) => (set, problems),
            Err(e) => {
                problems.push(e.to_string());
                (
                    TargetSet::new(Vec::new()).unwrap_or_else(|_| unreachable_set()),
                    problems,
                )
            }
        }
    }

    /// One tick: evaluates every objective at `now`, records and queues
    /// what changed, delivers what is due. Returns the transitions.
    pub fn tick(&self, catalog: &Catalog, store: &store::Store, now: Timestamp) -> Vec<Transition> {
        let started = std::time::Instant::now();
        let minute = slo::minute_of(now);
        let session = PromSession::default();
        let (targets, target_problems) = self.targets(catalog);
        let mut inner = self.lock();
        inner.target_problems = target_problems;
        inner.problems.clear();
        let mut all = Vec::new();
        for entry in &catalog.slos {
            for o in &entry.objectives {
                let Ok(def) = &o.def else { continue };
                let slo_name = &entry.spec.metadata.name;
                let id = format!("{slo_name}/{}", o.name);
                // Every tick steps, also within a minute: data of the
                // current minute keeps arriving, and a re-step of the same
                // minute only moves phases that the new data moves. A
                // clock that went back is not stepped (minutes must not
                // decrease).
                if inner.saved.last_step.get(&id).is_some_and(|&m| m > minute) {
                    continue;
                }
                let policy = match policy_of(entry, def, now) {
                    Ok(p) => p,
                    Err(e) => {
                        inner.problems.insert(slo_name.clone(), e);
                        continue;
                    }
                };
                let window = slo::window_bounds(&def.window, now);
                let observed = with_objective_data(
                    entry,
                    o,
                    store,
                    &session,
                    correction_span(def, now),
                    |data| {
                        let counts = EmbeddedCounts { def, data };
                        alert::observe(&policy, def.target, &counts, window, minute)
                    },
                );
                let obs = match observed {
                    Ok(obs) => obs,
                    Err(why) => {
                        inner.problems.insert(slo_name.clone(), why);
                        continue;
                    }
                };
                let silenced = entry.corrections.silenced(&entry.spec, minute);
                let transitions = inner
                    .saved
                    .tracker
                    .step(slo_name, &o.name, &policy, &obs, silenced);
                inner.saved.last_step.insert(id, minute);
                let to = targets_of(entry, &self.options);
                for t in &transitions {
                    if t.notify {
                        let n = self.notification(entry, o, t, now);
                        if let Some(outbox) = inner.outbox.as_mut()
                            && let Err(e) = outbox.enqueue(&n, &to, now)
                        {
                            tracing::warn!(alert = %n.key, "notification not queued: {e}");
                        }
                        if n.status == notify::Status::Firing {
                            inner.refreshed.insert(t.key.clone(), now);
                        }
                    }
                }
                all.extend(transitions);
            }
        }
        self.refresh_firing(&mut inner, catalog, &targets, now);
        for t in &all {
            inner.saved.latest.retain(|l| l.key != t.key);
            if !matches!(t.to, Phase::Inactive) {
                inner.saved.latest.push(t.clone());
            }
            if inner.recent.len() == RECENT_TRANSITIONS {
                inner.recent.pop_front();
            }
            inner.recent.push_back(t.clone());
        }
        // Open alerts only: closed ones are in `recent`.
        let open: Vec<AlertKey> = inner
            .saved
            .tracker
            .alerts()
            .map(|(k, _)| k.clone())
            .collect();
        inner.saved.latest.retain(|l| open.contains(&l.key));
        if let Some(outbox) = inner.outbox.as_mut()
            && let Err(e) = outbox.deliver_due(&targets, now)
        {
            tracing::warn!("notification delivery: {e}");
        }
        self.save(&inner);
        inner.last_evaluation = Some((now, started.elapsed().as_secs_f64()));
        all
    }

    /// Re-sends firing alerts to targets that expire them unless refreshed
    /// (Alertmanager), every `notify::alertmanager::RESEND_INTERVAL`.
    fn refresh_firing(
        &self,
        inner: &mut Inner,
        catalog: &Catalog,
        targets: &TargetSet,
        now: Timestamp,
    ) {
        let every = jiff::SignedDuration::try_from(notify::alertmanager::RESEND_INTERVAL)
            .unwrap_or(jiff::SignedDuration::from_secs(60));
        let latest = inner.saved.latest.clone();
        for t in latest {
            let Phase::Firing { .. } = inner.saved.tracker.phase(&t.key) else {
                continue;
            };
            let due = inner
                .refreshed
                .get(&t.key)
                .is_none_or(|last| now.duration_since(*last) >= every);
            if !due {
                continue;
            }
            let Some(entry) = catalog.slo(&t.key.slo) else {
                continue;
            };
            let Some(o) = entry.objectives.iter().find(|o| o.name == t.key.objective) else {
                continue;
            };
            let to: Vec<TargetName> = targets_of(entry, &self.options)
                .into_iter()
                .filter(|name| targets.get(name).is_some_and(Target::needs_refresh))
                .collect();
            if to.is_empty() {
                continue;
            }
            let n = self.notification(entry, o, &t, now);
            if let Some(outbox) = inner.outbox.as_mut()
                && let Err(e) = outbox.enqueue(&n, &to, now)
            {
                tracing::warn!(alert = %n.key, "refresh not queued: {e}");
            }
            inner.refreshed.insert(t.key.clone(), now);
        }
    }

    fn save(&self, inner: &Inner) {
        let Some(dir) = &self.dir else { return };
        let path = dir.join(ALERTS_FILE);
        let tmp = dir.join(format!("{ALERTS_FILE}.tmp"));
        let write = || -> std::io::Result<()> {
            let bytes = serde_json::to_vec(&inner.saved).map_err(std::io::Error::other)?;
            let mut f = std::fs::File::create(&tmp)?;
            std::io::Write::write_all(&mut f, &bytes)?;
            f.sync_data()?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            tracing::warn!("{}: alert state not saved: {e}", path.display());
        }
    }

    /// The notification of transition `t`.
    fn notification(
        &self,
        entry: &SloEntry,
        o: &ObjectiveEntry,
        t: &Transition,
        now: Timestamp,
    ) -> Notification {
        let s = &entry.spec;
        let firing = matches!(t.to, Phase::Firing { .. } | Phase::Pending { .. });
        let starts = match inner_since(&t.from).or(inner_since(&t.to)) {
            Some(m) => minute_ts(m),
            None => minute_ts(t.at),
        };
        let mut labels = BTreeMap::new();
        labels.insert("kind".to_string(), t.key.kind.as_str().to_string());
        if let Some(team) = &s.ownership.owner {
            labels.insert("team".into(), team.clone());
        }
        let mut annotations = BTreeMap::new();
        let base = self.options.public_url.trim_end_matches('/');
        annotations.insert(
            "dashboard".into(),
            format!("{base}/slos/{}", s.metadata.name),
        );
        if let Some(r) = s.metadata.annotations.get("lodestar.dev/runbook") {
            annotations.insert("runbook_url".into(), r.clone());
        }
        if let Some(team) = &s.ownership.owner {
            annotations.insert("owner".into(), team.clone());
        }
        if !s.ownership.escalation.is_empty() {
            annotations.insert("escalation".into(), s.ownership.escalation.join(" -> "));
        }
        let title = s
            .metadata
            .display_name
            .as_deref()
            .unwrap_or(&s.metadata.name);
        let what = match t.key.kind {
            alert::AlertKind::Burn => "error budget burn",
            alert::AlertKind::NoData => "no data",
            alert::AlertKind::BudgetExhausted => "error budget exhausted",
        };
        Notification {
            key: key_text(&t.key),
            status: if firing {
                notify::Status::Firing
            } else {
                notify::Status::Resolved
            },
            severity: t.key.severity.as_str().to_string(),
            slo: s.metadata.name.clone(),
            objective: o.name.clone(),
            service: s.service.clone(),
            summary: format!("{title}: {what}"),
            description: t.summary.clone(),
            labels,
            annotations,
            starts_at: starts,
            ends_at: (!firing).then(|| minute_ts(t.at).min(now)),
            generator_url: format!("{base}/slos/{}", s.metadata.name),
        }
    }

    /// `GET /api/v1/alerts`: the open alerts, the recent transitions, and
    /// the state of notification delivery.
    pub fn current_document(&self, now: Timestamp) -> Value {
        let inner = self.lock();
        let latest: BTreeMap<&AlertKey, &Transition> =
            inner.saved.latest.iter().map(|t| (&t.key, t)).collect();
        let alerts: Vec<Value> = inner
            .saved
            .tracker
            .alerts()
            .filter(|(_, p)| matches!(p, Phase::Pending { .. } | Phase::Firing { .. }))
            .map(|(k, p)| {
                let t = latest.get(k);
                let mut v = key_value(k);
                let (state, since) = match p {
                    Phase::Pending { since } => ("pending", since),
                    Phase::Firing { since } => ("firing", since),
                    _ => ("inactive", 0),
                };
                v["state"] = json!(state);
                v["since"] = json!(minute_to_rfc3339(since));
                v["summary"] = json!(t.map(|t| t.summary.clone()));
                v["conditions"] = json!(t.map(|t| t.conditions.clone()).unwrap_or_default());
                v
            })
            .collect();
        let recent: Vec<Value> = inner
            .recent
            .iter()
            .rev()
            .take(100)
            .map(transition_value)
            .collect();
        let deliveries = inner.outbox.as_ref().map(|o| o.stats()).unwrap_or_default();
        let problems: Vec<Value> = inner
            .problems
            .iter()
            .map(|(slo, why)| json!({ "slo": slo, "error": why }))
            .chain(
                inner
                    .target_problems
                    .iter()
                    .map(|why| json!({ "error": why })),
            )
            .collect();
        json!({
            "at": now.to_string(),
            "evaluated_at": inner.last_evaluation.map(|(t, _)| t.to_string()),
            "interval_seconds": self.options.interval_secs,
            "alerts": alerts,
            "recent_transitions": recent,
            "notifications": {
                "targets": deliveries,
                "pending": inner.outbox.as_ref().map_or(0, |o| o.pending().len()),
            },
            "problems": problems,
        })
    }

    /// Delivery figures per target, for `/metrics`.
    pub fn delivery_stats(&self) -> Vec<notify::TargetStats> {
        self.lock()
            .outbox
            .as_ref()
            .map(|o| o.stats())
            .unwrap_or_default()
    }

    /// Open alerts by severity and state, for `/metrics`.
    pub fn open_counts(&self) -> BTreeMap<(String, &'static str), u64> {
        let inner = self.lock();
        let mut out = BTreeMap::new();
        for (k, p) in inner.saved.tracker.alerts() {
            let state = match p {
                Phase::Pending { .. } => "pending",
                Phase::Firing { .. } => "firing",
                _ => continue,
            };
            *out.entry((k.severity.as_str().to_string(), state))
                .or_insert(0) += 1;
        }
        out
    }
}

/// A `TargetSet` with nothing in it; `TargetSet::new` of an empty list
/// cannot fail, this only keeps the types honest.
fn unreachable_set() -> TargetSet {
    TargetSet::new(Vec::<(TargetName, Target)>::new()).expect("an empty target set is valid")
}

fn spec_targets(catalog: &Catalog) -> Vec<&spec::AlertNotificationTarget> {
    let mut out: Vec<&spec::AlertNotificationTarget> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let inline = catalog
        .slos
        .iter()
        .flat_map(|e| e.spec.alert_policies.iter())
        .chain(catalog.specs.alert_policies.iter())
        .flat_map(|p| p.notification_targets.iter());
    for t in catalog
        .specs
        .alert_notification_targets
        .iter()
        .chain(inline)
    {
        if seen.insert(t.metadata.name.clone()) {
            out.push(t);
        }
    }
    out
}

/// The names of the targets `entry`'s alerts go to.
fn targets_of(entry: &SloEntry, options: &AlertingOptions) -> Vec<TargetName> {
    let mut names: Vec<TargetName> = options
        .default_targets
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    for p in &entry.spec.alert_policies {
        for t in &p.notification_targets {
            let n = TargetName::new(t.metadata.name.clone());
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names
}

/// The alert policy of one objective at `at`: its SLO's OpenSLO
/// AlertPolicies, or the Workbook default, scaled to its window.
pub fn policy_of(
    entry: &SloEntry,
    def: &slo::ObjectiveDef,
    at: Timestamp,
) -> Result<Policy, String> {
    let window = slo::period_minutes(&def.window, at);
    Policy::from_spec(&entry.spec.alert_policies, window).map_err(|e| e.to_string())
}

fn inner_since(p: &Phase) -> Option<Minute> {
    match p {
        Phase::Pending { since } | Phase::Firing { since } => Some(*since),
        _ => None,
    }
}

fn minute_ts(m: Minute) -> Timestamp {
    Timestamp::from_second(m.saturating_mul(60)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `slo/objective/severity/kind`: the dedup key receivers see.
pub fn key_text(k: &AlertKey) -> String {
    format!(
        "{}/{}/{}/{}",
        k.slo,
        k.objective,
        k.severity.as_str(),
        k.kind.as_str()
    )
}

fn key_value(k: &AlertKey) -> Value {
    json!({
        "key": key_text(k),
        "slo": k.slo,
        "objective": k.objective,
        "severity": k.severity.as_str(),
        "kind": k.kind.as_str(),
    })
}

fn phase_text(p: &Phase) -> &'static str {
    match p {
        Phase::Inactive => "inactive",
        Phase::Pending { .. } => "pending",
        Phase::Firing { .. } => "firing",
        Phase::Resolved { .. } => "resolved",
    }
}

fn transition_value(t: &Transition) -> Value {
    let mut v = key_value(&t.key);
    v["from"] = json!(phase_text(&t.from));
    v["to"] = json!(phase_text(&t.to));
    v["at"] = json!(minute_to_rfc3339(t.at));
    v["notified"] = json!(t.notify);
    v["silenced"] = json!(t.silenced);
    v["summary"] = json!(t.summary);
    v
}

/// `GET /api/v1/alerts?from=&to=`: the alerts the policies would have
/// raised over `[from, to)`, replayed from the stored data with the same
/// evaluation as the live loop (corrections included), stepping
/// `step_minutes`. `slo` limits it to one SLO.
pub fn replay_document(
    catalog: &Catalog,
    store: &store::Store,
    from: Timestamp,
    to: Timestamp,
    step_minutes: i64,
    only: Option<&str>,
) -> Result<Value, crate::ApiError> {
    let (f, t) = (slo::minute_of(from), slo::minute_of(to));
    if t <= f {
        return Err(crate::ApiError::BadRequest(format!(
            "to ({to}) must be after from ({from})"
        )));
    }
    if t - f > MAX_REPLAY_MINUTES {
        return Err(crate::ApiError::BadRequest(format!(
            "a replay covers at most {} days; {from} to {to} is longer",
            MAX_REPLAY_MINUTES / 1440
        )));
    }
    if let Some(name) = only
        && catalog.slo(name).is_none()
    {
        return Err(crate::ApiError::NotFound(format!("no SLO named {name:?}")));
    }
    let step = step_minutes.clamp(1, 60);
    let session = PromSession::default();
    let mut alerts = Vec::new();
    let mut transitions = Vec::new();
    let mut problems = Vec::new();
    for entry in catalog
        .slos
        .iter()
        .filter(|e| only.is_none_or(|n| e.spec.metadata.name == n))
    {
        for o in &entry.objectives {
            let Ok(def) = &o.def else { continue };
            let policy = match policy_of(entry, def, to) {
                Ok(p) => p,
                Err(e) => {
                    problems.push(json!({ "slo": entry.spec.metadata.name, "error": e }));
                    continue;
                }
            };
            let silences = entry
                .corrections
                .ranges(&entry.spec, f, t, Purpose::Silence);
            // Data from one window (plus the longest alert window) before
            // `from`, so the first steps see full windows.
            let lookback = slo::period_minutes(&def.window, to) + policy.lookback_minutes();
            let span = (f - lookback - 1440, t + 1);
            let window_of = |m: Minute| slo::window_bounds(&def.window, minute_ts(m));
            let outcome = with_objective_data(entry, o, store, &session, span, |data| {
                let run = |counts: &dyn Counts| {
                    let subject = alert::AlertSubject {
                        slo: &entry.spec.metadata.name,
                        objective: &o.name,
                        policy: &policy,
                        target: def.target,
                        counts,
                        window_of: &window_of,
                    };
                    alert::replay(&subject, f, t, step, &silences)
                };
                // Every step asks for a dozen windows up to the SLO's own:
                // tally each minute or slice of the span once, then answer
                // each window from running totals.
                if slo::SliceTallies::supports(def) {
                    run(&SlicedCounts(slo::SliceTallies::new(
                        def, data, span.0, span.1,
                    )))
                } else {
                    let prefix = alert::PrefixSums::new(data, span.0, span.1);
                    run(&EmbeddedCounts { def, data: &prefix })
                }
            });
            match outcome {
                Ok(r) => {
                    for i in r.intervals {
                        let mut v = key_value(&i.key);
                        v["pending_at"] = json!(minute_to_rfc3339(i.pending_at));
                        v["fired_at"] = json!(i.fired_at.map(minute_to_rfc3339));
                        v["resolved_at"] = json!(i.resolved_at.map(minute_to_rfc3339));
                        v["peak_burn"] = json!(i.peak_burn);
                        alerts.push(v);
                    }
                    transitions.extend(
                        r.transitions
                            .iter()
                            .filter(|t| t.notify)
                            .map(transition_value),
                    );
                }
                Err(why) => problems.push(json!({ "slo": entry.spec.metadata.name, "error": why })),
            }
        }
    }
    Ok(json!({
        "from": minute_to_rfc3339(f),
        "to": minute_to_rfc3339(t),
        "step_minutes": step,
        "alerts": alerts,
        "transitions": transitions,
        "problems": problems,
    }))
}

/// Alert counts answered from a span's running tallies.
struct SlicedCounts<'a>(slo::SliceTallies<'a>);

impl Counts for SlicedCounts<'_> {
    fn tally(&self, from: Minute, to: Minute) -> slo::Tally {
        self.0.tally(from, to)
    }
}
