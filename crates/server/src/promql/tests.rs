//! Unit tests of PromQL sources: query and configuration parsing, catalog
//! resolution, the client against a tiny local HTTP stub (answers, engine
//! errors, timeouts, unreachable engines), and `PromSource` checked against
//! the in-memory reference source with an exact stub engine. The real
//! engines are exercised by `crates/lodestar/tests/it/promql.rs`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use slo::{Bucket, BucketSource, Minute};

use super::*;
use crate::catalog::{Catalog, Source};

// ---------------------------------------------------------------- parsing

#[test]
fn queries_are_selectors_or_windowed_expressions() {
    let check = |text: &str, expect: Result<PromQuery, ()>| {
        assert_eq!(PromQuery::parse(text).map_err(|_| ()), expect, "{text}");
    };
    check(
        r#"http_requests_total{job="api",code!~"5.."}"#,
        Ok(PromQuery::Counter(
            r#"http_requests_total{job="api",code!~"5.."}"#.into(),
        )),
    );
    check("up", Ok(PromQuery::Counter("up".into())));
    check(
        r#"{__name__="x", a="b"}"#,
        Ok(PromQuery::Counter(r#"{__name__="x", a="b"}"#.into())),
    );
    check(
        "sum(rate(x_total[{{ .window }}])) * {{.window}}",
        Ok(PromQuery::Windowed(
            "sum(rate(x_total[{{.window}}])) * {{.window}}".into(),
        )),
    );
    check("rate(x_total[5m])", Err(()));
    check("x_total[5m]", Err(()));
    check("x_total offset 5m", Err(()));
    check("sum(x_total)", Err(()));
    check("9lives", Err(()));
    check("  ", Err(()));
    check("sum(x{a=\"{{.other}}\"})", Err(()));
}

#[test]
fn queries_count_over_the_asked_window() {
    let sel = PromQuery::parse(r#"x_total{a="b"}"#).unwrap();
    assert_eq!(sel.over(60), r#"sum(increase(x_total{a="b"}[60m]))"#);
    let win = PromQuery::parse("sum(increase(x[{{.window}}])) - sum(increase(y[{{ .window }}]))")
        .unwrap();
    assert_eq!(win.over(5), "sum(increase(x[5m])) - sum(increase(y[5m]))");
}

#[test]
fn timeouts_take_prometheus_durations() {
    let ok = |v: Value, d: Duration| assert_eq!(parse_timeout(&v), Ok(d), "{v}");
    ok(json!("10s"), Duration::from_secs(10));
    ok(json!("500ms"), Duration::from_millis(500));
    ok(json!("1m30s"), Duration::from_secs(90));
    ok(json!(2.5), Duration::from_millis(2500));
    for bad in [
        json!("10"),
        json!("0s"),
        json!("2h"),
        json!("ten seconds"),
        json!(""),
        json!(-1),
        json!(true),
    ] {
        let e = parse_timeout(&bad).unwrap_err();
        assert!(e.contains("expected a duration like 10s"), "{bad}: {e}");
    }
}

#[test]
fn urls_must_be_http_base_urls() {
    assert_eq!(
        base_url("http://127.0.0.1:9090/").unwrap(),
        "http://127.0.0.1:9090"
    );
    assert_eq!(
        base_url(" https://vmselect:8481/select/0/prometheus ").unwrap(),
        "https://vmselect:8481/select/0/prometheus"
    );
    for (bad, why) in [
        ("127.0.0.1:9090", "expected an http:// or https:// URL"),
        ("ftp://host/", "expected an http:// or https:// URL"),
        ("http://host:9090/?x=1", "query string"),
        ("http://user:secret@host:9090", "credentials"),
        ("", "expected an http:// or https:// URL"),
    ] {
        let e = base_url(bad).unwrap_err();
        assert!(e.contains(why), "{bad}: {e}");
    }
}

// ---------------------------------------------------------------- catalog

fn data_source(name: &str, details: &str) -> String {
    format!(
        "apiVersion: openslo/v1\nkind: DataSource\nmetadata:\n  name: {name}\nspec:\n  type: prometheus\n  connectionDetails:\n{details}\n---\n"
    )
}

fn ratio_slo(name: &str, counter: bool, good: &str, total: &str) -> String {
    format!(
        r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: {name}
  annotations:
    lodestar.dev/owner: team
spec:
  service: api
  indicator:
    metadata:
      name: {name}-sli
    spec:
      ratioMetric:
        counter: {counter}
        good:
          metricSource:
            {good}
        total:
          metricSource:
            {total}
  timeWindow:
    - duration: 1h
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
---
"#
    )
}

fn load(text: &str) -> Result<Catalog, Vec<String>> {
    Catalog::from_sources(&[("specs.yaml".into(), text.into())], false)
}

fn source_of<'c>(c: &'c Catalog, slo: &str) -> &'c Source {
    &c.slo(slo).unwrap().objectives[0].source
}

const PROM_GOOD: &str =
    r#"{metricSourceRef: prom, spec: {query: 'http_requests_total{code!~"5.."}'}}"#;
const PROM_TOTAL: &str = r#"{metricSourceRef: prom, spec: {query: 'http_requests_total'}}"#;

#[test]
fn a_prometheus_ratio_resolves_to_its_data_source() {
    let text = data_source(
        "prom",
        "    url: http://127.0.0.1:9090/\n    headers: {Authorization: Bearer xyz, X-Scope-OrgID: tenant-a}\n    timeout: 3s",
    ) + &ratio_slo("api", true, PROM_GOOD, PROM_TOTAL);
    let c = load(&text).unwrap();
    let Source::Prometheus(p) = source_of(&c, "api") else {
        panic!("{:?}", source_of(&c, "api"));
    };
    assert_eq!(p.client.url(), "http://127.0.0.1:9090");
    assert_eq!(p.client.data_source(), "prom");
    assert_eq!(p.client.timeout, Duration::from_secs(3));
    assert_eq!(p.total, PromQuery::Counter("http_requests_total".into()));
    assert_eq!(
        p.numerator,
        Numerator::Good(PromQuery::Counter(
            r#"http_requests_total{code!~"5.."}"#.into()
        ))
    );
    // The client's debug output (logged with the catalog) names headers, not credentials.
    let debug = format!("{:?}", source_of(&c, "api"));
    assert!(
        debug.contains("X-Scope-OrgID") && !debug.contains("xyz"),
        "{debug}"
    );
}

#[test]
fn type_names_compare_case_insensitively_and_inline_sources_use_the_only_data_source() {
    let text = "apiVersion: openslo/v1\nkind: DataSource\nmetadata:\n  name: prom\nspec:\n  type: Prometheus\n  connectionDetails:\n    url: http://127.0.0.1:9090\n---\n".to_string()
        + &ratio_slo(
            "api",
            true,
            "{type: Prometheus, spec: {query: good_total}}",
            "{type: Prometheus, spec: {query: all_total}}",
        );
    let c = load(&text).unwrap();
    assert!(matches!(source_of(&c, "api"), Source::Prometheus(_)));
}

#[test]
fn bad_connection_details_refuse_the_specs_with_their_location() {
    let text = data_source(
        "prom",
        "    url: localhost:9090\n    headers: {X-Retries: 3, \"bad header\": x}\n    timeout: forever",
    ) + &ratio_slo("api", true, PROM_GOOD, PROM_TOTAL);
    let errs = load(&text).unwrap_err();
    let all = errs.join("\n");
    for want in [
        "specs.yaml:1:1: spec.connectionDetails.url: expected an http:// or https:// URL",
        r#"specs.yaml:1:1: spec.connectionDetails.headers["X-Retries"]: expected a string header value, got 3"#,
        r#"spec.connectionDetails.headers["bad header"]: "bad header" is not an HTTP header name"#,
        "specs.yaml:1:1: spec.connectionDetails.timeout: expected a duration like 10s",
    ] {
        assert!(all.contains(want), "missing {want:?} in:\n{all}");
    }

    let missing = data_source("prom", "    endpoint: http://x")
        + &ratio_slo("api", true, PROM_GOOD, PROM_TOTAL);
    let all = load(&missing).unwrap_err().join("\n");
    assert!(
        all.contains("spec.connectionDetails: a DataSource of type prometheus needs url"),
        "{all}"
    );
    assert!(
        all.contains("spec.connectionDetails.endpoint: warning: unknown property ignored"),
        "{all}"
    );
}

#[test]
fn a_query_that_is_not_a_selector_refuses_the_specs_at_its_place() {
    let text = data_source("prom", "    url: http://127.0.0.1:9090")
        + &ratio_slo(
            "api",
            true,
            "{metricSourceRef: prom, spec: {query: 'rate(x[5m])'}}",
            PROM_TOTAL,
        );
    let all = load(&text).unwrap_err().join("\n");
    assert!(
        all.contains("ratioMetric.good.metricSource.spec.query: expected a counter selector"),
        "{all}"
    );
}

#[test]
fn what_cannot_be_evaluated_says_why_and_the_specs_still_load() {
    let check = |text: String, slo: &str, why: &str| {
        let c = load(&text).unwrap_or_else(|e| panic!("{}", e.join("\n")));
        match source_of(&c, slo) {
            Source::Unsupported(msg) => assert!(msg.contains(why), "{msg}"),
            other => panic!("{other:?}"),
        }
    };
    // No DataSource to ask.
    check(
        ratio_slo(
            "api",
            true,
            "{type: prometheus, spec: {query: a_total}}",
            "{type: prometheus, spec: {query: b_total}}",
        ),
        "api",
        "no DataSource of type prometheus gives the engine's URL",
    );
    // A bare selector declared not to be a counter.
    check(
        data_source("prom", "    url: http://127.0.0.1:9090")
            + &ratio_slo("api", false, PROM_GOOD, PROM_TOTAL),
        "api",
        "set counter: true",
    );
    // Two DataSources and an inline source.
    check(
        data_source("prom", "    url: http://127.0.0.1:9090")
            + &data_source("vm", "    url: http://127.0.0.1:8428")
            + &ratio_slo(
                "api",
                true,
                "{type: prometheus, spec: {query: a_total}}",
                "{type: prometheus, spec: {query: b_total}}",
            ),
        "api",
        "there are 2 DataSources of type prometheus (prom, vm)",
    );
    // Latency as a threshold.
    let threshold = data_source("prom", "    url: http://127.0.0.1:9090")
        + r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: latency
  annotations:
    lodestar.dev/owner: team
spec:
  service: api
  indicator:
    metadata:
      name: latency-sli
    spec:
      thresholdMetric:
        metricSource: {metricSourceRef: prom, spec: {query: 'histogram_quantile(0.95, x)'}}
  timeWindow:
    - duration: 1h
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
      op: lt
      value: 0.3
"#;
    check(
        threshold,
        "latency",
        "express latency as a ratio of histogram buckets",
    );
}

// ---------------------------------------------------------------- stub engine

/// One request the stub received.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
    form: BTreeMap<String, String>,
}

/// A one-thread HTTP/1.1 server on a loopback port that answers each
/// request with `respond` and closes the connection.
struct Stub {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Stub {
    fn start(respond: impl Fn(&Seen) -> (u16, String) + Send + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                if let Some(req) = read_request(&stream) {
                    log.lock().unwrap().push(req.clone());
                    let (status, body) = respond(&req);
                    let mut w = &stream;
                    let _ = write!(
                        w,
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                }
            }
        });
        Stub { url, seen }
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_request(stream: &TcpStream) -> Option<Seen> {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        if k.eq_ignore_ascii_case("content-length") {
            length = v.trim().parse().ok()?;
        }
        headers.push((k.to_string(), v.trim().to_string()));
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).ok()?;
    let form = String::from_utf8(body)
        .ok()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (url_decode(k), url_decode(v)))
        .collect();
    Some(Seen {
        path,
        headers,
        form,
    })
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn client(url: &str, timeout: Duration) -> PromClient {
    PromClient::new(
        "prom",
        url,
        vec![
            ("Authorization".into(), "Bearer xyz".into()),
            ("X-Scope-OrgID".into(), "tenant-a".into()),
        ],
        timeout,
    )
    .unwrap()
}

fn vector(values: &[f64]) -> String {
    let result: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"metric": {"i": i.to_string()}, "value": [1700000000.0, v.to_string()]}))
        .collect();
    json!({"status": "success", "data": {"resultType": "vector", "result": result}}).to_string()
}

