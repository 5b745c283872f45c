//! Pipeline behaviour end to end on NDJSON bodies: line accounting,
//! weighting, segments and their cap, seeding, and plan errors.

use std::collections::BTreeMap;

use proptest::prelude::*;
use slo::Bucket;

use super::*;
use crate::batch::SeriesKey;

const NOW_MS: i64 = 1_738_324_800_000; // 2025-01-31T12:00:00Z
const MINUTE: i64 = NOW_MS / 60_000;

fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(NOW_MS).unwrap()
}

fn limits() -> Limits {
    Limits::with_oldest_allowed(jiff::Timestamp::from_millisecond(NOW_MS - 86_400_000).unwrap())
}

fn ratio(name: &str, total: &str, good: &str, segments: &[&str], cap: usize) -> SliPlan {
    SliPlan {
        name: name.to_owned(),
        kind: PlanKind::Ratio {
            total: total.to_owned(),
            good: Some(good.to_owned()),
            bad: None,
        },
        segments: segments.iter().map(|s| s.to_string()).collect(),
        max_segment_values: cap,
        exemplar_threshold: None,
    }
}

fn key(sli: &str, dimension: &str, value: &str) -> SeriesKey {
    SeriesKey {
        sli: sli.to_owned(),
        dimension: dimension.to_owned(),
        value: value.to_owned(),
    }
}

/// One event line at `NOW - offset_ms`.
fn line(offset_ms: i64, rest: &str) -> String {
    let sep = if rest.is_empty() { "" } else { "," };
    format!(r#"{{"timestamp":{}{sep}{rest}}}"#, NOW_MS - offset_ms)
}

fn ingest(p: &Pipeline, body: &str) -> (IngestReport, Vec<(SeriesKey, i64, Bucket)>) {
    let mut batch = Batch::new();
    let report = p.ingest_ndjson(body.as_bytes(), &limits(), now(), &mut batch);
    (report, batch.deltas())
}

fn find<'d>(deltas: &'d [(SeriesKey, i64, Bucket)], k: &SeriesKey, minute: i64) -> &'d Bucket {
    deltas
        .iter()
        .find(|(key, m, _)| key == k && *m == minute)
        .map(|(_, _, b)| b)
        .unwrap_or_else(|| panic!("no bucket for {k:?} at {minute}: {deltas:#?}"))
}

