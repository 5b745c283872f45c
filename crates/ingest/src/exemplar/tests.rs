//! Exemplars through the real pipeline: which events become candidates,
//! the per-batch cap and its sampling, and the bounds on what is kept.

use std::collections::HashSet;

use proptest::prelude::*;

use super::*;
use crate::{Batch, Field, Limits, Pipeline, PlanKind, SliPlan};

const NOW_MS: i64 = 1_738_324_800_000; // 2025-01-31T12:00:00Z

fn ingest(p: &Pipeline, lines: &[String]) -> Batch {
    let mut batch = Batch::new();
    let limits =
        Limits::with_oldest_allowed(jiff::Timestamp::from_millisecond(NOW_MS - 3_600_000).unwrap());
    let now = jiff::Timestamp::from_millisecond(NOW_MS).unwrap();
    let report = p.ingest_ndjson(lines.join("\n").as_bytes(), &limits, now, &mut batch);
    assert_eq!(report.rejected, 0, "{:?}", report.errors);
    batch
}

fn plan(name: &str, kind: PlanKind, threshold: Option<(slo::Op, f64)>) -> SliPlan {
    SliPlan {
        name: name.to_owned(),
        kind,
        segments: vec!["region".to_owned()],
        max_segment_values: 10,
        exemplar_threshold: threshold,
    }
}

fn ratio(name: &str, good: Option<&str>, bad: Option<&str>) -> SliPlan {
    let kind = PlanKind::Ratio {
        total: r#"attributes["http.route"] == "/pay""#.to_owned(),
        good: good.map(str::to_owned),
        bad: bad.map(str::to_owned),
    };
    plan(name, kind, None)
}

fn latency(name: &str, field: Field, threshold: Option<(slo::Op, f64)>) -> SliPlan {
    let kind = PlanKind::Threshold {
        filter: r#"name == "GET /search""#.to_owned(),
        field,
    };
    plan(name, kind, threshold)
}

/// A `/pay` event with a trace id.
fn pay(i: i64, status: &str, trace: &str) -> String {
    format!(
        r#"{{"timestamp":{},"name":"POST /pay","duration_ms":20,"status":"{status}","attributes":{{"http.route":"/pay","trace_id":"{trace}","span_id":"s{i}","region":"eu"}}}}"#,
        NOW_MS - 60_000 + i
    )
}

/// A `GET /search` event taking `ms`, with attribute `rps` = `rps`.
fn search(i: i64, ms: f64, rps: f64) -> String {
    format!(
        r#"{{"timestamp":{},"name":"GET /search","duration_ms":{ms},"attributes":{{"trace_id":"t{i}","rps":"{rps}"}}}}"#,
        NOW_MS - 60_000 + i
    )
}

