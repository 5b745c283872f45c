//! The metrics decoder on hand-built protobuf and on JSON: series names and
//! labels, temporality, histogram buckets, exponential buckets cut at `le`
//! bounds, rejections and framing errors.

use super::*;

/// A tiny protobuf writer for the requests these tests send.
fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
fn tag(out: &mut Vec<u8>, field: u64, wire: u64) {
    varint(out, (field << 3) | wire);
}
fn msg(field: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    tag(&mut out, field, 2);
    varint(&mut out, payload.len() as u64);
    out.extend_from_slice(payload);
    out
}
fn fixed(field: u64, v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    tag(&mut out, field, 1);
    out.extend_from_slice(&v.to_le_bytes());
    out
}
fn uint(field: u64, v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    tag(&mut out, field, 0);
    varint(&mut out, v);
    out
}
fn kv(key: &str, value: &str) -> Vec<u8> {
    [msg(1, key.as_bytes()), msg(2, &msg(1, value.as_bytes()))].concat()
}
fn packed_fixed(field: u64, values: &[u64]) -> Vec<u8> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    msg(field, &bytes)
}
fn packed_varint(field: u64, values: &[u64]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for v in values {
        varint(&mut bytes, *v);
    }
    msg(field, &bytes)
}

const T: u64 = 1_700_000_000_000_000_000;
const START: u64 = 1_699_999_000_000_000_000;
const T_MS: i64 = 1_700_000_000_000;
const START_MS: i64 = 1_699_999_000_000;

/// A request with one resource (service shop in namespace eu, instance i1)
/// and the given metrics.
fn request(metrics: &[Vec<u8>]) -> Vec<u8> {
    let resource = [
        msg(1, &kv("service.name", "shop")),
        msg(1, &kv("service.namespace", "eu")),
        msg(1, &kv("service.instance.id", "i1")),
        msg(1, &kv("host.name", "h")),
    ]
    .concat();
    let scope: Vec<u8> = [msg(1, &msg(1, b"lib"))]
        .into_iter()
        .chain(metrics.iter().map(|m| msg(2, m)))
        .collect::<Vec<_>>()
        .concat();
    msg(1, &[msg(1, &resource), msg(2, &scope)].concat())
}

fn metric(name: &str, unit: &str, data_field: u64, data: &[u8]) -> Vec<u8> {
    [
        msg(1, name.as_bytes()),
        msg(3, unit.as_bytes()),
        msg(data_field, data),
    ]
    .concat()
}

fn number_point(attrs: &[(&str, &str)], value: u64, as_int: bool) -> Vec<u8> {
    let mut p: Vec<u8> = attrs
        .iter()
        .map(|(k, v)| msg(7, &kv(k, v)))
        .collect::<Vec<_>>()
        .concat();
    p.extend(fixed(2, START));
    p.extend(fixed(3, T));
    p.extend(if as_int {
        fixed(6, value)
    } else {
        fixed(4, (value as f64).to_bits())
    });
    p
}

fn sum(points: &[Vec<u8>], temporality: u64, monotonic: bool) -> Vec<u8> {
    let mut d: Vec<u8> = points
        .iter()
        .map(|p| msg(1, p))
        .collect::<Vec<_>>()
        .concat();
    d.extend(uint(2, temporality));
    d.extend(uint(3, u64::from(monotonic)));
    d
}

type Described = Vec<(Vec<(String, String)>, MetricPoint)>;

fn decode_with(
    body: &[u8],
    format: Format,
    bounds: &[LeBound],
) -> (MetricSummary, Described, MetricPoints) {
    let mut points = MetricPoints::new();
    let summary = MetricDecoder::new()
        .decode(body, format, bounds, &mut points)
        .unwrap();
    (summary, points.describe(), points)
}