#[test]
fn every_rejection_is_reported_with_its_line_number() {
    let p = Pipeline::compile(&[ratio("all", "true", "status == 'ok'", &[], 10)]).unwrap();
    let long = line(0, &format!(r#""name":"{}""#, "x".repeat(2000)));
    let too_long = format!(
        "line is {} bytes long; expected at most 1000 bytes",
        long.len()
    );
    let body = [
        line(0, ""),                           // 1 ok
        String::new(),                         // 2 blank, skipped
        r#"{"timestamp": 1"#.to_owned(),       // 3 malformed
        r#"{"name":"x"}"#.to_owned(),          // 4 missing timestamp
        r#"{"timestamp":"later"}"#.to_owned(), // 5 unparseable
        line(86_400_001, ""),                  // 6 too old
        line(-300_001, ""),                    // 7 too far ahead
        line(0, r#""sample_rate":0"#),         // 8 sample rate
        line(0, r#""status":5"#),              // 9 wrong status type
        line(0, r#""duration_ms":"fast""#),    // 10 wrong duration type
        long,                                  // 11 too long
        line(0, r#""status":"error""#),        // 12 ok
        "   ".to_owned(),                      // 13 blank
    ]
    .join("\n");
    let mut l = limits();
    l.max_line_bytes = 1000;
    let mut batch = Batch::new();
    let report = p.ingest_ndjson(body.as_bytes(), &l, now(), &mut batch);
    let got: Vec<(u64, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.message.as_str()))
        .collect();
    let expected_prefixes = [
        (
            3,
            "malformed json at column 15: EOF while parsing an object",
        ),
        (4, "missing \"timestamp\""),
        (5, "unparseable timestamp \"later\""),
        (
            6,
            "timestamp 2025-01-30T11:59:59.999Z is older than the retention limit",
        ),
        (
            7,
            "timestamp 2025-01-31T12:05:00.001Z is more than 300 s after the server time",
        ),
        (8, "\"sample_rate\" is 0; expected a number greater than 0"),
        (9, "\"status\" is 5; expected \"ok\" or \"error\""),
        (10, "\"duration_ms\" is the string \"fast\""),
        (11, too_long.as_str()),
    ];
    assert_eq!(got.len(), expected_prefixes.len(), "{got:#?}");
    for ((line, message), (want_line, want)) in got.iter().zip(expected_prefixes) {
        assert_eq!(*line, want_line, "{message}");
        assert!(
            message.starts_with(want),
            "line {line}: {message}\n  expected: {want}"
        );
    }
    assert_eq!(
        (report.accepted, report.rejected, report.raw_events),
        (2, 9, 2)
    );
    // The good lines around the bad ones all count.
    let deltas = batch.deltas();
    let b = find(&deltas, &key("all", "", ""), MINUTE);
    assert_eq!((b.raw_total, b.raw_good), (2, 1));
}

#[test]
fn listed_errors_are_capped_but_all_counted() {
    let p = Pipeline::compile(&[]).unwrap();
    let body = "x\n".repeat(150);
    let (report, _) = ingest(&p, &body);
    assert_eq!((report.rejected, report.errors.len()), (150, 100));
    assert_eq!(report.errors[99].line, 100);
}

#[test]
fn sample_rate_weights_and_raw_counts() {
    let p = Pipeline::compile(&[ratio(
        "pay",
        r#"attributes["http.route"] == "/pay""#,
        "status == 'ok'",
        &[],
        10,
    )])
    .unwrap();
    let body = [
        line(0, r#""sample_rate":10,"attributes":{"http.route":"/pay"}"#),
        line(
            0,
            r#""sample_rate":2.5,"status":"error","attributes":{"http.route":"/pay"}"#,
        ),
        line(0, r#""attributes":{"http.route":"/pay"}"#),
        line(
            0,
            r#""sample_rate":100,"attributes":{"http.route":"/search"}"#,
        ),
    ]
    .join("\n");
    let (report, deltas) = ingest(&p, &body);
    assert_eq!(report.raw_events, 4);
    assert_eq!(report.weighted_events, 113.5);
    let b = find(&deltas, &key("pay", "", ""), MINUTE);
    assert_eq!(
        (b.total, b.good, b.raw_total, b.raw_good),
        (13.5, 11.0, 3, 2)
    );
    assert_eq!(deltas.len(), 1, "the /search event matches no SLI");
}

#[test]
fn escaped_attributes_are_unescaped_before_filtering() {
    let p = Pipeline::compile(&[ratio(
        "pay",
        r#"attributes["http.route"] == "/pay\"x""#,
        "true",
        &["région"],
        5,
    )])
    .unwrap();
    let body = [
        line(
            0,
            r#""attributes":{"http.route":"/pay\"x","r\u00e9gion":"\u00e9u"}"#,
        ),
        line(0, r#""attributes":{"http.route":"/pay\"x","région":"eu"}"#),
    ]
    .join("\n");
    let (report, deltas) = ingest(&p, &body);
    assert_eq!(report.accepted, 2);
    assert_eq!(find(&deltas, &key("pay", "", ""), MINUTE).raw_total, 2);
    assert_eq!(
        find(&deltas, &key("pay", "région", "éu"), MINUTE).raw_total,
        1
    );
    assert_eq!(
        find(&deltas, &key("pay", "région", "eu"), MINUTE).raw_total,
        1
    );
}

#[test]
fn bad_filters_count_good_as_total_minus_bad() {
    let p = Pipeline::compile(&[SliPlan {
        name: "errors".to_owned(),
        kind: PlanKind::Ratio {
            total: "true".to_owned(),
            good: None,
            bad: Some("status == 'error'".to_owned()),
        },
        segments: vec![],
        max_segment_values: 0,
        exemplar_threshold: None,
    }])
    .unwrap();
    let body = [line(0, r#""status":"error""#), line(0, ""), line(0, "")].join("\n");
    let (_, deltas) = ingest(&p, &body);
    let b = find(&deltas, &key("errors", "", ""), MINUTE);
    assert_eq!((b.raw_total, b.raw_good), (3, 2));
}

#[test]
fn threshold_slis_record_values_and_skip_events_without_the_field() {
    let p = Pipeline::compile(&[
        SliPlan {
            name: "latency".to_owned(),
            kind: PlanKind::Threshold {
                filter: "name == 'GET /search'".to_owned(),
                field: Field::DurationMs,
            },
            segments: vec![],
            max_segment_values: 0,
            exemplar_threshold: None,
        },
        SliPlan {
            name: "size".to_owned(),
            kind: PlanKind::Threshold {
                filter: "true".to_owned(),
                field: Field::Attribute("bytes".to_owned()),
            },
            segments: vec![],
            max_segment_values: 0,
            exemplar_threshold: None,
        },
    ])
    .unwrap();
    let body = [
        line(
            0,
            r#""name":"GET /search","duration_ms":100,"sample_rate":3"#,
        ),
        line(0, r#""name":"GET /search","duration_ms":300"#),
        line(0, r#""name":"GET /search""#),
        line(0, r#""name":"GET /other","duration_ms":5"#),
        line(0, r#""attributes":{"bytes":2048}"#),
        line(0, r#""attributes":{"bytes":"lots"}"#),
    ]
    .join("\n");
    let (_, deltas) = ingest(&p, &body);
    let b = find(&deltas, &key("latency", "", ""), MINUTE);
    assert_eq!((b.total, b.raw_total), (4.0, 2));
    let sketch = b.values.as_ref().unwrap();
    assert_eq!(
        (sketch.min(), sketch.max(), sketch.count()),
        (Some(100.0), Some(300.0), 4.0)
    );
    let s = find(&deltas, &key("size", "", ""), MINUTE);
    assert_eq!(s.raw_total, 1);
    assert_eq!(s.values.as_ref().unwrap().max(), Some(2048.0));
}

#[test]
fn buckets_are_per_minute_of_the_event() {
    let p = Pipeline::compile(&[ratio("all", "true", "true", &[], 0)]).unwrap();
    let at = |ms: i64| format!(r#"{{"timestamp":{ms}}}"#);
    let body = [
        at(MINUTE * 60_000),
        at(MINUTE * 60_000 + 59_999),
        at(MINUTE * 60_000 - 1),
        at(MINUTE * 60_000),
    ]
    .join("\n");
    let (_, deltas) = ingest(&p, &body);
    let minutes: Vec<(i64, u64)> = deltas.iter().map(|(_, m, b)| (*m, b.raw_total)).collect();
    assert_eq!(minutes, vec![(MINUTE - 1, 1), (MINUTE, 3)]);
}

#[test]
fn segments_missing_values_and_folding_into_other() {
    let p = Pipeline::compile(&[ratio(
        "pay",
        "true",
        "status == 'ok'",
        &["region", "version"],
        2,
    )])
    .unwrap();
    let body = [
        line(0, r#""attributes":{"region":"eu","version":"1"}"#),
        line(0, r#""attributes":{"region":"us","version":"1"}"#),
        line(
            0,
            r#""status":"error","attributes":{"region":"ap","version":"1"}"#,
        ),
        line(0, r#""attributes":{"region":"sa"}"#),
        line(0, r#""attributes":{"region":"eu","version":"2"}"#),
    ]
    .join("\n");
    let (report, deltas) = ingest(&p, &body);
    let folded = [("pay", "region"), ("pay", "version")].map(|(s, d)| (s.to_owned(), d.to_owned()));
    assert_eq!(report.folded_segments, folded);
    let count = |dim: &str, value: &str| find(&deltas, &key("pay", dim, value), MINUTE).raw_total;
    assert_eq!(
        (
            count("region", "eu"),
            count("region", "us"),
            count("region", "other")
        ),
        (2, 1, 2)
    );
    let other = find(&deltas, &key("pay", "region", "other"), MINUTE);
    assert_eq!(other.raw_good, 1);
    // A missing attribute is the value "none", which takes a slot like any.
    assert_eq!(
        (
            count("version", "1"),
            count("version", "none"),
            count("version", "other")
        ),
        (3, 1, 1)
    );
    assert_eq!(count("", ""), 5);
    assert_eq!(deltas.len(), 7);
}

#[test]
fn folding_is_reported_again_on_later_calls_through_a_reused_batch() {
    let p = Pipeline::compile(&[ratio("pay", "true", "true", &["region"], 1)]).unwrap();
    let mut batch = Batch::new();
    let body = [
        line(0, r#""attributes":{"region":"eu"}"#),
        line(0, r#""attributes":{"region":"us"}"#),
    ]
    .join("\n");
    let first = p.ingest_ndjson(body.as_bytes(), &limits(), now(), &mut batch);
    batch.clear();
    assert!(batch.is_empty());
    let second = p.ingest_ndjson(body.as_bytes(), &limits(), now(), &mut batch);
    let only_eu = p.ingest_ndjson(
        line(0, r#""attributes":{"region":"eu"}"#).as_bytes(),
        &limits(),
        now(),
        &mut batch,
    );
    assert_eq!(first.folded_segments.len(), 1);
    assert_eq!(second.folded_segments, first.folded_segments);
    assert!(only_eu.folded_segments.is_empty());
    let deltas = batch.deltas();
    assert_eq!(
        find(&deltas, &key("pay", "region", "eu"), MINUTE).raw_total,
        2
    );
    assert_eq!(
        find(&deltas, &key("pay", "region", "other"), MINUTE).raw_total,
        1
    );
}

#[test]
fn seeded_values_count_against_the_cap() {
    let p = Pipeline::compile(&[ratio("pay", "true", "true", &["region"], 2)]).unwrap();
    p.seed_segments([
        ("pay".to_owned(), "region".to_owned(), "eu".to_owned()),
        ("pay".to_owned(), "region".to_owned(), "other".to_owned()),
        ("pay".to_owned(), "zone".to_owned(), "z1".to_owned()),
        ("gone".to_owned(), "region".to_owned(), "us".to_owned()),
        ("pay".to_owned(), "region".to_owned(), "ap".to_owned()),
        (
            "pay".to_owned(),
            "region".to_owned(),
            "beyond-cap".to_owned(),
        ),
    ]);
    let body = [
        line(0, r#""attributes":{"region":"ap"}"#),
        line(0, r#""attributes":{"region":"us"}"#),
        line(0, r#""attributes":{"region":"beyond-cap"}"#),
    ]
    .join("\n");
    let (report, deltas) = ingest(&p, &body);
    assert_eq!(
        find(&deltas, &key("pay", "region", "ap"), MINUTE).raw_total,
        1
    );
    assert_eq!(
        find(&deltas, &key("pay", "region", "other"), MINUTE).raw_total,
        2
    );
    assert_eq!(report.folded_segments.len(), 1);
}

#[test]
fn identical_filters_are_compiled_once() {
    let route = r#"attributes["http.route"] == "/pay""#;
    let p = Pipeline::compile(&[
        ratio("a", route, "status == 'ok'", &[], 0),
        ratio("b", route, "duration_ms < 300", &[], 0),
        ratio("c", "true", route, &[], 0),
    ])
    .unwrap();
    assert_eq!(p.filters.len(), 4);
    // Only one filter compares http.route: no group to share.
    assert!(p.groups.is_empty());
    assert_eq!(p.sli_names().collect::<Vec<_>>(), ["a", "b", "c"]);
}

#[test]
fn equality_groups_decide_every_member_with_one_lookup() {
    let route = |r: &str| format!(r#"attributes["http.route"] == "{r}""#);
    let p = Pipeline::compile(&[
        ratio("pay", &route("/pay"), "true", &[], 0),
        ratio("search", &route("/search"), "true", &[], 0),
        ratio("not pay", &format!("!({})", route("/pay")), "true", &[], 0),
        ratio("cart", &route("/cart"), &route("/cart"), &[], 0),
    ])
    .unwrap();
    assert_eq!(p.groups.len(), 1);
    assert_eq!(
        p.groups[0].members.len(),
        3,
        "the negated filter is not a member"
    );
    let body = [
        line(0, r#""attributes":{"http.route":"/pay"}"#),
        line(0, r#""attributes":{"http.route":"/cart"}"#),
        line(0, r#""attributes":{"http.route":"/other"}"#),
        line(0, ""),
    ]
    .join("\n");
    let (_, deltas) = ingest(&p, &body);
    let total = |sli: &str| {
        deltas
            .iter()
            .find(|(k, _, _)| k.sli == sli)
            .map_or(0, |(_, _, b)| b.raw_total)
    };
    assert_eq!(
        (
            total("pay"),
            total("search"),
            total("not pay"),
            total("cart")
        ),
        (1, 0, 2, 1)
    );
    assert_eq!(find(&deltas, &key("cart", "", ""), MINUTE).raw_good, 1);
}

#[test]
fn plan_errors_name_the_sli_and_the_filter() {
    let errors = Pipeline::compile(&[
        ratio("a", "name ==", "true", &[], 0),
        SliPlan {
            name: "b".to_owned(),
            kind: PlanKind::Ratio {
                total: "true".to_owned(),
                good: Some("true".to_owned()),
                bad: Some("false".to_owned()),
            },
            segments: vec!["region".to_owned(), "region".to_owned(), String::new()],
            max_segment_values: 3,
            exemplar_threshold: None,
        },
        ratio("c", "true", "foo()", &[], 0),
        ratio("c", "true", "true", &[], 0),
        SliPlan {
            name: "d".to_owned(),
            kind: PlanKind::Threshold {
                filter: "name".to_owned(),
                field: Field::Attribute(String::new()),
            },
            segments: vec![],
            max_segment_values: 0,
            exemplar_threshold: None,
        },
    ])
    .unwrap_err();
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "sli \"a\": total filter: column 8: syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}",
            "sli \"b\": a ratio needs exactly one of a good or a bad filter, found both",
            "sli \"b\": segment dimension \"region\" is listed more than once",
            "sli \"b\": segment dimension is empty; expected an attribute key",
            "sli \"c\": good filter: column 1: function \"foo\" is not supported; expected one of has, size, int, double, string, startsWith, endsWith, contains, matches",
            "sli \"c\" is planned more than once; expected unique sli names",
            "sli \"d\": threshold filter: column 1: the filter is a string; expected a boolean expression",
            "sli \"d\": threshold field attribute key is empty; expected an attribute key",
        ]
    );
    assert_eq!(errors[0].sli(), "a");
}

#[test]
fn ingest_event_feeds_the_same_aggregation() {
    let p = Pipeline::compile(&[ratio(
        "pay",
        "name == 'GET /pay'",
        "status == 'ok'",
        &["region"],
        5,
    )])
    .unwrap();
    let attrs = [("region", "eu")];
    let ev = Event {
        timestamp_ms: NOW_MS,
        name: "GET /pay",
        duration_ms: Some(3.0),
        status_error: true,
        sample_rate: 4.0,
        attributes: &attrs,
    };
    let mut batch = Batch::new();
    p.ingest_event(&ev, &mut batch);
    p.ingest_event(
        &Event {
            status_error: false,
            ..ev
        },
        &mut batch,
    );
    p.ingest_event(
        &Event {
            sample_rate: f64::NAN,
            ..ev
        },
        &mut batch,
    );
    p.ingest_event(
        &Event {
            sample_rate: 0.0,
            ..ev
        },
        &mut batch,
    );
    let deltas = batch.deltas();
    let b = find(&deltas, &key("pay", "region", "eu"), MINUTE);
    assert_eq!((b.total, b.good, b.raw_total), (8.0, 4.0, 2));
    assert_eq!(batch.len(), 2);
}

#[test]
fn a_batch_moved_between_pipelines_merges_equal_series() {
    let plans = [ratio("pay", "true", "true", &[], 0)];
    let (p1, p2) = (
        Pipeline::compile(&plans).unwrap(),
        Pipeline::compile(&plans).unwrap(),
    );
    let mut batch = Batch::new();
    p1.ingest_ndjson(line(0, "").as_bytes(), &limits(), now(), &mut batch);
    p2.ingest_ndjson(line(0, "").as_bytes(), &limits(), now(), &mut batch);
    let deltas = batch.deltas();
    assert_eq!(deltas.len(), 1);
    assert_eq!(deltas[0].2.raw_total, 2);
}

#[test]
fn pipeline_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync::<Pipeline>();
    assert_send::<Batch>();
}

/// (dimension, value, minute) of the model's sums.
type SeriesMinute = (String, String, i64);
/// (total, good, raw total, raw good).
type Sums = (f64, f64, u64, u64);

proptest! {
    /// Any bytes: no panic, and every non-blank line is accounted for once.
    #[test]
    fn arbitrary_bodies_are_fully_accounted(body in prop::collection::vec(
        prop::sample::select(vec![
            &b"{"[..], b"}", b"\n", b"\"timestamp\":", b"1738324800000", b",", b"\"attributes\":{\"a\":\"b\"}",
            b"\"status\":\"ok\"", b"\"x\"", b"\\", b"\xff", b" ", b"[", b"]", b"null", b"1e999", b"\"2025-01-31T12:00:00Z\"",
        ]),
        0..60,
    )) {
        let body: Vec<u8> = body.concat();
        let p = Pipeline::compile(&[ratio("a", "true", "status == 'ok'", &["a"], 1)]).unwrap();
        let mut batch = Batch::new();
        let report = p.ingest_ndjson(&body, &limits(), now(), &mut batch);
        let lines = body.split(|b| *b == b'\n').filter(|l| !crate::ndjson::is_blank(l)).count() as u64;
        prop_assert_eq!(report.accepted + report.rejected, lines);
        let whole: u64 = batch.deltas().iter().filter(|(k, _, _)| k.dimension.is_empty()).map(|(_, _, b)| b.raw_total).sum();
        prop_assert_eq!(whole, report.accepted);
    }

    /// Aggregation against a naive model: per (series, minute) sums, with
    /// segment values admitted in first-seen order up to the cap.
    #[test]
    fn aggregation_matches_a_naive_model(events in prop::collection::vec((
        prop::sample::select(vec!["/a", "/b"]),
        prop::option::of(prop::sample::select(vec!["eu", "us", "ap", "sa"])),
        any::<bool>(),
        prop::sample::select(vec![1.0, 0.5, 10.0]),
        0i64..180_000,
    ), 0..40)) {
        let p = Pipeline::compile(&[ratio("a", r#"attributes.route == "/a""#, "status == 'ok'", &["region"], 2)]).unwrap();
        let body: Vec<String> = events.iter().map(|(route, region, ok, rate, offset)| {
            let region = region.map(|r| format!(r#","region":"{r}""#)).unwrap_or_default();
            let status = if *ok { "ok" } else { "error" };
            line(*offset, &format!(r#""status":"{status}","sample_rate":{rate},"attributes":{{"route":"{route}"{region}}}"#))
        }).collect();
        let (_, deltas) = ingest(&p, &body.join("\n"));

        let mut admitted: Vec<&str> = Vec::new();
        let mut model: BTreeMap<SeriesMinute, Sums> = BTreeMap::new();
        for (route, region, ok, rate, offset) in &events {
            if *route != "/a" {
                continue;
            }
            let value = region.unwrap_or("none");
            let value = if admitted.contains(&value) {
                value
            } else if admitted.len() < 2 {
                admitted.push(value);
                value
            } else {
                "other"
            };
            let minute = (NOW_MS - offset).div_euclid(60_000);
            for (dim, v) in [("", ""), ("region", value)] {
                let e = model.entry((dim.to_owned(), v.to_owned(), minute)).or_default();
                e.0 += rate;
                e.2 += 1;
                if *ok {
                    e.1 += rate;
                    e.3 += 1;
                }
            }
        }
        let got: BTreeMap<SeriesMinute, Sums> = deltas
            .into_iter()
            .map(|(k, m, b)| ((k.dimension, k.value, m), (b.total, b.good, b.raw_total, b.raw_good)))
            .collect();
        prop_assert_eq!(got, model);
    }
}