/// (sli, trace id) of every exemplar, sorted.
fn traces(batch: &Batch) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = batch
        .exemplars()
        .iter()
        .map(|e| (e.sli.to_string(), e.trace_id.clone().unwrap_or_default()))
        .collect();
    out.sort();
    out
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn ratio_slis_keep_their_bad_events_only() {
    let p = Pipeline::compile(&[
        ratio("by-good", Some(r#"status == "ok""#), None),
        ratio("by-bad", None, Some(r#"status == "error""#)),
    ])
    .unwrap();
    let other_route = format!(
        r#"{{"timestamp":{NOW_MS},"status":"error","attributes":{{"http.route":"/cart","trace_id":"cart"}}}}"#
    );
    let batch = ingest(
        &p,
        &[
            pay(0, "ok", "a"),
            pay(1, "error", "b"),
            pay(2, "ok", "c"),
            pay(3, "error", "d"),
            other_route,
        ],
    );
    assert_eq!(
        traces(&batch),
        pairs(&[
            ("by-bad", "b"),
            ("by-bad", "d"),
            ("by-good", "b"),
            ("by-good", "d")
        ])
    );
    let e = batch
        .exemplars()
        .iter()
        .find(|e| e.trace_id.as_deref() == Some("b"))
        .unwrap();
    assert_eq!(e.span_id.as_deref(), Some("s1"));
    assert_eq!(e.timestamp_ms, NOW_MS - 60_000 + 1);
    assert_eq!(e.name, "POST /pay");
    assert_eq!(e.duration_ms, Some(20.0));
    assert_eq!(e.value, None);
    assert!(e.status_error);
    assert_eq!(e.sample_rate, 1.0);
    assert_eq!(
        e.attributes,
        pairs(&[("region", "eu"), ("http.route", "/pay")])
    );
}

#[test]
fn threshold_slis_keep_values_on_the_wrong_side_of_their_objective() {
    use slo::Op::*;
    let p = Pipeline::compile(&[
        latency("upper", Field::DurationMs, Some((Lte, 300.0))),
        latency("strict-upper", Field::DurationMs, Some((Lt, 300.0))),
        latency(
            "lower",
            Field::Attribute("rps".to_owned()),
            Some((Gte, 100.0)),
        ),
        latency(
            "strict-lower",
            Field::Attribute("rps".to_owned()),
            Some((Gt, 100.0)),
        ),
        latency("none", Field::DurationMs, None),
    ])
    .unwrap();
    let batch = ingest(
        &p,
        &[
            search(0, 100.0, 200.0),
            search(1, 300.0, 100.0),
            search(2, 301.0, 99.5),
        ],
    );
    assert_eq!(
        traces(&batch),
        pairs(&[
            ("lower", "t2"),
            ("strict-lower", "t1"),
            ("strict-lower", "t2"),
            ("strict-upper", "t1"),
            ("strict-upper", "t2"),
            ("upper", "t2"),
        ])
    );
    let values = |sli: &str| -> Vec<f64> {
        let mut v: Vec<f64> = batch
            .exemplars()
            .iter()
            .filter(|e| &*e.sli == sli)
            .filter_map(|e| e.value)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    assert_eq!(values("upper"), [301.0]);
    assert_eq!(values("strict-lower"), [99.5, 100.0]);
}

#[test]
fn a_non_finite_threshold_is_a_plan_error() {
    let errors = Pipeline::compile(&[latency(
        "latency",
        Field::DurationMs,
        Some((slo::Op::Lte, f64::NAN)),
    )])
    .unwrap_err();
    assert_eq!(
        errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        [r#"sli "latency": exemplar threshold is NaN; expected a finite number"#]
    );
}

#[test]
fn a_failure_storm_keeps_a_sample_of_the_whole_batch_per_sli() {
    let p = Pipeline::compile(&[
        ratio("storm", Some(r#"status == "ok""#), None),
        latency("calm", Field::DurationMs, Some((slo::Op::Lte, 300.0))),
    ])
    .unwrap();
    let mut lines: Vec<String> = (0..1000)
        .map(|i| pay(i, "error", &format!("p{i}")))
        .collect();
    lines.push(search(5000, 400.0, 1.0));
    let mut batch = ingest(&p, &lines);
    let storm: Vec<&Exemplar> = batch
        .exemplars()
        .iter()
        .filter(|e| &*e.sli == "storm")
        .collect();
    assert_eq!(storm.len(), EXEMPLARS_PER_BATCH);
    let distinct: HashSet<&str> = storm.iter().filter_map(|e| e.trace_id.as_deref()).collect();
    assert_eq!(distinct.len(), EXEMPLARS_PER_BATCH);
    // Sampled across the batch, not just its first failures.
    let first: HashSet<String> = (0..EXEMPLARS_PER_BATCH).map(|i| format!("p{i}")).collect();
    assert!(distinct.iter().any(|t| !first.contains(*t)), "{distinct:?}");
    assert_eq!(
        batch
            .exemplars()
            .iter()
            .filter(|e| &*e.sli == "calm")
            .count(),
        1
    );

    let taken = batch.take_exemplars();
    assert_eq!(taken.len(), EXEMPLARS_PER_BATCH + 1);
    assert!(batch.exemplars().is_empty());
    assert!(!batch.is_empty(), "the deltas stay");
    batch.clear();
    assert!(batch.exemplars().is_empty());
}

#[test]
fn a_replaced_exemplar_keeps_nothing_of_the_one_it_overwrote() {
    let p = Pipeline::compile(&[ratio("pay", Some(r#"status == "ok""#), None)]).unwrap();
    let old = |i: i64| {
        format!(
            r#"{{"timestamp":{},"name":"old","status":"error","attributes":{{"http.route":"/pay","region":"eu","feature.a":"on","trace_id":"old{i}","span_id":"s{i}"}}}}"#,
            NOW_MS - 60_000 + i
        )
    };
    let new = |i: i64| {
        format!(
            r#"{{"timestamp":{},"status":"error","attributes":{{"http.route":"/pay"}}}}"#,
            NOW_MS - 60_000 + i
        )
    };
    let lines: Vec<String> = (0..1000)
        .map(|i| if i < 8 { old(i) } else { new(i) })
        .collect();
    let batch = ingest(&p, &lines);
    let replaced: Vec<&Exemplar> = batch
        .exemplars()
        .iter()
        .filter(|e| e.timestamp_ms >= NOW_MS - 60_000 + 8)
        .collect();
    assert!(!replaced.is_empty());
    for e in replaced {
        assert_eq!(
            (e.trace_id.as_deref(), e.span_id.as_deref(), e.name.as_str()),
            (None, None, "")
        );
        assert_eq!(e.attributes, pairs(&[("http.route", "/pay")]));
    }
}

#[test]
fn clear_restarts_the_per_sli_cap() {
    let p = Pipeline::compile(&[ratio("pay", Some(r#"status == "ok""#), None)]).unwrap();
    let body: Vec<String> = (0..20).map(|i| pay(i, "error", "x")).collect();
    let body = body.join("\n");
    let limits =
        Limits::with_oldest_allowed(jiff::Timestamp::from_millisecond(NOW_MS - 3_600_000).unwrap());
    let now = jiff::Timestamp::from_millisecond(NOW_MS).unwrap();
    let mut batch = Batch::new();
    for _ in 0..3 {
        batch.clear();
        p.ingest_ndjson(body.as_bytes(), &limits, now, &mut batch);
        assert_eq!(batch.exemplars().len(), EXEMPLARS_PER_BATCH);
    }
}

#[test]
fn kept_attributes_are_the_ones_that_matter_and_bounded() {
    let long = "é".repeat(300); // 600 bytes, two per character
    let mut attrs = vec![
        ("host.name".to_owned(), "web-01".to_owned()),
        ("feature.early".to_owned(), "on".to_owned()),
        ("customer.tier".to_owned(), "pro".to_owned()),
        ("http.route".to_owned(), "/pay".to_owned()),
        ("region".to_owned(), "first".to_owned()),
        ("region".to_owned(), "eu".to_owned()),
        ("service.name".to_owned(), long.clone()),
        (format!("feature.{}", "k".repeat(300)), "on".to_owned()),
        ("trace_id".to_owned(), "t".repeat(400)),
    ];
    for i in 0..20 {
        attrs.push((format!("feature_flag.f{i:02}"), "on".to_owned()));
    }
    let attributes: Vec<String> = attrs
        .iter()
        .map(|(k, v)| format!(r#""{k}":"{v}""#))
        .collect();
    let line = format!(
        r#"{{"timestamp":{NOW_MS},"status":"error","attributes":{{{}}}}}"#,
        attributes.join(",")
    );
    let p = Pipeline::compile(&[ratio("pay", Some(r#"status == "ok""#), None)]).unwrap();
    let batch = ingest(&p, &[line]);
    let [e] = batch.exemplars() else {
        panic!("{:?}", batch.exemplars());
    };
    assert_eq!(e.attributes.len(), MAX_EXEMPLAR_ATTRIBUTES);
    let keys: Vec<&str> = e.attributes.iter().map(|(k, _)| k.as_str()).collect();
    let mut expected = vec![
        "region",
        "http.route",
        "service.name",
        "customer.tier",
        "feature.early",
    ];
    let flags: Vec<String> = (0..11).map(|i| format!("feature_flag.f{i:02}")).collect();
    expected.extend(flags.iter().map(String::as_str));
    assert_eq!(keys, expected);
    assert_eq!(e.attributes[0].1, "eu", "the last duplicate wins");
    assert_eq!(e.attributes[2].1, "é".repeat(128), "cut at a char boundary");
    assert_eq!(
        e.trace_id.as_deref().map(str::len),
        Some(MAX_EXEMPLAR_TEXT_BYTES)
    );
    assert_eq!(e.span_id, None);
}

#[test]
fn events_fed_one_by_one_keep_exemplars_too() {
    let p = Pipeline::compile(&[ratio("pay", Some(r#"status == "ok""#), None)]).unwrap();
    let mut batch = Batch::new();
    let attributes = [
        ("http.route", "/pay"),
        ("trace_id", "abc"),
        ("span_id", "def"),
    ];
    for status_error in [false, true] {
        let ev = crate::Event {
            timestamp_ms: NOW_MS,
            name: "pay",
            duration_ms: Some(5.0),
            status_error,
            sample_rate: 4.0,
            attributes: &attributes,
        };
        p.ingest_event(&ev, &mut batch);
    }
    let [e] = batch.exemplars() else {
        panic!("{:?}", batch.exemplars());
    };
    assert_eq!(
        (e.trace_id.as_deref(), e.span_id.as_deref(), e.sample_rate),
        (Some("abc"), Some("def"), 4.0)
    );
}

#[test]
fn every_bad_event_of_a_batch_is_equally_likely_to_be_kept() {
    // 4000 batches of 40 candidates: each position is kept in K/40 of
    // them, 800 times, in expectation. The generator is deterministic, so
    // this cannot flake; the bounds (about ±6 standard deviations) catch a
    // sampler biased towards the first or the last candidates.
    const BATCHES: usize = 4000;
    const N: usize = 40;
    let mut sample = ExemplarSample::default();
    sample.bind(1);
    let name: Arc<str> = Arc::from("s");
    let mut hits = [0u32; N];
    for _ in 0..BATCHES {
        sample.clear();
        for i in 0..N {
            if let Some(e) = sample.slot(0, &name) {
                e.timestamp_ms = i as i64;
            }
        }
        assert_eq!(sample.kept().len(), EXEMPLARS_PER_BATCH);
        for e in sample.kept() {
            hits[e.timestamp_ms as usize] += 1;
        }
    }
    let expected = (BATCHES * EXEMPLARS_PER_BATCH / N) as u32;
    for (i, h) in hits.iter().enumerate() {
        assert!(
            h.abs_diff(expected) < 140,
            "position {i} kept {h} times, expected about {expected}: {hits:?}"
        );
    }
}

proptest! {
    /// Whatever the mix, an SLI keeps min(bad events, K) distinct exemplars,
    /// each one of its bad events.
    #[test]
    fn the_sample_is_a_bounded_subset_of_the_bad_events(
        statuses in proptest::collection::vec(any::<bool>(), 0..200)
    ) {
        let p = Pipeline::compile(&[ratio("pay", Some(r#"status == "ok""#), None)]).unwrap();
        let lines: Vec<String> = statuses
            .iter()
            .enumerate()
            .map(|(i, bad)| pay(i as i64, if *bad { "error" } else { "ok" }, &format!("t{i}")))
            .collect();
        let batch = ingest(&p, &lines);
        let bad: HashSet<String> = statuses
            .iter()
            .enumerate()
            .filter(|(_, b)| **b)
            .map(|(i, _)| format!("t{i}"))
            .collect();
        let kept: HashSet<String> = batch
            .exemplars()
            .iter()
            .filter_map(|e| e.trace_id.clone())
            .collect();
        prop_assert_eq!(batch.exemplars().len(), bad.len().min(EXEMPLARS_PER_BATCH));
        prop_assert_eq!(kept.len(), batch.exemplars().len());
        prop_assert!(kept.is_subset(&bad));
    }
}