fn decode(body: &[u8]) -> (MetricSummary, Described) {
    let (s, d, _) = decode_with(body, Format::Protobuf, &[]);
    (s, d)
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_cumulative_monotonic_sum_is_a_named_counter_with_its_start() {
    let body = request(&[metric(
        "shop.requests",
        "{request}",
        7,
        &sum(
            &[number_point(
                &[("http.route", "/pay"), ("code", "200")],
                42,
                true,
            )],
            2,
            true,
        ),
    )]);
    let (summary, series) = decode(&body);
    assert_eq!(
        summary,
        MetricSummary {
            data_points: 1,
            series: 1,
            rejected: 0,
            no_value: 0
        }
    );
    assert_eq!(
        series,
        vec![(
            labels(&[
                ("__name__", "shop_requests_total"),
                ("code", "200"),
                ("http_route", "/pay"),
                ("instance", "i1"),
                ("job", "eu/shop"),
            ]),
            MetricPoint {
                value: 42.0,
                ts_ms: T_MS,
                kind: PointKind::Cumulative { start_ms: START_MS }
            },
        )]
    );
}

#[test]
fn delta_sums_are_increases_and_gauges_are_samples() {
    let body = request(&[
        metric("a", "", 7, &sum(&[number_point(&[], 5, false)], 1, true)),
        metric("b", "1", 7, &sum(&[number_point(&[], 6, false)], 2, false)),
        metric("c", "1", 5, &msg(1, &number_point(&[], 7, true))),
    ]);
    let (_, series) = decode(&body);
    let got: Vec<(String, f64, PointKind)> = series
        .into_iter()
        .map(|(l, p)| (l[0].1.clone(), p.value, p.kind))
        .collect();
    assert_eq!(
        got,
        vec![
            ("a_total".to_owned(), 5.0, PointKind::Delta),
            ("b_ratio".to_owned(), 6.0, PointKind::Gauge),
            ("c_ratio".to_owned(), 7.0, PointKind::Gauge),
        ]
    );
}

fn histogram_point(counts: &[u64], bounds: &[f64], count: u64, sum: f64) -> Vec<u8> {
    [
        msg(9, &kv("http.route", "/pay")),
        fixed(2, START),
        fixed(3, T),
        fixed(4, count),
        fixed(5, sum.to_bits()),
        packed_fixed(6, counts),
        packed_fixed(7, &bounds.iter().map(|b| b.to_bits()).collect::<Vec<_>>()),
    ]
    .concat()
}

#[test]
fn explicit_histograms_give_cumulative_buckets_count_and_sum() {
    let p = histogram_point(&[3, 4, 2], &[0.1, 0.3], 9, 1.5);
    let body = request(&[metric(
        "rpc.duration",
        "s",
        9,
        &[msg(1, &p), uint(2, 1)].concat(),
    )]);
    let (summary, series) = decode(&body);
    assert_eq!(summary.series, 5);
    let got: Vec<(String, Option<String>, f64)> = series
        .iter()
        .map(|(l, p)| {
            let get = |n: &str| l.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            (get("__name__").unwrap(), get("le"), p.value)
        })
        .collect();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        got,
        vec![
            (s("rpc_duration_seconds_bucket"), Some(s("0.1")), 3.0),
            (s("rpc_duration_seconds_bucket"), Some(s("0.3")), 7.0),
            (s("rpc_duration_seconds_bucket"), Some(s("+Inf")), 9.0),
            (s("rpc_duration_seconds_count"), None, 9.0),
            (s("rpc_duration_seconds_sum"), None, 1.5),
        ]
    );
    assert!(series.iter().all(|(_, p)| p.kind == PointKind::Delta));
    assert!(
        series
            .iter()
            .all(|(l, _)| l.contains(&(s("http_route"), s("/pay"))))
    );
}

