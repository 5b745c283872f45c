//! The exemplar reservoir against a model (newest by time plus the
//! lowest-ranked of the rest), time filtering, pruning, the file round trip
//! and torn files, and the API document.

use std::collections::BTreeSet;
use std::sync::Arc;

use proptest::prelude::*;

use super::*;

const T0: i64 = 1_738_324_800_000; // 2025-01-31T12:00:00Z

fn limits(recent: usize, sampled: usize) -> ReservoirLimits {
    ReservoirLimits { recent, sampled }
}

/// A bad `/pay` event of SLI `sli` at `T0 + offset_ms`, trace `t{id}`.
fn exemplar(sli: &str, offset_ms: i64, id: u32) -> ingest::Exemplar {
    ingest::Exemplar {
        sli: Arc::from(sli),
        timestamp_ms: T0 + offset_ms,
        trace_id: Some(format!("t{id}")),
        span_id: Some(format!("s{id}")),
        name: "POST /pay".to_owned(),
        duration_ms: Some(12.5),
        value: None,
        status_error: true,
        sample_rate: 1.0,
        attributes: vec![("region".to_owned(), "eu".to_owned())],
    }
}

fn all() -> ExemplarQuery {
    ExemplarQuery {
        from_ms: i64::MIN,
        to_ms: i64::MAX,
        limit: usize::MAX,
    }
}

fn trace_ids(list: &[StoredExemplar]) -> Vec<String> {
    list.iter()
        .map(|e| e.trace_id.clone().unwrap_or_default())
        .collect()
}

#[test]
fn an_sli_keeps_its_newest_and_a_sample_of_the_rest_newest_first() {
    let ex = Exemplars::new(limits(3, 2));
    ex.add(
        (0..20)
            .map(|i| exemplar("pay", i * 1000, i as u32))
            .collect(),
    );
    ex.add(vec![exemplar("other", 0, 99)]);
    assert_eq!(ex.len(), 6);
    let kept = ex.query("pay", all());
    assert_eq!(kept.len(), 5);
    assert_eq!(trace_ids(&kept[..3]), ["t19", "t18", "t17"]);
    assert!(
        kept.windows(2)
            .all(|w| w[0].timestamp_ms >= w[1].timestamp_ms),
        "newest first: {kept:?}"
    );
    assert!(kept[3..].iter().all(|e| e.timestamp_ms < T0 + 17_000));
    assert_eq!(trace_ids(&ex.query("other", all())), ["t99"]);
    assert!(ex.query("unknown", all()).is_empty());
}

#[test]
fn queries_filter_by_time_and_limit() {
    let ex = Exemplars::new(ReservoirLimits::default());
    ex.add(
        (0..10)
            .map(|i| exemplar("pay", i * 60_000, i as u32))
            .collect(),
    );
    let q = ExemplarQuery {
        from_ms: T0 + 2 * 60_000,
        to_ms: T0 + 5 * 60_000,
        limit: 10,
    };
    assert_eq!(trace_ids(&ex.query("pay", q)), ["t4", "t3", "t2"]);
    let q = ExemplarQuery { limit: 2, ..q };
    assert_eq!(trace_ids(&ex.query("pay", q)), ["t4", "t3"]);
}

#[test]
fn late_old_exemplars_go_to_the_sample_not_the_recent_set() {
    let ex = Exemplars::new(limits(2, 1));
    ex.add(vec![exemplar("pay", 10_000, 1), exemplar("pay", 20_000, 2)]);
    ex.add(vec![exemplar("pay", 0, 0)]);
    assert_eq!(trace_ids(&ex.query("pay", all())), ["t2", "t1", "t0"]);
    ex.add(vec![exemplar("pay", 30_000, 3)]);
    let kept = trace_ids(&ex.query("pay", all()));
    assert_eq!(&kept[..2], ["t3", "t2"]);
    assert_eq!(kept.len(), 3);
}

