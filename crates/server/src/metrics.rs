//! `/metrics`: every SLO figure and Lodestar's own operational figures in
//! the Prometheus text exposition format. SLO figures are read from the
//! same documents the API serves (`view::slos_document`), so the two can
//! never disagree.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use jiff::Timestamp;
use serde_json::Value;

use crate::state::{AppState, DURATION_BUCKETS};
use crate::view;

/// Escapes a label value for the text format.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

/// One metric family being written: HELP/TYPE once, then samples.
struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn header(out: &mut String, name: &str, kind: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {}", float(value));
    }
}

/// Reads one figure from an objective document.
type Getter = fn(&Value) -> Option<f64>;

const STATUSES: [&str; 5] = ["healthy", "at_risk", "exhausted", "no_data", "error"];

/// The SLO part of the exposition, from an `/api/v1/slos` document.
pub fn render_slos(doc: &Value, out: &mut String) {
    let empty = Vec::new();
    let slos = doc["slos"].as_array().unwrap_or(&empty);
    // (slo, objective, service, objective document)
    let mut rows: Vec<(String, String, String, &Value)> = Vec::new();
    for s in slos {
        for o in s["objectives"].as_array().unwrap_or(&empty) {
            rows.push((
                s["name"].as_str().unwrap_or_default().to_string(),
                o["name"].as_str().unwrap_or_default().to_string(),
                s["service"].as_str().unwrap_or_default().to_string(),
                o,
            ));
        }
    }
    let gauges: [(&str, &str, Getter); 5] = [
        (
            "lodestar_slo_sli_ratio",
            "The SLI over the SLO window (good / total).",
            |o| o["sli"]["value"].as_f64(),
        ),
        (
            "lodestar_slo_objective_ratio",
            "The objective's target.",
            |o| o["target"].as_f64(),
        ),
        (
            "lodestar_slo_error_budget_remaining_ratio",
            "Fraction of the error budget left (1 untouched, <= 0 exhausted).",
            |o| o["error_budget"]["remaining"].as_f64(),
        ),
        (
            "lodestar_slo_error_budget_consumed_ratio",
            "Fraction of the error budget consumed.",
            |o| o["error_budget"]["remaining"].as_f64().map(|r| 1.0 - r),
        ),
        (
            "lodestar_slo_time_to_exhaustion_seconds",
            "Seconds until the budget is exhausted at the current 1 h burn rate.",
            |o| o["time_to_exhaustion_s"].as_f64(),
        ),
    ];
    for (name, help, get) in gauges {
        Family::header(out, name, "gauge", help);
        let mut f = Family { out };
        for (slo, obj, svc, o) in &rows {
            if let Some(v) = get(o) {
                f.sample(
                    name,
                    &[("slo", slo), ("objective", obj), ("service", svc)],
                    v,
                );
            }
        }
    }
    Family::header(
        out,
        "lodestar_slo_burn_rate",
        "gauge",
        "Error budget burn rate over a trailing window.",
    );
    let mut f = Family { out };
    for (slo, obj, svc, o) in &rows {
        if let Some(map) = o["burn_rates"].as_object() {
            for (window, v) in map {
                if let Some(v) = v.as_f64() {
                    f.sample(
                        "lodestar_slo_burn_rate",
                        &[
                            ("slo", slo),
                            ("objective", obj),
                            ("service", svc),
                            ("window", window),
                        ],
                        v,
                    );
                }
            }
        }
    }
    Family::header(
        out,
        "lodestar_slo_window_events",
        "gauge",
        "Weighted good and total events (or slices) in the SLO window.",
    );
    let mut f = Family { out };
    for (slo, obj, svc, o) in &rows {
        for kind in ["good", "total"] {
            if let Some(v) = o["sli"][kind].as_f64() {
                f.sample(
                    "lodestar_slo_window_events",
                    &[
                        ("slo", slo),
                        ("objective", obj),
                        ("service", svc),
                        ("kind", kind),
                    ],
                    v,
                );
            }
        }
    }
    Family::header(
        out,
        "lodestar_slo_status",
        "gauge",
        "1 for the objective's current status, 0 for the others.",
    );
    let mut f = Family { out };
    for (slo, obj, svc, o) in &rows {
        let current = o["status"].as_str().unwrap_or("error");
        for st in STATUSES {
            f.sample(
                "lodestar_slo_status",
                &[
                    ("slo", slo),
                    ("objective", obj),
                    ("service", svc),
                    ("status", st),
                ],
                if st == current { 1.0 } else { 0.0 },
            );
        }
    }
}