fn exp(scale: i32, zero: u64, pos: (i32, &[u64]), neg: (i32, &[u64])) -> ExpPoint<'static> {
    // Leaked: these tests want 'static slices.
    let pos_counts: &'static [u64] = Box::leak(pos.1.to_vec().into_boxed_slice());
    let neg_counts: &'static [u64] = Box::leak(neg.1.to_vec().into_boxed_slice());
    ExpPoint {
        start_ns: START,
        time_ns: T,
        count: zero + pos.1.iter().sum::<u64>() + neg.1.iter().sum::<u64>(),
        sum: None,
        scale,
        zero_count: zero,
        zero_threshold: 0.0,
        positive: (pos.0, pos_counts),
        negative: (neg.0, neg_counts),
        flags: 0,
    }
}

#[test]
fn exponential_buckets_count_up_to_a_bound_exactly_on_edges_and_conservatively_between() {
    // Scale 0: buckets (1,2], (2,4], (4,8].
    let p = exp(0, 1, (0, &[2, 3, 4]), (0, &[5]));
    assert_eq!(exponential_count_le(&p, 4.0), 5 + 1 + 2 + 3, "edge: exact");
    assert_eq!(
        exponential_count_le(&p, 3.0),
        5 + 1 + 2,
        "(2,4] straddles 3"
    );
    assert_eq!(exponential_count_le(&p, 0.5), 5 + 1);
    assert_eq!(exponential_count_le(&p, 8.0), 15);
    // Negative bucket 0 is [-2, -1): below -1.5? Not certainly.
    assert_eq!(exponential_count_le(&p, -1.5), 0);
    assert_eq!(exponential_count_le(&p, -1.0), 5);
    // Scale 2: base 2^(1/4); offset -4 starts at (2^-1, 2^-0.75]; 4 buckets reach 1.
    let p = exp(2, 0, (-4, &[1, 1, 1, 1, 10]), (0, &[]));
    assert_eq!(exponential_count_le(&p, 1.0), 4);
    assert_eq!(exponential_count_le(&p, 0.5), 0);
    // Scale -1: base 4; bucket 0 is (1,4].
    let p = exp(-1, 0, (0, &[7, 1]), (0, &[]));
    assert_eq!(exponential_count_le(&p, 4.0), 7);
    assert_eq!(exponential_count_le(&p, 2.0), 0);
}

#[test]
fn exponential_histograms_are_cut_at_the_bounds_slis_ask_for() {
    let buckets = [uint(1, 0), packed_varint(2, &[2, 3, 4])].concat();
    let p = [
        msg(1, &kv("http.route", "/pay")),
        fixed(2, START),
        fixed(3, T),
        fixed(4, 10),
        fixed(5, 20.0f64.to_bits()),
        uint(6, 0),
        fixed(7, 1),
        msg(8, &buckets),
    ]
    .concat();
    let body = request(&[metric("lat", "ms", 10, &[msg(1, &p), uint(2, 2)].concat())]);
    let bounds = [
        LeBound {
            value: 2.0,
            text: "2".into(),
        },
        LeBound {
            value: 4.0,
            text: "4.0".into(),
        },
    ];
    let (_, series, _) = decode_with(&body, Format::Protobuf, &bounds);
    let got: Vec<(String, String, f64)> = series
        .iter()
        .map(|(l, p)| {
            let get = |n: &str| {
                l.iter()
                    .find(|(k, _)| k == n)
                    .map_or(String::new(), |(_, v)| v.clone())
            };
            (get("__name__"), get("le"), p.value)
        })
        .collect();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        got,
        vec![
            (s("lat_milliseconds_bucket"), s("2"), 3.0),
            (s("lat_milliseconds_bucket"), s("4.0"), 6.0),
            (s("lat_milliseconds_bucket"), s("+Inf"), 10.0),
            (s("lat_milliseconds_count"), s(""), 10.0),
            (s("lat_milliseconds_sum"), s(""), 20.0),
        ]
    );
    assert!(
        series
            .iter()
            .all(|(_, p)| p.kind == PointKind::Cumulative { start_ms: START_MS })
    );
}

