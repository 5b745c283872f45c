//! Server time of the dashboard's pages with 500 SLOs: a catalog of 500
//! ratio SLOs (28-day windows) in 25 journeys, a day of per-minute events
//! for each in a temporary store, and `GET /`, `GET /slos/NAME` and
//! `GET /journeys/NAME` answered by the real router through
//! `tower::ServiceExt::oneshot` (authorization, evaluation, rendering,
//! body collection; no socket). The figure behind "a page in well under
//! 100 ms for hundreds of SLOs".
//!
//! The clock is stopped at [`AT`] and every read pins `at=`, so each
//! iteration does the same work; nothing here reads the wall clock.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use jiff::Timestamp;
use server::{AppState, Catalog, Clock, ServerOptions};
use tower::ServiceExt;

const SLOS: usize = 500;
const JOURNEYS: usize = 25;
const STEPS: usize = 4;
/// SLOs per journey step: 25 journeys × 4 steps × 5 = every SLO once.
const PER_STEP: usize = SLOS / JOURNEYS / STEPS;
const AT: &str = "2026-11-27T12:00:00Z";
const MINUTES: i64 = 1440;

struct Stopped;

impl Clock for Stopped {
    fn now(&self) -> Timestamp {
        AT.parse().unwrap()
    }
}

fn specs() -> String {
    let mut s = String::new();
    for svc in 0..40 {
        s.push_str(&format!(
            "apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: service-{svc}\nspec: {{}}\n---\n"
        ));
    }
    for i in 0..SLOS {
        s.push_str(&format!(
            r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: slo-{i}
  displayName: Service {i} availability
spec:
  service: service-{svc}
  indicator:
    metadata:
      name: requests-{i}
    spec:
      ratioMetric:
        counter: false
        good:
          metricSource:
            type: lodestar
            spec:
              filter: 'status == "ok"'
        total:
          metricSource:
            type: lodestar
            spec:
              filter: 'attributes["http.route"] == "/r/{i}"'
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: 99.9 % of requests succeed
      target: 0.999
---
"#,
            svc = i % 40
        ));
    }
    for j in 0..JOURNEYS {
        s.push_str(&format!(
            "apiVersion: lodestar.dev/v1\nkind: Journey\nmetadata:\n  name: journey-{j}\nspec:\n  owner: team-{}\n  steps:\n",
            j % 12
        ));
        for st in 0..STEPS {
            let members: Vec<String> = (0..PER_STEP)
                .map(|k| format!("slo-{}", j * STEPS * PER_STEP + st * PER_STEP + k))
                .collect();
            s.push_str(&format!(
                "    - name: step-{st}\n      slos: [{}]\n",
                members.join(", ")
            ));
        }
        s.push_str("---\n");
    }
    s
}

/// The state with a day of traffic: per SLO and minute one event standing
/// for 100 requests, an error in every 50th minute (and more for a few SLOs,
/// so statuses and budgets differ across the page).
fn state(dir: &std::path::Path) -> Arc<AppState> {
    let (store, _) = store::Store::open(store::StoreConfig {
        dir: dir.to_path_buf(),
        retention_minutes: 35 * 1440,
        ..store::StoreConfig::default()
    })
    .unwrap();
    let catalog = Catalog::from_sources(&[("bench.yaml".into(), specs())], false)
        .unwrap_or_else(|e| panic!("bench specs: {e:?}"));
    let st = Arc::new(AppState::new(
        Arc::new(store),
        catalog,
        ServerOptions {
            retention_minutes: 35 * 1440,
            ..ServerOptions::default()
        },
        Arc::new(Stopped),
    ));
    let end = AT.parse::<Timestamp>().unwrap().as_millisecond();
    let mut accepted = 0;
    for hour in 0..MINUTES / 60 {
        let mut body = String::with_capacity(SLOS * 60 * 120);
        for m in hour * 60..(hour + 1) * 60 {
            let ms = end - (MINUTES - m) * 60_000;
            for i in 0..SLOS as i64 {
                let error = (m + i) % 50 == 0 || (i % 37 == 0 && m % 7 == 0);
                let status = if error { "error" } else { "ok" };
                body.push_str(&format!(
                    r#"{{"timestamp":{ms},"name":"GET /r/{i}","status":"{status}","sample_rate":100,"attributes":{{"http.route":"/r/{i}"}}}}"#
                ));
                body.push('\n');
            }
        }
        let report = st.ingest_ndjson(body.as_bytes()).unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors.first());
        accepted += report.accepted;
    }
    assert_eq!(accepted, SLOS as u64 * MINUTES as u64);
    st
}

async fn get(st: &Arc<AppState>, uri: &str) -> usize {
    let resp = server::router(st.clone())
        .oneshot(
            axum::http::Request::get(uri)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{uri}");
    resp.into_body().collect().await.unwrap().to_bytes().len()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // The pages, then the API reads behind the overview, to tell
    // evaluation from rendering (the overview asks for 24 history points).
    let pages = [
        ("server_overview_500_slos", format!("/?at={AT}")),
        ("server_slo_page_of_500", format!("/slos/slo-37?at={AT}")),
        (
            "server_journey_page_of_500",
            format!("/journeys/journey-1?at={AT}"),
        ),
        (
            "api_slos_500_history_24",
            format!("/api/v1/slos?at={AT}&history=24"),
        ),
        (
            "api_slos_500_history_0",
            format!("/api/v1/slos?at={AT}&history=0"),
        ),
        ("api_journeys_500", format!("/api/v1/journeys?at={AT}")),
    ];
    for (name, uri) in &pages {
        let bytes = rt.block_on(get(&st, uri));
        eprintln!("{uri}: {bytes} bytes");
        c.bench_function(name, |b| {
            b.iter(|| black_box(rt.block_on(get(&st, black_box(uri)))))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