/// The whole exposition at `at`.
pub fn render(state: &AppState, at: Timestamp) -> String {
    let started = std::time::Instant::now();
    let doc = view::slos_document(&state.catalog(), &state.store, at, 0);
    state.counters.evaluation.observe(started.elapsed());
    let mut out = String::with_capacity(16 << 10);
    render_slos(&doc, &mut out);

    let c = &state.counters;
    Family::header(
        &mut out,
        "lodestar_ingest_events_total",
        "counter",
        "Events and samples received, by source and result.",
    );
    let mut f = Family { out: &mut out };
    for (source, result, v) in [
        ("ndjson", "accepted", &c.events_accepted),
        ("ndjson", "rejected", &c.events_rejected),
        ("remote_write", "accepted", &c.samples_accepted),
        ("remote_write", "rejected", &c.samples_rejected),
        ("otlp", "accepted", &c.otlp_accepted),
        ("otlp", "rejected", &c.otlp_rejected),
    ] {
        f.sample(
            "lodestar_ingest_events_total",
            &[("source", source), ("result", result)],
            v.load(Ordering::Relaxed) as f64,
        );
    }
    Family::header(
        &mut out,
        "lodestar_ingest_requests_total",
        "counter",
        "Ingest requests handled, by source.",
    );
    let mut f = Family { out: &mut out };
    f.sample(
        "lodestar_ingest_requests_total",
        &[("source", "ndjson")],
        c.ingest_requests.load(Ordering::Relaxed) as f64,
    );
    f.sample(
        "lodestar_ingest_requests_total",
        &[("source", "otlp")],
        c.otlp_requests.load(Ordering::Relaxed) as f64,
    );
    f.sample(
        "lodestar_ingest_requests_total",
        &[("source", "remote_write")],
        c.remote_write_requests.load(Ordering::Relaxed) as f64,
    );
    Family::header(
        &mut out,
        "lodestar_reloads_total",
        "counter",
        "Spec reloads, by result.",
    );
    let mut f = Family { out: &mut out };
    f.sample(
        "lodestar_reloads_total",
        &[("result", "ok")],
        c.reloads.load(Ordering::Relaxed) as f64,
    );
    f.sample(
        "lodestar_reloads_total",
        &[("result", "refused")],
        c.reload_failures.load(Ordering::Relaxed) as f64,
    );

    render_alerting(state, &mut out);

    let (cumulative, sum) = c.evaluation.snapshot();
    Family::header(
        &mut out,
        "lodestar_evaluation_duration_seconds",
        "histogram",
        "Time to evaluate every SLO for a read (API or /metrics).",
    );
    let mut f = Family { out: &mut out };
    for (i, b) in DURATION_BUCKETS.iter().enumerate() {
        f.sample(
            "lodestar_evaluation_duration_seconds_bucket",
            &[("le", &float(*b))],
            cumulative[i] as f64,
        );
    }
    let count = *cumulative.last().unwrap_or(&0) as f64;
    f.sample(
        "lodestar_evaluation_duration_seconds_bucket",
        &[("le", "+Inf")],
        count,
    );
    f.sample("lodestar_evaluation_duration_seconds_sum", &[], sum);
    f.sample("lodestar_evaluation_duration_seconds_count", &[], count);

    let stats = state.store.stats();
    Family::header(
        &mut out,
        "lodestar_store_series",
        "gauge",
        "Series in the store (whole SLIs and segments).",
    );
    Family { out: &mut out }.sample("lodestar_store_series", &[], stats.series as f64);
    Family::header(
        &mut out,
        "lodestar_store_bytes",
        "gauge",
        "Bytes on disk, by kind.",
    );
    let mut f = Family { out: &mut out };
    f.sample(
        "lodestar_store_bytes",
        &[("kind", "wal")],
        stats.wal_bytes as f64,
    );
    f.sample(
        "lodestar_store_bytes",
        &[("kind", "snapshot")],
        stats.snapshot_bytes as f64,
    );
    Family::header(
        &mut out,
        "lodestar_store_memory_bytes",
        "gauge",
        "Approximate bytes of stored buckets in memory.",
    );
    Family { out: &mut out }.sample(
        "lodestar_store_memory_bytes",
        &[],
        stats.approx_memory_bytes as f64,
    );
    out
}

/// Open alerts by severity and state, and notification delivery per target.
fn render_alerting(state: &AppState, out: &mut String) {
    Family::header(
        out,
        "lodestar_alerts",
        "gauge",
        "Alerts pending or firing now, by severity and state.",
    );
    let mut f = Family { out };
    let open = state.alerting.open_counts();
    for severity in ["page", "ticket"] {
        for st in ["pending", "firing"] {
            let n = open.get(&(severity.to_string(), st)).copied().unwrap_or(0);
            f.sample(
                "lodestar_alerts",
                &[("severity", severity), ("state", st)],
                n as f64,
            );
        }
    }
    let stats = state.alerting.delivery_stats();
    type DeliveryFamily = (
        &'static str,
        &'static str,
        &'static str,
        fn(&notify::TargetStats) -> f64,
    );
    let families: [DeliveryFamily; 4] = [
        (
            "lodestar_notifications_sent_total",
            "counter",
            "Notifications the receiver accepted, by target.",
            |t| t.sent as f64,
        ),
        (
            "lodestar_notification_failures_total",
            "counter",
            "Delivery attempts that failed (retried or given up), by target.",
            |t| t.failed_attempts as f64,
        ),
        (
            "lodestar_notifications_given_up_total",
            "counter",
            "Notifications dropped after a permanent error or 24 h of retries, by target.",
            |t| t.given_up as f64,
        ),
        (
            "lodestar_notifications_pending",
            "gauge",
            "Notifications waiting to be sent or retried, by target.",
            |t| t.pending as f64,
        ),
    ];
    for (name, kind, help, value) in families {
        Family::header(out, name, kind, help);
        let mut f = Family { out };
        for t in &stats {
            f.sample(name, &[("target", t.target.as_str())], value(t));
        }
    }
}