#[test]
fn instant_answers_are_read_and_headers_sent() {
    let stub = Stub::start(|_| (200, vector(&[3.0, 4.5])));
    let c = client(&stub.url, Duration::from_secs(5));
    let got = c.instant("sum(up)", 1_700_000_060).unwrap();
    assert_eq!(got.iter().map(|s| s.value).collect::<Vec<_>>(), [3.0, 4.5]);
    assert_eq!(got[1].labels["i"], "1");
    let seen = &stub.requests()[0];
    assert_eq!(seen.path, "/api/v1/query");
    assert_eq!(seen.form["query"], "sum(up)");
    assert_eq!(seen.form["time"], "1700000060");
    let header = |n: &str| {
        seen.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("authorization"), Some("Bearer xyz"));
    assert_eq!(header("x-scope-orgid"), Some("tenant-a"));
}

#[test]
fn scalars_and_special_values_are_read() {
    let stub = Stub::start(|_| {
        (
            200,
            json!({"status": "success", "data": {"resultType": "scalar", "result": [1.0, "+Inf"]}})
                .to_string(),
        )
    });
    let got = client(&stub.url, Duration::from_secs(5))
        .instant("1/0", 60)
        .unwrap();
    assert_eq!(got.len(), 1);
    assert!(got[0].value.is_infinite() && got[0].labels.is_empty());
}