#[test]
fn pruning_drops_what_is_past_the_retention() {
    let ex = Exemplars::new(limits(2, 2));
    ex.add(
        (0..4)
            .map(|i| exemplar("pay", i * 1000, i as u32))
            .collect(),
    );
    ex.add(vec![exemplar("old", 0, 9)]);
    assert_eq!(ex.prune(T0 + 2000), 3);
    assert_eq!(trace_ids(&ex.query("pay", all())), ["t3", "t2"]);
    assert!(ex.query("old", all()).is_empty());
    assert_eq!(ex.prune(T0 + 2000), 0);
}

#[test]
fn the_file_round_trips_and_saves_only_after_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (ex, problem) = Exemplars::open(dir.path(), limits(3, 3));
    assert!(problem.is_none(), "a missing file is no problem");
    assert!(ex.is_empty());
    let mut threshold = exemplar("latency", 5, 7);
    threshold.value = Some(420.0);
    threshold.trace_id = None;
    threshold
        .attributes
        .push(("feature.x".to_owned(), "on".to_owned()));
    ex.add(
        (0..8)
            .map(|i| exemplar("pay", i * 1000, i as u32))
            .collect(),
    );
    ex.add(vec![threshold]);
    assert!(ex.save().unwrap());
    assert!(!ex.save().unwrap(), "nothing changed since");

    let (again, problem) = Exemplars::open(dir.path(), limits(3, 3));
    assert!(problem.is_none(), "{problem:?}");
    assert_eq!(again.len(), ex.len());
    for sli in ["pay", "latency"] {
        assert_eq!(again.query(sli, all()), ex.query(sli, all()), "{sli}");
    }
    assert!(
        !again.save().unwrap(),
        "a freshly loaded file is saved already"
    );
    assert!(!dir.path().join("exemplars.json.tmp").exists());
}

