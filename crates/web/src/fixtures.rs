//! Documents in the shapes the API serves, for the page tests. Names and
//! texts carry markup characters on purpose, so every test also checks
//! escaping.

use serde_json::{Value, json};

/// One objective document with figures and a budget history.
pub fn objective(name: &str, sli: f64, target: f64, remaining: f64, burn_1h: f64) -> Value {
    json!({
        "name": name,
        "display_name": format!("{name} <objective>"),
        "status": if remaining < 0.25 { "at_risk" } else { "healthy" },
        "target": target,
        "sli": { "good": 9990.0, "total": 10000.0, "value": sli, "raw_good": 999, "raw_total": 1000 },
        "error_budget": { "total": 100.0, "consumed": 100.0 * (1.0 - remaining), "remaining": remaining },
        "burn_rates": { "5m": 0.0, "30m": 0.5, "1h": burn_1h, "2h": 1.0, "6h": 0.8, "1d": 0.6, "3d": 0.4 },
        "time_to_exhaustion_s": if burn_1h > 0.0 { json!(remaining * 28.0 * 86400.0 / burn_1h) } else { Value::Null },
        "window_from": "2026-10-30T12:00:00Z",
        "window_to": "2026-11-27T12:01:00Z",
        "budget_history": [
            { "t": "2026-10-30T12:00:00Z", "remaining": 1.0 },
            { "t": "2026-11-13T12:00:00Z", "remaining": f64::midpoint(1.0, remaining) },
            { "t": "2026-11-27T12:00:00Z", "remaining": remaining }
        ]
    })
}

/// An SLO document (`GET /api/v1/slos/{name}`) with one objective.
pub fn slo(name: &str, service: &str, owner: &str, remaining: f64, burn_1h: f64) -> Value {
    let o = objective("obj", 0.9991, 0.999, remaining, burn_1h);
    json!({
        "name": name,
        "display_name": format!("{name} <b>display</b>"),
        "description": "Payments succeed & \"quickly\".",
        "service": service,
        "budgeting_method": "Occurrences",
        "window": { "duration": "28d", "rolling": true, "time_zone": null, "from": "2026-10-30T12:00:00Z", "to": "2026-11-27T12:01:00Z" },
        "status": o["status"],
        "owner": { "team": owner, "champion": "Ann <ann@example.invalid>", "escalation": ["oncall", "lead & co"], "review_cadence": "4w", "last_reviewed": "2026-11-02" },
        "objectives": [o],
        "indicator": { "name": "sli", "why": "Because <money>.", "how": "Spans.", "acceptable_variation": "0.05 %" }
    })
}

pub fn slos(list: Vec<Value>) -> Value {
    json!({ "at": "2026-11-27T12:00:00Z", "slos": list })
}

/// A journeys document with one journey of two steps.
pub fn journeys(step1: Vec<Value>, step2: Vec<Value>) -> Value {
    let brief = |s: &Value| json!({ "name": s["name"], "status": s["status"], "objectives": s["objectives"] });
    json!({
        "at": "2026-11-27T12:00:00Z",
        "journeys": [{
            "name": "checkout",
            "display_name": "Checkout <journey>",
            "description": "Buy things.",
            "weight": 5.0,
            "owner": "payments-team",
            "steps": [
                { "name": "cart", "display_name": "Add to cart", "slos": step1.iter().map(brief).collect::<Vec<_>>() },
                { "name": "pay", "display_name": "Pay", "slos": step2.iter().map(brief).collect::<Vec<_>>() }
            ],
            "completion_slo": "done",
            "time_to_first_action_slo": null
        }]
    })
}

/// A series document for one objective named `obj`, 4 steps of 6 hours.
pub fn series() -> Value {
    let pts = |vals: [Option<f64>; 4]| -> Vec<Value> {
        [
            "2026-11-26T12:00:00Z",
            "2026-11-26T18:00:00Z",
            "2026-11-27T00:00:00Z",
            "2026-11-27T06:00:00Z",
        ]
        .iter()
        .zip(vals)
        .map(|(t, v)| json!({ "t": t, "value": v }))
        .collect()
    };
    json!({
        "name": "pay",
        "at": "2026-11-27T12:00:00Z",
        "from": "2026-11-26T12:01:00Z",
        "to": "2026-11-27T12:01:00Z",
        "step_minutes": 360,
        "objectives": [{
            "name": "obj",
            "target": 0.999,
            "window_minutes": 40320,
            "sli": pts([Some(0.9995), None, Some(0.998), Some(0.9991)]),
            "burn_rates": { "1h": pts([Some(0.5), Some(1.0), Some(20.0), Some(0.9)]), "6h": pts([Some(0.4), Some(0.8), Some(3.0), Some(0.7)]) },
            "thresholds": [
                { "rule": "page_1h_5m", "severity": "page", "long": "1h", "short": "5m", "factor": 13.44 },
                { "rule": "ticket_3d_6h", "severity": "ticket", "long": "3d", "short": "6h", "factor": 0.9333 }
            ]
        }]
    })
}

pub fn segments() -> Value {
    let seg = |v: &str, consumed: f64, share: f64| {
        json!({
            "value": v, "status": "healthy", "share_of_consumed": share,
            "sli": { "value": 0.999 }, "error_budget": { "consumed": consumed, "remaining": 0.5, "total": 50.0 },
            "burn_rates": { "1h": 1.5 }
        })
    };
    json!({ "name": "pay", "at": "2026-11-27T12:00:00Z", "objectives": [{ "name": "obj", "dimensions": [
        { "dimension": "region", "segments": [seg("eu-west <1>", 30.0, 0.75), seg("us-east", 10.0, 0.25)] }
    ]}]})
}

pub fn exemplars() -> Value {
    json!({ "slo": "pay", "from": "2026-10-30T12:01:00Z", "to": "2026-11-27T12:01:00Z", "objectives": [{ "name": "obj", "sli": "sli", "exemplars": [
        { "time": "2026-11-27T11:41:12.625Z", "trace_id": "c9e7<script>", "span_id": "a1", "name": "POST /pay", "status": "error", "duration_ms": 2517.3, "value": null, "sample_rate": 1.0, "attributes": { "region": "eu-west", "user": "\"quoted\"" } }
    ]}]})
}
