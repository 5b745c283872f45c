//! Catalog compilation: exemplar thresholds derived from the objectives of
//! every SLO that uses a threshold SLI.

use slo::Op::*;

use super::*;

const NOW_MS: i64 = 1_738_324_800_000; // 2025-01-31T12:00:00Z

const SERVICE: &str = r#"
apiVersion: openslo/v1
kind: Service
metadata: {name: shop}
spec: {description: The test shop.}
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: search-duration}
spec:
  thresholdMetric:
    metricSource:
      type: lodestar
      spec: {filter: 'name == "GET /search"', field: duration_ms, aggregate: p95}
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: search-count}
spec:
  thresholdMetric:
    metricSource:
      type: lodestar
      spec: {filter: 'name == "GET /search"', field: duration_ms, aggregate: count}
"#;

/// An SLO over SLI `sli` with one objective `op value`.
fn slo(name: &str, sli: &str, op: &str, value: f64) -> String {
    format!(
        r#"
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: {name}
  annotations: {{lodestar.dev/owner: search}}
spec:
  service: shop
  indicatorRef: {sli}
  timeWindow: [{{duration: 7d, isRolling: true}}]
  budgetingMethod: Timeslices
  objectives:
    - {{target: 0.99, op: {op}, value: {value}, timeSliceTarget: 0.95, timeSliceWindow: 1m}}
"#
    )
}

fn catalog(slos: &[String]) -> Catalog {
    let text = format!("{SERVICE}{}", slos.concat());
    Catalog::from_sources(&[("specs.yaml".to_owned(), text)], false)
        .unwrap_or_else(|d| panic!("{}", d.join("\n")))
}

/// (sli, duration) of the exemplars the catalog's pipeline keeps for
/// searches taking these durations.
fn exemplars(c: &Catalog, durations: &[f64]) -> Vec<(String, f64)> {
    let body: Vec<String> = durations
        .iter()
        .map(|d| format!(r#"{{"timestamp":{NOW_MS},"name":"GET /search","duration_ms":{d}}}"#))
        .collect();
    let mut batch = ingest::Batch::new();
    let limits = ingest::Limits::with_oldest_allowed(jiff::Timestamp::UNIX_EPOCH);
    let now = jiff::Timestamp::from_millisecond(NOW_MS).unwrap();
    c.pipeline
        .ingest_ndjson(body.join("\n").as_bytes(), &limits, now, &mut batch);
    let mut out: Vec<(String, f64)> = batch
        .exemplars()
        .iter()
        .map(|e| (e.sli.to_string(), e.duration_ms.unwrap_or(f64::NAN)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    out
}

#[test]
fn the_strictest_objective_over_a_shared_sli_sets_its_exemplar_threshold() {
    let c = catalog(&[
        slo("search-fast", "search-duration", "lte", 300.0),
        slo("search-faster", "search-duration", "lte", 250.0),
    ]);
    assert_eq!(
        exemplars(&c, &[240.0, 250.0, 260.0, 320.0]),
        [
            ("search-duration".to_owned(), 260.0),
            ("search-duration".to_owned(), 320.0)
        ]
    );
}

#[test]
fn lower_bounds_keep_the_values_below() {
    let c = catalog(&[slo("search-slow-enough", "search-duration", "gte", 100.0)]);
    assert_eq!(
        exemplars(&c, &[50.0, 100.0, 150.0]),
        [("search-duration".to_owned(), 50.0)]
    );
}

#[test]
fn count_aggregates_keep_no_exemplars() {
    let c = catalog(&[slo("search-volume", "search-count", "lte", 10.0)]);
    assert_eq!(exemplars(&c, &[5.0, 50.0]), []);
}

#[test]
fn strictest_bound_picks_the_tightest_on_the_first_side() {
    let check = |bounds: &[(slo::Op, f64)], expect: Option<(slo::Op, f64)>| {
        assert_eq!(strictest_bound(bounds), expect, "{bounds:?}");
    };
    check(&[], None);
    check(&[(Lte, 300.0)], Some((Lte, 300.0)));
    check(
        &[(Lte, 300.0), (Lte, 250.0), (Lt, 400.0)],
        Some((Lte, 250.0)),
    );
    check(&[(Lte, 300.0), (Lt, 300.0)], Some((Lt, 300.0)));
    check(&[(Lt, 300.0), (Lte, 300.0)], Some((Lt, 300.0)));
    check(&[(Gte, 10.0), (Gt, 20.0), (Gte, 15.0)], Some((Gt, 20.0)));
    check(&[(Gte, 10.0), (Gt, 10.0)], Some((Gt, 10.0)));
    // The other side is ignored, whatever its value.
    check(
        &[(Lte, 300.0), (Gte, 1000.0), (Lt, 200.0)],
        Some((Lt, 200.0)),
    );
    check(&[(Gt, 5.0), (Lte, 1.0)], Some((Gt, 5.0)));
    check(&[(Lte, f64::NAN), (Lte, 300.0)], Some((Lte, 300.0)));
}

#[test]
fn a_threshold_sli_with_a_series_selector_plans_a_gauge() {
    let text = format!(
        "{SERVICE}---
apiVersion: openslo/v1
kind: SLI
metadata: {{name: queue-depth}}
spec:
  thresholdMetric:
    metricSource:
      type: lodestar
      spec: {{metric: 'queue_depth{{job=\"checkout\"}}', aggregate: max, segments: [region], maxSegments: 7}}
"
    );
    let loaded = spec::load_sources(&[("specs.yaml".to_owned(), text)], spec::Mode::Strict);
    let set = loaded.set.expect("the spec loads");
    let sli = set
        .slis
        .iter()
        .find(|s| s.metadata.name == "queue-depth")
        .unwrap();
    assert_eq!(
        plan_for(sli),
        Ok(SliPlan {
            name: "queue-depth".to_owned(),
            kind: PlanKind::Gauge {
                metric: r#"queue_depth{job="checkout"}"#.to_owned()
            },
            segments: vec!["region".to_owned()],
            max_segment_values: 7,
            exemplar_threshold: None,
        })
    );
}