#[test]
fn a_torn_or_foreign_file_is_reported_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (ex, _) = Exemplars::open(dir.path(), ReservoirLimits::default());
    ex.add(vec![exemplar("pay", 0, 1), exemplar("pay", 1, 2)]);
    ex.save().unwrap();
    let path = dir.path().join(FILE_NAME);
    let whole = std::fs::read(&path).unwrap();

    std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
    let (torn, problem) = Exemplars::open(dir.path(), ReservoirLimits::default());
    let message = problem.expect("a torn file is reported").to_string();
    assert!(
        message.contains("exemplars.json") && message.contains("starting without"),
        "{message}"
    );
    assert!(torn.is_empty());
    torn.add(vec![exemplar("pay", 2, 3)]);
    assert!(torn.save().unwrap());
    let (fresh, problem) = Exemplars::open(dir.path(), ReservoirLimits::default());
    assert!(problem.is_none());
    assert_eq!(trace_ids(&fresh.query("pay", all())), ["t3"]);

    std::fs::write(&path, br#"{"format":"other","version":1,"slis":{}}"#).unwrap();
    let (_, problem) = Exemplars::open(dir.path(), ReservoirLimits::default());
    let message = problem.expect("a foreign file is reported").to_string();
    assert!(
        message.contains(r#"expected "lodestar-exemplars""#),
        "{message}"
    );
}

#[test]
fn in_memory_exemplars_never_write() {
    let ex = Exemplars::new(ReservoirLimits::default());
    ex.add(vec![exemplar("pay", 0, 1)]);
    assert!(!ex.save().unwrap());
}

proptest! {
    /// Whatever the arrival order, an SLI holds the `recent` newest
    /// exemplars by (time, arrival) and the `sampled` lowest-ranked of the
    /// others.
    #[test]
    fn the_reservoir_matches_its_model(
        times in proptest::collection::vec(0i64..50, 0..60),
        recent in 0usize..6,
        sampled in 0usize..6,
    ) {
        let ex = Exemplars::new(limits(recent, sampled));
        let all_in: Vec<ingest::Exemplar> = times
            .iter()
            .enumerate()
            .map(|(i, t)| exemplar("pay", *t, i as u32))
            .collect();
        for e in &all_in {
            ex.add(vec![e.clone()]);
        }
        let mut by_time: Vec<(i64, usize)> =
            times.iter().enumerate().map(|(i, t)| (*t, i)).collect();
        by_time.sort();
        let split = by_time.len().saturating_sub(recent);
        let newest: BTreeSet<usize> = by_time[split..].iter().map(|(_, i)| *i).collect();
        let mut rest: Vec<(u64, usize)> = by_time[..split]
            .iter()
            .map(|(_, i)| (StoredExemplar::from(all_in[*i].clone()).rank(), *i))
            .collect();
        rest.sort();
        let lowest: BTreeSet<usize> = rest.iter().take(sampled).map(|(_, i)| *i).collect();
        let expected: BTreeSet<String> = newest
            .union(&lowest)
            .map(|i| format!("t{i}"))
            .collect();
        let kept: BTreeSet<String> = trace_ids(&ex.query("pay", all())).into_iter().collect();
        prop_assert_eq!(kept, expected);
    }
}

// ---------------------------------------------------------------- document

const SPECS: &str = r#"
apiVersion: openslo/v1
kind: Service
metadata: {name: shop}
spec: {description: The test shop.}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: pay-availability
  annotations: {lodestar.dev/owner: payments}
spec:
  service: shop
  indicator:
    metadata: {name: pay-requests}
    spec:
      ratioMetric:
        counter: false
        good: {metricSource: {type: lodestar, spec: {filter: 'status == "ok"'}}}
        total: {metricSource: {type: lodestar, spec: {filter: 'attributes["http.route"] == "/pay"'}}}
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
"#;

fn document(
    ex: &Exemplars,
    name: &str,
    from: Option<i64>,
    to: Option<i64>,
    limit: Option<usize>,
) -> Result<Value, ApiError> {
    let catalog =
        Catalog::from_sources(&[("specs.yaml".to_owned(), SPECS.to_owned())], false).unwrap();
    let ts = |ms: i64| Timestamp::from_millisecond(ms).unwrap();
    exemplars_document(&catalog, ex, name, from.map(ts), to.map(ts), limit, ts(T0))
}

#[test]
fn the_document_defaults_to_the_slo_window() {
    let ex = Exemplars::new(ReservoirLimits::default());
    let mut e = exemplar("pay-requests", -1000, 1);
    e.attributes
        .push(("http.route".to_owned(), "/pay".to_owned()));
    ex.add(vec![
        exemplar("pay-requests", -2 * 86_400_000, 0), // before the 1-day window
        e,
    ]);
    let doc = document(&ex, "pay-availability", None, None, None).unwrap();
    assert_eq!(doc["slo"], "pay-availability");
    assert_eq!(doc["from"], "2025-01-30T12:01:00Z");
    assert_eq!(doc["to"], "2025-01-31T12:01:00Z");
    let objectives = doc["objectives"].as_array().unwrap();
    assert_eq!(objectives.len(), 1);
    assert_eq!(objectives[0]["sli"], "pay-requests");
    assert_eq!(
        objectives[0]["exemplars"],
        json!([{
            "time": "2025-01-31T11:59:59Z",
            "trace_id": "t1",
            "span_id": "s1",
            "name": "POST /pay",
            "duration_ms": 12.5,
            "value": null,
            "status": "error",
            "sample_rate": 1.0,
            "attributes": { "region": "eu", "http.route": "/pay" },
        }])
    );

    let doc = document(&ex, "pay-availability", Some(0), None, Some(1)).unwrap();
    assert_eq!(doc["objectives"][0]["exemplars"][0]["trace_id"], "t1");
    assert_eq!(
        doc["objectives"][0]["exemplars"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn the_document_refuses_unknown_slos_and_bad_parameters() {
    let ex = Exemplars::new(ReservoirLimits::default());
    assert!(matches!(
        document(&ex, "nope", None, None, None),
        Err(ApiError::NotFound(_))
    ));
    for limit in [0, MAX_LIMIT + 1] {
        let e = document(&ex, "pay-availability", None, None, Some(limit)).unwrap_err();
        assert!(
            matches!(&e, ApiError::BadRequest(m) if m.contains("limit=")),
            "{e}"
        );
    }
    let e = document(&ex, "pay-availability", Some(T0), Some(T0), None).unwrap_err();
    assert!(
        matches!(&e, ApiError::BadRequest(m) if m.contains("must be before")),
        "{e}"
    );
}