#[test]
fn engine_errors_keep_the_engines_message() {
    let check = |status: u16, body: &str, want: PromError| {
        let body = body.to_string();
        let stub = Stub::start(move |_| (status, body.clone()));
        let got = client(&stub.url, Duration::from_secs(5))
            .instant("x{", 60)
            .unwrap_err();
        assert_eq!(got, want);
    };
    check(
        400,
        r#"{"status":"error","errorType":"bad_data","error":"1:3: parse error: unexpected end of input"}"#,
        PromError::Engine {
            status: 400,
            error_type: "bad_data".into(),
            error: "1:3: parse error: unexpected end of input".into(),
        },
    );
    check(
        502,
        "<html>\n  <body>Bad Gateway</body>\n</html>",
        PromError::Http {
            status: 502,
            message: "<html> <body>Bad Gateway</body> </html>".into(),
        },
    );
    check(
        200,
        "not json",
        PromError::Malformed(
            "expected the JSON of the Prometheus HTTP API with status success or error, got \"not json\"".into(),
        ),
    );
    check(
        200,
        r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
        PromError::ResultType {
            got: "matrix".into(),
            expected: "vector or scalar (an instant query of a count)",
        },
    );
}

#[test]
fn a_silent_engine_times_out_and_a_closed_port_is_unreachable() {
    let stub = Stub::start(|_| {
        std::thread::sleep(Duration::from_secs(3));
        (200, vector(&[1.0]))
    });
    let started = std::time::Instant::now();
    let e = client(&stub.url, Duration::from_millis(300))
        .instant("up", 60)
        .unwrap_err();
    assert_eq!(e, PromError::Timeout(Duration::from_millis(300)));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        e.to_string(),
        "no answer within 0.3s (connectionDetails.timeout)"
    );

    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let e = client(&url, Duration::from_secs(5))
        .instant("up", 60)
        .unwrap_err();
    assert!(matches!(e, PromError::Unreachable(_)), "{e:?}");
}