#[test]
fn json_bodies_map_like_protobuf() {
    let proto = request(&[
        metric(
            "shop.requests",
            "",
            7,
            &sum(&[number_point(&[("code", "200")], 42, true)], 2, true),
        ),
        metric(
            "rpc.duration",
            "s",
            9,
            &[
                msg(1, &histogram_point(&[3, 4, 2], &[0.1, 0.3], 9, 1.5)),
                uint(2, 1),
            ]
            .concat(),
        ),
    ]);
    let json = format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[
            {{"key":"service.name","value":{{"stringValue":"shop"}}}},
            {{"key":"service.namespace","value":{{"stringValue":"eu"}}}},
            {{"key":"service.instance.id","value":{{"stringValue":"i1"}}}}]}},
          "scopeMetrics":[{{"scope":{{"name":"lib"}},"metrics":[
            {{"name":"shop.requests","sum":{{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[
               {{"attributes":[{{"key":"code","value":{{"stringValue":"200"}}}}],
                 "startTimeUnixNano":"{START}","timeUnixNano":"{T}","asInt":"42"}}]}}}},
            {{"name":"rpc.duration","unit":"s","histogram":{{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA","dataPoints":[
               {{"attributes":[{{"key":"http.route","value":{{"stringValue":"/pay"}}}}],
                 "startTimeUnixNano":"{START}","timeUnixNano":"{T}","count":"9","sum":1.5,
                 "bucketCounts":["3","4","2"],"explicitBounds":[0.1,0.3]}}]}}}}
          ]}}]}}]}}"#
    );
    let (ps, pd, _) = decode_with(&proto, Format::Protobuf, &[]);
    let (js, jd, _) = decode_with(json.as_bytes(), Format::Json, &[]);
    assert_eq!(pd, jd);
    assert_eq!(ps, js);
    assert_eq!(pd.len(), 6);
}

#[test]
fn bad_points_are_rejected_with_reasons_and_the_rest_kept() {
    let mut no_time = number_point(&[], 1, true);
    no_time.splice(9..18, fixed(3, 0));
    let no_value = [fixed(3, T), uint(8, 1)].concat();
    let body = request(&[
        metric("a", "", 7, &sum(&[no_time], 2, true)),
        metric("b", "", 7, &sum(&[number_point(&[], 1, true)], 0, true)),
        metric(
            "c",
            "",
            9,
            &[
                msg(1, &histogram_point(&[1, 2], &[0.1, 0.2], 3, 0.0)),
                uint(2, 2),
            ]
            .concat(),
        ),
        metric("d", "", 11, &msg(1, &fixed(3, T))),
        metric("e", "", 7, &sum(&[no_value], 2, true)),
        metric("f", "", 7, &sum(&[number_point(&[], 1, true)], 2, true)),
    ]);
    let (summary, series, points) = decode_with(&body, Format::Protobuf, &[]);
    assert_eq!(
        summary,
        MetricSummary {
            data_points: 6,
            series: 1,
            rejected: 4,
            no_value: 1
        }
    );
    assert_eq!(series.len(), 1);
    assert_eq!(points.rejected(), 4);
    let report = format!("{points:?}");
    for reason in [
        r#"metric \"a\": data point has no time_unix_nano"#,
        r#"metric \"b\": data point has aggregation_temporality 0"#,
        r#"metric \"c\": data point has 2 bucket_counts for 2 explicit_bounds"#,
        r#"metric \"d\": data point is a summary"#,
    ] {
        assert!(report.contains(reason), "{reason} in {report}");
    }
}

#[test]
fn malformed_bodies_name_the_field_path() {
    let mut body = request(&[metric(
        "a",
        "",
        7,
        &sum(&[number_point(&[], 1, true)], 2, true),
    )]);
    body.truncate(body.len() - 3);
    let err = MetricDecoder::new()
        .decode(&body, Format::Protobuf, &[], &mut MetricPoints::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("otlp metrics protobuf body: resource_metrics[0]"),
        "{err}"
    );
    let err = MetricDecoder::new()
        .decode(br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"dataPoints":[{"asInt":"x"}]}}]}]}]}"#, Format::Json, &[], &mut MetricPoints::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt"),
        "{err}"
    );
}
