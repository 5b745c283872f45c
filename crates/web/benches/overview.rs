//! Rendering time of the overview page for 500 SLOs in 25 journeys, each
//! SLO with a 48-point budget history (the sparkline), from documents in
//! the API's shapes. Server time for the page is this plus the evaluation
//! behind `/api/v1/slos` (benchmarked in the server crate).

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use web::{OverviewInputs, OverviewQuery, overview_page};

fn slo(i: usize) -> Value {
    let remaining = 1.0 - (i % 97) as f64 / 80.0;
    let history: Vec<Value> = (0..48)
        .map(|k| {
            json!({
                "t": format!("2026-11-{:02}T{:02}:00:00Z", 1 + k / 2, (k % 2) * 12),
                "remaining": 1.0 - (1.0 - remaining) * k as f64 / 47.0,
            })
        })
        .collect();
    json!({
        "name": format!("slo-{i}"),
        "display_name": format!("Service {i} availability"),
        "service": format!("service-{}", i % 40),
        "status": if remaining < 0.25 { "at_risk" } else { "healthy" },
        "owner": { "team": format!("team-{}", i % 12), "escalation": ["oncall"] },
        "objectives": [{
            "name": "objective",
            "display_name": "99.9 % of requests succeed",
            "status": "healthy",
            "target": 0.999,
            "sli": { "good": 999_000.0, "total": 1_000_000.0, "value": 0.999 + (i % 10) as f64 / 10_000.0 },
            "error_budget": { "total": 1000.0, "consumed": 1000.0 * (1.0 - remaining), "remaining": remaining },
            "burn_rates": { "5m": 0.0, "30m": 0.4, "1h": 1.2, "2h": 0.9, "6h": 0.8, "1d": 0.7, "3d": 0.6 },
            "time_to_exhaustion_s": 86400.0,
            "budget_history": history,
        }],
    })
}

fn bench(c: &mut Criterion) {
    let slos: Vec<Value> = (0..500).map(slo).collect();
    let journeys: Vec<Value> = (0..25)
        .map(|j| {
            let steps: Vec<Value> = (0..4)
                .map(|s| {
                    let members: Vec<Value> = (0..5)
                        .map(|k| {
                            let doc = &slos[j * 20 + s * 5 + k];
                            json!({ "name": doc["name"], "status": doc["status"], "objectives": doc["objectives"] })
                        })
                        .collect();
                    json!({ "name": format!("step-{s}"), "display_name": format!("Step {s}"), "slos": members })
                })
                .collect();
            json!({ "name": format!("journey-{j}"), "display_name": format!("Journey {j}"), "owner": "team", "steps": steps })
        })
        .collect();
    let slos = json!({ "at": "2026-11-27T12:00:00Z", "slos": slos });
    let journeys = json!({ "at": "2026-11-27T12:00:00Z", "journeys": journeys });
    let alerts = json!({ "alerts": [] });
    let query = OverviewQuery::default();
    let inputs = OverviewInputs {
        slos: &slos,
        journeys: &journeys,
        alerts: Some(&alerts),
        query: &query,
    };
    let size = overview_page(&inputs).len();
    eprintln!("overview for 500 SLOs: {size} bytes");
    c.bench_function("overview_500_slos", |b| {
        b.iter(|| overview_page(std::hint::black_box(&inputs)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