#[test]
fn https_is_spoken_and_a_failed_handshake_is_a_transport_error() {
    // The stub speaks plain HTTP, so the TLS handshake cannot succeed; what
    // matters is that TLS is attempted (not refused as unsupported) and the
    // failure is reported, not hidden.
    let stub = Stub::start(|_| (200, vector(&[1.0])));
    let url = stub.url.replace("http://", "https://");
    let e = client(&url, Duration::from_secs(5))
        .instant("up", 60)
        .unwrap_err();
    assert!(matches!(e, PromError::Transport(_)), "{e:?}");
    assert!(!e.to_string().contains("transport is unsecured"), "{e}");
}

// ---------------------------------------------------------------- PromSource

/// A counter engine that answers `sum(increase(NAME[Nm]))` exactly from
/// per-minute increments, instant and range, like a real engine does for
/// samples on minute boundaries.
#[derive(Clone)]
struct Counters {
    /// Name to increments per minute, from minute `start`.
    per_minute: BTreeMap<String, BTreeMap<Minute, f64>>,
}

impl Counters {
    /// Increase of `name` over `(t - minutes*60, t]`.
    fn increase(&self, name: &str, t: i64, minutes: i64) -> Option<f64> {
        let series = self.per_minute.get(name)?;
        let to = t.div_euclid(60);
        Some(series.range(to - minutes..to).map(|(_, v)| v).sum())
    }

    fn answer(&self, req: &Seen) -> (u16, String) {
        let q = &req.form["query"];
        let inner = q
            .strip_prefix("sum(increase(")
            .and_then(|r| r.strip_suffix("m]))"))
            .unwrap_or_else(|| panic!("unexpected query {q}"));
        let (name, minutes) = inner.split_once('[').unwrap();
        let minutes: i64 = minutes.parse().unwrap();
        if req.path == "/api/v1/query" {
            let t: i64 = req.form["time"].parse().unwrap();
            let result: Vec<Value> = self
                .increase(name, t, minutes)
                .map(|v| json!({"metric": {}, "value": [t, v.to_string()]}))
                .into_iter()
                .collect();
            return (
                200,
                json!({"status": "success", "data": {"resultType": "vector", "result": result}})
                    .to_string(),
            );
        }
        let (start, end, step): (i64, i64, i64) = (
            req.form["start"].parse().unwrap(),
            req.form["end"].parse().unwrap(),
            req.form["step"].parse().unwrap(),
        );
        assert!(
            (end - start) / step < 11_000,
            "over the engine's point limit"
        );
        let values: Vec<Value> = (0..)
            .map(|i| start + i * step)
            .take_while(|t| *t <= end)
            .filter_map(|t| {
                self.increase(name, t, minutes)
                    .filter(|v| *v != 0.0)
                    .map(|v| json!([t, v.to_string()]))
            })
            .collect();
        let result = if values.is_empty() {
            vec![]
        } else {
            vec![json!({"metric": {}, "values": values})]
        };
        (
            200,
            json!({"status": "success", "data": {"resultType": "matrix", "result": result}})
                .to_string(),
        )
    }
}

/// Deterministic traffic: `total` events a minute, some bad, with a
/// burst of errors, from minute `start` for `len` minutes.
fn traffic(start: Minute, len: i64) -> (Counters, BTreeMap<Minute, Bucket>) {
    let mut total = BTreeMap::new();
    let mut bad = BTreeMap::new();
    let mut buckets = BTreeMap::new();
    for i in 0..len {
        let m = start + i;
        let t = (20 + (i * 7919) % 13) as f64;
        let b = if (300..330).contains(&i) {
            9.0
        } else {
            ((i * 31) % 3) as f64
        };
        total.insert(m, t);
        bad.insert(m, b);
        buckets.insert(
            m,
            Bucket {
                good: t - b,
                total: t,
                raw_good: (t - b) as u64,
                raw_total: t as u64,
                values: None,
            },
        );
    }
    let per_minute = BTreeMap::from([
        ("req_total".to_string(), total),
        ("err_total".to_string(), bad),
    ]);
    (Counters { per_minute }, buckets)
}

fn prom_sli(url: &str) -> PromSli {
    PromSli {
        client: Arc::new(client(url, Duration::from_secs(5))),
        numerator: Numerator::Bad(PromQuery::Counter("err_total".into())),
        total: PromQuery::Counter("req_total".into()),
    }
}

fn def(method: slo::Method) -> slo::ObjectiveDef {
    slo::ObjectiveDef {
        target: 0.95,
        indicator: slo::Indicator::Ratio,
        method,
        window: slo::Window::Rolling { minutes: 24 * 60 },
    }
}

#[test]
fn evaluations_match_the_same_data_held_in_minute_buckets() {
    let start: Minute = 28_000_000;
    let (engine, buckets) = traffic(start, 2_000);
    let stub = Stub::start(move |req| engine.answer(req));
    let sli = prom_sli(&stub.url);
    for method in [
        slo::Method::Occurrences,
        slo::Method::Timeslices {
            slice_minutes: 5,
            slice_target: 0.9,
        },
        slo::Method::RatioTimeslices { slice_minutes: 7 },
    ] {
        let d = def(method);
        for at_minute in [start + 330, start + 1_000, start + 1_999] {
            let at = jiff::Timestamp::from_second(at_minute * 60 + 17).unwrap();
            let session = PromSession::default();
            let source = PromSource::new(&sli, &session);
            let got = slo::evaluate(&d, &source, at);
            let history = slo::budget_history(&d, &source, at, 5);
            assert_eq!(source.failure(), None);
            assert_eq!(got, slo::evaluate(&d, &buckets, at), "{method:?} at {at}");
            assert_eq!(history, slo::budget_history(&d, &buckets, at, 5));
        }
    }
}

#[test]
fn identical_queries_are_asked_once_per_session() {
    let (engine, _) = traffic(1_000, 100);
    let stub = Stub::start(move |req| engine.answer(req));
    let sli = prom_sli(&stub.url);
    let session = PromSession::default();
    let a = PromSource::new(&sli, &session);
    let first = a.sum(1_000, 1_060);
    assert_eq!(stub.requests().len(), 2, "total and bad");
    let b = PromSource::new(&sli, &session);
    assert_eq!(b.sum(1_000, 1_060), first);
    assert_eq!(stub.requests().len(), 2, "answered from the session");
    let q = &stub.requests()[0].form;
    assert_eq!(q["query"], "sum(increase(req_total[60m]))");
    assert_eq!(q["time"], (1_060 * 60).to_string());
    assert_eq!(session.requests(), 2);
}

#[test]
fn range_reads_are_chunked_under_the_point_limit_and_only_gaps_are_fetched() {
    let start: Minute = 5_000_000;
    let (engine, buckets) = traffic(start, 25_000);
    let stub = Stub::start(move |req| engine.answer(req));
    let sli = prom_sli(&stub.url);
    let session = PromSession::default();
    let source = PromSource::new(&sli, &session);
    let collect = |from, to| {
        let mut got = Vec::new();
        source.for_each(from, to, &mut |m, b| got.push((m, b.clone())));
        got
    };
    let want = |from: Minute, to: Minute| -> Vec<(Minute, Bucket)> {
        buckets
            .range(from..to)
            .map(|(m, b)| (*m, b.clone()))
            .collect()
    };
    assert_eq!(collect(start, start + 25_000), want(start, start + 25_000));
    let reqs = stub.requests();
    assert_eq!(reqs.len(), 6, "3 chunks each for total and bad");
    for r in &reqs {
        let (s, e): (i64, i64) = (
            r.form["start"].parse().unwrap(),
            r.form["end"].parse().unwrap(),
        );
        assert!((e - s) / 60 < MAX_POINTS_PER_QUERY, "{r:?}");
        assert_eq!(r.form["step"], "60");
        assert_eq!(r.form["query"].matches("[1m]").count(), 1, "{r:?}");
    }
    assert_eq!(
        collect(start + 100, start + 200),
        want(start + 100, start + 200)
    );
    assert_eq!(stub.requests().len(), 6, "inside what was fetched");
    assert_eq!(collect(start + 24_990, start + 25_010).len(), 10);
    assert_eq!(
        stub.requests().len(),
        8,
        "only the 10 new minutes, for total and bad"
    );
    assert_eq!(source.failure(), None);
}

#[test]
fn a_failure_is_kept_and_an_unavailable_engine_is_not_asked_again() {
    let stub = Stub::start(|req| {
        if req.form["query"].contains("err_total") {
            (
                422,
                r#"{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}"#.into(),
            )
        } else {
            (200, vector(&[10.0]))
        }
    });
    let sli = prom_sli(&stub.url);
    let session = PromSession::default();
    let source = PromSource::new(&sli, &session);
    assert_eq!(source.sum(0, 60), Bucket::default());
    let f = source.failure().unwrap();
    assert_eq!(
        f.to_string(),
        format!(
            "prometheus at {}: execution: many-to-many matching not allowed (HTTP status 422) (DataSource \"prom\", query: sum(increase(err_total[60m])))",
            stub.url
        )
    );
    let asked = stub.requests().len();
    assert_eq!(source.sum(0, 30), Bucket::default());
    assert_eq!(
        stub.requests().len(),
        asked,
        "a failed source asks nothing more"
    );
    // A query error does not make the engine unavailable for other SLIs.
    let other = PromSource::new(&sli, &session);
    assert_eq!(other.sum(0, 30), Bucket::default());
    assert!(stub.requests().len() > asked);

    // A timeout does.
    let slow = Stub::start(|_| {
        std::thread::sleep(Duration::from_secs(3));
        (200, vector(&[1.0]))
    });
    let mut slow_sli = prom_sli(&slow.url);
    slow_sli.client = Arc::new(client(&slow.url, Duration::from_millis(200)));
    let session = PromSession::default();
    let first = PromSource::new(&slow_sli, &session);
    first.sum(0, 60);
    assert!(matches!(
        first.failure().unwrap().error,
        PromError::Timeout(_)
    ));
    let started = std::time::Instant::now();
    let second = PromSource::new(&slow_sli, &session);
    second.sum(0, 5);
    assert!(matches!(
        second.failure().unwrap().error,
        PromError::Timeout(_)
    ));
    assert!(started.elapsed() < Duration::from_millis(150));
    assert_eq!(slow.requests().len(), 1);
}
