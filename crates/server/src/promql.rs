//! PromQL data sources: SLIs whose good, bad and total counts live in a
//! Prometheus-compatible engine (Prometheus, Thanos, Mimir, VictoriaMetrics)
//! and are read through its HTTP query API.
//!
//! Three layers. [`PromEngines`] validates every DataSource of type
//! `prometheus` when a catalog is built and resolves an SLI to a [`PromSli`]
//! (or says why it cannot). [`PromClient`] is the blocking HTTP client for
//! `/api/v1/query` and `/api/v1/query_range`, with typed [`PromError`]s.
//! [`PromSource`] makes a `PromSli` an `slo::BucketSource`, so the same pure
//! SLO math evaluates it as it evaluates Lodestar's own events: a window's
//! counts are one instant query of `increase` over the whole window at its
//! end (the engine handles counter resets), and timeslices read per-minute
//! increases with range queries.
//!
//! This module blocks on network IO: call it from a blocking thread, never on
//! the async runtime. It does not read the clock: query times come from the
//! minutes the SLO math asks about. It never hides an engine failure:
//! `BucketSource` cannot fail, so a `PromSource` keeps the first failure and
//! answers empty buckets from then on, and its caller must check
//! [`PromSource::failure`] before showing any figure.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use slo::{Bucket, BucketSource, Minute};
use spec::{DataSource, Location, MetricSource, Sli, SliSpec};

#[cfg(test)]
mod tests;

/// The DataSource and metricSource type this module evaluates (compared
/// case-insensitively: `Prometheus` is the same type).
pub const TYPE: &str = "prometheus";

/// How long one HTTP exchange with the engine may take unless the
/// DataSource says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest `connectionDetails.timeout` accepted: a read request waits this
/// long at most once per engine, and longer than this is a configuration
/// mistake rather than a slow engine.
const MAX_TIMEOUT: Duration = Duration::from_secs(600);

/// Points asked for in one range query; Prometheus refuses more than 11,000
/// per series.
pub const MAX_POINTS_PER_QUERY: i64 = 10_000;

/// Largest answer read from an engine; a 10,000-point range answer is well
/// under a megabyte, so anything near this is not an answer to our queries.
const MAX_ANSWER_BYTES: u64 = 64 << 20;

/// The placeholder a Sloth-style expression uses for its range.
const WINDOW_PLACEHOLDER: &str = "{{.window}}";

/// What the engine is asked for one of good, bad or total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromQuery {
    /// A counter selector, `http_requests_total{job="api"}`, counted over a
    /// window as `sum(increase(SELECTOR[window]))`.
    Counter(String),
    /// An expression that returns the count over `{{.window}}` (kept with
    /// the placeholder written exactly so); the values it returns are summed.
    Windowed(String),
}

impl PromQuery {
    /// Reads a metricSource's `spec.query`; the error says what was expected.
    pub fn parse(text: &str) -> Result<PromQuery, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(
                "expected a PromQL counter selector or expression, got an empty string".into(),
            );
        }
        if let Some(normalised) = normalise_placeholders(text) {
            return Ok(PromQuery::Windowed(normalised));
        }
        if is_vector_selector(text) {
            return Ok(PromQuery::Counter(text.to_string()));
        }
        Err(format!(
            "expected a counter selector like http_requests_total{{job=\"api\"}}, or an expression with {WINDOW_PLACEHOLDER} that returns the count per window like sum(increase(http_requests_total{{job=\"api\"}}[{WINDOW_PLACEHOLDER}])), got {text:?}"
        ))
    }

    /// The PromQL that counts events over the `minutes` before its
    /// evaluation time.
    pub fn over(&self, minutes: i64) -> String {
        match self {
            PromQuery::Counter(selector) => format!("sum(increase({selector}[{minutes}m]))"),
            PromQuery::Windowed(expr) => expr.replace(WINDOW_PLACEHOLDER, &format!("{minutes}m")),
        }
    }
}

impl fmt::Display for PromQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PromQuery::Counter(s) | PromQuery::Windowed(s) => f.write_str(s),
        }
    }
}

/// `text` with every `{{ .window }}` (any spacing, as Go templates allow)
/// written `{{.window}}`; `None` when it has none.
fn normalise_placeholders(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut found = false;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let inner_end = after.find("}}");
        match inner_end {
            Some(end) if after[..end].trim() == ".window" => {
                out.push_str(WINDOW_PLACEHOLDER);
                rest = &after[end + 2..];
                found = true;
            }
            _ => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    found.then_some(out)
}

/// True for `name`, `name{matchers}` and `{matchers}`: what `increase`
/// can be applied to with a range appended. The matchers themselves are left
/// to the engine, whose parse errors are reported per SLO.
fn is_vector_selector(text: &str) -> bool {
    let name_len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    let (name, rest) = text.split_at(name_len);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let rest = rest.trim_start();
    if rest.is_empty() {
        return !name.is_empty();
    }
    rest.starts_with('{') && rest.ends_with('}')
}

/// One instant-vector element.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The series' labels (empty for a scalar answer).
    pub labels: BTreeMap<String, String>,
    /// The value; `NaN` and infinities are kept as the engine sent them.
    pub value: f64,
}

/// One series of a range answer.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeSeries {
    /// The series' labels.
    pub labels: BTreeMap<String, String>,
    /// `(unix seconds, value)`, ascending.
    pub points: Vec<(i64, f64)>,
}

/// What can go wrong asking an engine.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PromError {
    /// No TCP (or TLS) connection could be made.
    #[error("cannot connect: {0}")]
    Unreachable(String),
    /// The connection broke or the HTTP exchange was malformed.
    #[error("transport error: {0}")]
    Transport(String),
    /// No complete answer within the DataSource's timeout.
    #[error("no answer within {}s (connectionDetails.timeout)", .0.as_secs_f64())]
    Timeout(Duration),
    /// A non-2xx answer that is not the engine's JSON error document (a
    /// proxy, a wrong path).
    #[error("HTTP status {status}: {message}")]
    Http { status: u16, message: String },
    /// The engine's own `{"status": "error"}` answer.
    #[error("{error_type}: {error} (HTTP status {status})")]
    Engine {
        status: u16,
        error_type: String,
        error: String,
    },
    /// A successful answer of a result type the query cannot produce here.
    #[error("answer has result type {got:?}, expected {expected}")]
    ResultType { got: String, expected: &'static str },
    /// An answer that is not the Prometheus HTTP API's JSON.
    #[error("malformed answer: {0}")]
    Malformed(String),
}

impl PromError {
    /// True when the engine itself could not be talked to, so every other
    /// query to it in the same request would fail the same way, slowly.
    fn engine_unavailable(&self) -> bool {
        matches!(
            self,
            PromError::Unreachable(_) | PromError::Transport(_) | PromError::Timeout(_)
        )
    }
}

/// A blocking client of one engine's query API, configured from one
/// DataSource.
pub struct PromClient {
    /// The DataSource's name: what messages and caches know the engine by.
    data_source: String,
    /// Base URL without a trailing slash; the API paths are appended.
    url: String,
    /// Sent with every request (bearer tokens, tenant ids).
    headers: Vec<(String, String)>,
    /// Bound on one HTTP exchange, connection to last byte.
    timeout: Duration,
    /// Keeps connections to the engine alive across queries and requests.
    agent: ureq::Agent,
}

impl fmt::Debug for PromClient {
    /// Header values are credentials; only their names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("PromClient")
            .field("data_source", &self.data_source)
            .field("url", &self.url)
            .field("headers", &names)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl PromClient {
    /// A client of the engine at `url` (`http://` or `https://`, optionally
    /// with a path prefix such as VictoriaMetrics cluster's
    /// `/select/0/prometheus`); the error says what is wrong with the URL.
    pub fn new(
        data_source: &str,
        url: &str,
        headers: Vec<(String, String)>,
        timeout: Duration,
    ) -> Result<PromClient, String> {
        let url = base_url(url)?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent(concat!("lodestar/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(PromClient {
            data_source: data_source.to_string(),
            url,
            headers,
            timeout,
            agent,
        })
    }

    /// The DataSource this client was configured from.
    pub fn data_source(&self) -> &str {
        &self.data_source
    }

    /// The engine's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `query` evaluated at `time_s` (unix seconds): a vector, or a scalar
    /// as one unlabelled sample.
    pub fn instant(&self, query: &str, time_s: i64) -> Result<Vec<Sample>, PromError> {
        let data = self.call(
            "/api/v1/query",
            &[("query", query.to_string()), ("time", time_s.to_string())],
        )?;
        match data["resultType"].as_str().unwrap_or("") {
            "vector" => data["result"]
                .as_array()
                .ok_or_else(|| malformed("data.result of a vector is not a list"))?
                .iter()
                .map(|s| {
                    Ok(Sample {
                        labels: labels_of(&s["metric"]),
                        value: point_of(&s["value"])?.1,
                    })
                })
                .collect(),
            "scalar" => Ok(vec![Sample {
                labels: BTreeMap::new(),
                value: point_of(&data["result"])?.1,
            }]),
            other => Err(PromError::ResultType {
                got: other.to_string(),
                expected: "vector or scalar (an instant query of a count)",
            }),
        }
    }

    /// `query` evaluated every `step_s` seconds from `start_s` to `end_s`
    /// (unix seconds, both included). The caller keeps the number of points
    /// under the engine's limit ([`MAX_POINTS_PER_QUERY`]).
    pub fn range(
        &self,
        query: &str,
        start_s: i64,
        end_s: i64,
        step_s: i64,
    ) -> Result<Vec<RangeSeries>, PromError> {
        let data = self.call(
            "/api/v1/query_range",
            &[
                ("query", query.to_string()),
                ("start", start_s.to_string()),
                ("end", end_s.to_string()),
                ("step", step_s.to_string()),
            ],
        )?;
        match data["resultType"].as_str().unwrap_or("") {
            "matrix" => data["result"]
                .as_array()
                .ok_or_else(|| malformed("data.result of a matrix is not a list"))?
                .iter()
                .map(|s| {
                    let points = s["values"]
                        .as_array()
                        .ok_or_else(|| malformed("a matrix series has no values list"))?
                        .iter()
                        .map(point_of)
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(RangeSeries {
                        labels: labels_of(&s["metric"]),
                        points,
                    })
                })
                .collect(),
            other => Err(PromError::ResultType {
                got: other.to_string(),
                expected: "matrix (a range query)",
            }),
        }
    }

    /// POSTs a form to `path` and returns the answer's `data`.
    fn call(&self, path: &str, form: &[(&str, String)]) -> Result<Value, PromError> {
        let mut req = self.agent.post(format!("{}{path}", self.url));
        for (name, value) in &self.headers {
            req = req.header(name.as_str(), value.as_str());
        }
        let mut resp = req
            .send_form(form.iter().map(|(k, v)| (*k, v.as_str())))
            .map_err(|e| self.transport_error(e))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(|e| self.transport_error(e))?;
        let doc: Option<Value> = serde_json::from_str(&text).ok();
        match doc {
            Some(d) if d["status"] == "error" => Err(PromError::Engine {
                status,
                error_type: d["errorType"].as_str().unwrap_or("error").to_string(),
                error: d["error"].as_str().unwrap_or("").to_string(),
            }),
            Some(mut d) if d["status"] == "success" && (200..300).contains(&status) => {
                Ok(d["data"].take())
            }
            _ if !(200..300).contains(&status) => Err(PromError::Http {
                status,
                message: excerpt(&text),
            }),
            _ => Err(malformed(format!(
                "expected the JSON of the Prometheus HTTP API with status success or error, got {:?}",
                excerpt(&text)
            ))),
        }
    }

    fn transport_error(&self, e: ureq::Error) -> PromError {
        match e {
            ureq::Error::Timeout(_) => PromError::Timeout(self.timeout),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                PromError::Timeout(self.timeout)
            }
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::AddrNotAvailable
                        | std::io::ErrorKind::HostUnreachable
                        | std::io::ErrorKind::NetworkUnreachable
                ) =>
            {
                PromError::Unreachable(io.to_string())
            }
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
                PromError::Unreachable(e.to_string())
            }
            ureq::Error::BodyExceedsLimit(n) => {
                malformed(format!("answer is larger than {n} bytes"))
            }
            other => PromError::Transport(other.to_string()),
        }
    }
}

fn malformed(why: impl Into<String>) -> PromError {
    PromError::Malformed(why.into())
}

/// The start of an answer body, on one line, for error messages.
fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

fn labels_of(metric: &Value) -> BTreeMap<String, String> {
    metric
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// `[1700000000.5, "42"]` as `(1700000001, 42.0)`: seconds rounded, since
/// every time this module asks about is a whole minute.
fn point_of(v: &Value) -> Result<(i64, f64), PromError> {
    let (Some(t), Some(x)) = (v[0].as_f64(), v[1].as_str()) else {
        return Err(malformed(format!(
            "expected a [time, \"value\"] pair, got {}",
            excerpt(&v.to_string())
        )));
    };
    let x: f64 = x
        .parse()
        .map_err(|_| malformed(format!("sample value {x:?} is not a number")))?;
    Ok((t.round() as i64, x))
}

/// `raw` checked and without its trailing slash.
fn base_url(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    let uri: ureq::http::Uri = text
        .parse()
        .map_err(|e| format!("expected an http:// or https:// URL, got {raw:?}: {e}"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => {
            return Err(format!(
                "expected an http:// or https:// URL like http://127.0.0.1:9090, got {raw:?}"
            ));
        }
    }
    let Some(authority) = uri.authority() else {
        return Err(format!("URL {raw:?} has no host"));
    };
    if authority.as_str().contains('@') {
        return Err(format!(
            "URL {raw:?} carries credentials; put them in connectionDetails.headers (Authorization) instead"
        ));
    }
    if uri.query().is_some() || text.contains('#') {
        return Err(format!(
            "URL {raw:?} has a query string or fragment; expected the engine's base URL, e.g. http://127.0.0.1:9090"
        ));
    }
    Ok(text.trim_end_matches('/').to_string())
}

/// `10s`, `500ms`, `1m30s` (or a number of seconds); positive and at most
/// [`MAX_TIMEOUT`].
fn parse_timeout(v: &Value) -> Result<Duration, String> {
    let expected = || {
        format!(
            "expected a duration like 10s, 500ms or 1m30s, at most {}s, got {v}",
            MAX_TIMEOUT.as_secs()
        )
    };
    let d = match v {
        Value::Number(n) => n
            .as_f64()
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= MAX_TIMEOUT.as_secs_f64())
            .map(Duration::from_secs_f64)
            .ok_or_else(expected)?,
        Value::String(s) => {
            let mut total = Duration::ZERO;
            let mut rest = s.trim();
            if rest.is_empty() {
                return Err(expected());
            }
            while !rest.is_empty() {
                let digits = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                let n: u64 = rest[..digits].parse().map_err(|_| expected())?;
                rest = &rest[digits..];
                let unit_len = rest
                    .find(|c: char| c.is_ascii_digit())
                    .unwrap_or(rest.len());
                let part = match &rest[..unit_len] {
                    "ms" => Duration::from_millis(n),
                    "s" => Duration::from_secs(n),
                    "m" => Duration::from_secs(n.saturating_mul(60)),
                    "h" => Duration::from_secs(n.saturating_mul(3600)),
                    _ => return Err(expected()),
                };
                total = total.saturating_add(part);
                rest = &rest[unit_len..];
            }
            total
        }
        _ => return Err(expected()),
    };
    if d.is_zero() || d > MAX_TIMEOUT {
        return Err(expected());
    }
    Ok(d)
}

/// True for an HTTP header name (RFC 9110 token) we may set.
fn header_name_problem(name: &str) -> Option<String> {
    let token = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !token {
        return Some(format!("{name:?} is not an HTTP header name"));
    }
    let lower = name.to_ascii_lowercase();
    if [
        "content-length",
        "content-type",
        "transfer-encoding",
        "host",
    ]
    .contains(&lower.as_str())
    {
        return Some(format!(
            "header {name:?} is set by Lodestar itself and cannot be configured"
        ));
    }
    None
}

/// `location` with `child` appended to its property path.
fn child_location(location: &Location, child: &str) -> Location {
    let mut l = location.clone();
    l.path = if l.path.is_empty() {
        child.to_string()
    } else {
        format!("{}.{child}", l.path)
    };
    l
}

/// The `prometheus` DataSources of a spec set, validated, with one client
/// each: built once per catalog, so connections are reused across requests.
#[derive(Debug, Default)]
pub struct PromEngines {
    /// DataSource name to its client.
    by_name: HashMap<String, Arc<PromClient>>,
    /// Names of `prometheus` DataSources in spec order (valid or not), to
    /// decide which one an inline metricSource without a ref uses.
    names: Vec<String>,
}

/// What an SLI's sources mean for a Prometheus-compatible engine.
#[derive(Debug)]
pub enum Resolution {
    /// None of its metric sources is of type `prometheus`.
    NotPrometheus,
    /// Evaluated by querying the engine.
    Ready(PromSli),
    /// Of type `prometheus`, but not something the server can evaluate;
    /// the message says why and what to do. The specs still load.
    Unsupported(String),
    /// Wrong in a way that refuses the spec set (`file:line:col: path: message`).
    Invalid(Vec<String>),
}

impl PromEngines {
    /// Validates every DataSource of type `prometheus`: errors go to
    /// `problems`, unknown `connectionDetails` keys to `warnings`, both as
    /// `file:line:col: path: message` lines.
    pub fn build(
        data_sources: &[DataSource],
        problems: &mut Vec<String>,
        warnings: &mut Vec<String>,
    ) -> PromEngines {
        let mut engines = PromEngines::default();
        for ds in data_sources
            .iter()
            .filter(|d| d.source_type.eq_ignore_ascii_case(TYPE))
        {
            engines.names.push(ds.metadata.name.clone());
            match client_of(ds, warnings) {
                Ok(c) => {
                    engines
                        .by_name
                        .insert(ds.metadata.name.clone(), Arc::new(c));
                }
                Err(errs) => problems.extend(errs),
            }
        }
        engines
    }

    /// How `sli` is evaluated, if its sources are of type `prometheus`.
    pub fn resolve(&self, sli: &Sli) -> Resolution {
        let is_prom = |m: &MetricSource| m.source_type.eq_ignore_ascii_case(TYPE);
        match &sli.spec {
            SliSpec::Threshold { metric_source } if is_prom(metric_source) => {
                Resolution::Unsupported(
                    "threshold SLIs of type prometheus are not evaluated: a quantile over a window cannot be split into good and bad events; express latency as a ratio of histogram buckets (good: http_request_duration_seconds_bucket{le=\"0.3\"}, total: http_request_duration_seconds_count)".into(),
                )
            }
            SliSpec::RatioRaw { raw, .. } if is_prom(raw) => Resolution::Unsupported(
                "raw ratio metrics of type prometheus are not evaluated: a precomputed ratio cannot be summed into an error budget; give good (or bad) and total counters".into(),
            ),
            SliSpec::Ratio {
                counter,
                good,
                bad,
                total,
            } => {
                let sources: Vec<&MetricSource> =
                    [Some(total), good.as_ref(), bad.as_ref()].into_iter().flatten().collect();
                if !sources.iter().any(|m| is_prom(m)) {
                    return Resolution::NotPrometheus;
                }
                if let Some(other) = sources.iter().find(|m| !is_prom(m)) {
                    return Resolution::Unsupported(format!(
                        "metricSource type {:?} at {} cannot be combined with type prometheus; good, bad and total must all come from the same engine",
                        other.source_type, other.location
                    ));
                }
                self.ratio(*counter, good.as_ref(), bad.as_ref(), total)
            }
            _ => Resolution::NotPrometheus,
        }
    }

    fn ratio(
        &self,
        counter: bool,
        good: Option<&MetricSource>,
        bad: Option<&MetricSource>,
        total: &MetricSource,
    ) -> Resolution {
        let mut invalid = Vec::new();
        let mut query = |m: &MetricSource| {
            let at = child_location(&m.location, "spec.query");
            match m.spec.get("query") {
                Some(Value::String(q)) => match PromQuery::parse(q) {
                    Ok(q) => Some(q),
                    Err(e) => {
                        invalid.push(format!("{at}: {e}"));
                        None
                    }
                },
                Some(other) => {
                    invalid.push(format!("{at}: expected a PromQL string, got {other}"));
                    None
                }
                None => {
                    invalid.push(format!(
                        "{}: metricSource of type prometheus needs spec.query, a counter selector or an expression with {WINDOW_PLACEHOLDER}",
                        m.location
                    ));
                    None
                }
            }
        };
        let total_q = query(total);
        let numerator = match (good, bad) {
            (Some(g), _) => query(g).map(Numerator::Good),
            (None, Some(b)) => query(b).map(Numerator::Bad),
            (None, None) => None,
        };
        if !invalid.is_empty() {
            return Resolution::Invalid(invalid);
        }
        let (Some(total_q), Some(numerator)) = (total_q, numerator) else {
            return Resolution::Unsupported(
                "a ratio of type prometheus needs total and one of good or bad".into(),
            );
        };
        if !counter
            && [&total_q, numerator.query()]
                .iter()
                .any(|q| matches!(q, PromQuery::Counter(_)))
        {
            return Resolution::Unsupported(format!(
                "ratioMetric.counter is false, but a bare selector is read as a counter; set counter: true, or give an expression with {WINDOW_PLACEHOLDER} that returns the count per window"
            ));
        }
        let mut client: Option<&Arc<PromClient>> = None;
        for m in [Some(total), good, bad].into_iter().flatten() {
            let c = match self.engine_of(m) {
                Ok(c) => c,
                Err(why) => return Resolution::Unsupported(why),
            };
            match client {
                Some(first) if !Arc::ptr_eq(first, c) => {
                    return Resolution::Unsupported(format!(
                        "good, bad and total must come from one DataSource; {} uses {:?}, another uses {:?}",
                        m.location,
                        c.data_source(),
                        first.data_source()
                    ));
                }
                _ => client = Some(c),
            }
        }
        let Some(client) = client else {
            return Resolution::Unsupported("a ratio needs a total".into());
        };
        Resolution::Ready(PromSli {
            client: client.clone(),
            numerator,
            total: total_q,
        })
    }

    /// The engine a metric source reads: its `metricSourceRef`, or the only
    /// `prometheus` DataSource of the set for an inline source.
    fn engine_of(&self, m: &MetricSource) -> Result<&Arc<PromClient>, String> {
        let name = match &m.metric_source_ref {
            Some(name) => name.as_str(),
            None => match self.names.as_slice() {
                [only] => only.as_str(),
                [] => {
                    return Err(format!(
                        "metricSource at {} is of type prometheus but no DataSource of type prometheus gives the engine's URL; add one with connectionDetails.url (and metricSourceRef to it)",
                        m.location
                    ));
                }
                several => {
                    return Err(format!(
                        "metricSource at {} has no metricSourceRef and there are {} DataSources of type prometheus ({}); name one with metricSourceRef",
                        m.location,
                        several.len(),
                        several.join(", ")
                    ));
                }
            },
        };
        self.by_name.get(name).ok_or_else(|| {
            format!(
                "DataSource {name:?} is not a valid prometheus DataSource (see the diagnostics)"
            )
        })
    }
}

/// A client from a DataSource's `connectionDetails`, or every problem with
/// them.
fn client_of(ds: &DataSource, warnings: &mut Vec<String>) -> Result<PromClient, Vec<String>> {
    let at = |path: &str| child_location(&ds.location, &format!("spec.connectionDetails{path}"));
    let mut problems = Vec::new();
    let Some(details) = ds.connection_details.as_object() else {
        return Err(vec![format!(
            "{}: expected a map with url (and optional headers, timeout), got {}",
            at(""),
            ds.connection_details
        )]);
    };
    for key in details.keys() {
        if !["url", "headers", "timeout"].contains(&key.as_str()) {
            warnings.push(format!(
                "{}: warning: unknown property ignored; a prometheus DataSource takes url, headers and timeout",
                at(&format!(".{key}"))
            ));
        }
    }
    let url = match details.get("url") {
        Some(Value::String(u)) => match base_url(u) {
            Ok(_) => Some(u.clone()),
            Err(e) => {
                problems.push(format!("{}: {e}", at(".url")));
                None
            }
        },
        Some(other) => {
            problems.push(format!(
                "{}: expected a URL string, got {other}",
                at(".url")
            ));
            None
        }
        None => {
            problems.push(format!(
                "{}: a DataSource of type prometheus needs url, the engine's base URL (http://host:9090)",
                at("")
            ));
            None
        }
    };
    let mut headers = Vec::new();
    match details.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                let here = at(&format!(".headers[{name:?}]"));
                if let Some(p) = header_name_problem(name) {
                    problems.push(format!("{here}: {p}"));
                    continue;
                }
                match value {
                    Value::String(v) if v.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f)) => {
                        headers.push((name.clone(), v.clone()));
                    }
                    Value::String(_) => problems.push(format!(
                        "{here}: header value has control characters (a line break?); expected one line of text"
                    )),
                    other => problems.push(format!(
                        "{here}: expected a string header value, got {other} (quote it)"
                    )),
                }
            }
        }
        Some(other) => problems.push(format!(
            "{}: expected a map of header names to strings, got {other}",
            at(".headers")
        )),
    }
    let timeout = match details.get("timeout") {
        None | Some(Value::Null) => DEFAULT_TIMEOUT,
        Some(v) => parse_timeout(v).unwrap_or_else(|e| {
            problems.push(format!("{}: {e}", at(".timeout")));
            DEFAULT_TIMEOUT
        }),
    };
    match url {
        Some(u) if problems.is_empty() => {
            PromClient::new(&ds.metadata.name, &u, headers, timeout).map_err(|e| vec![e])
        }
        _ => Err(problems),
    }
}

/// Which part of the ratio the numerator query counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Numerator {
    /// Good events, counted among total.
    Good(PromQuery),
    /// Bad events; good is total minus bad.
    Bad(PromQuery),
}

impl Numerator {
    fn query(&self) -> &PromQuery {
        match self {
            Numerator::Good(q) | Numerator::Bad(q) => q,
        }
    }
}

/// A ratio SLI read from a Prometheus-compatible engine.
#[derive(Clone, Debug)]
pub struct PromSli {
    /// The engine, shared by every SLI of the same DataSource.
    pub client: Arc<PromClient>,
    /// Good or bad events.
    pub numerator: Numerator,
    /// All events.
    pub total: PromQuery,
}

/// An engine failure, with what was being asked.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("prometheus at {url}: {error} (DataSource {data_source:?}, query: {query})")]
pub struct PromFailure {
    /// The engine's base URL.
    pub url: String,
    /// The DataSource the engine was configured from.
    pub data_source: String,
    /// The PromQL that failed.
    pub query: String,
    /// What went wrong.
    pub error: PromError,
}

/// Per-minute values of one query over the minute ranges fetched so far.
#[derive(Debug, Default)]
struct MinuteValues {
    /// Disjoint, sorted `[from, to)` ranges already asked for.
    covered: Vec<(Minute, Minute)>,
    /// Summed value per minute; minutes without data are absent.
    values: BTreeMap<Minute, f64>,
}

impl MinuteValues {
    /// Parts of `[from, to)` not yet asked for.
    fn gaps(&self, from: Minute, to: Minute) -> Vec<(Minute, Minute)> {
        let mut out = Vec::new();
        let mut cursor = from;
        for &(a, b) in &self.covered {
            if b <= cursor {
                continue;
            }
            if a >= to {
                break;
            }
            if a > cursor {
                out.push((cursor, a));
            }
            cursor = cursor.max(b);
            if cursor >= to {
                break;
            }
        }
        if cursor < to {
            out.push((cursor, to));
        }
        out
    }

    fn cover(&mut self, from: Minute, to: Minute) {
        self.covered.push((from, to));
        self.covered.sort_unstable();
        let mut merged: Vec<(Minute, Minute)> = Vec::with_capacity(self.covered.len());
        for &(a, b) in &self.covered {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.covered = merged;
    }
}

/// What one read request shares across the Prometheus-backed objectives it
/// evaluates: answers already received (an SLO's objectives, journeys and
/// budget history ask the same questions), and engines already found
/// unavailable, so a dead engine costs one timeout per request rather than
/// one per query. Lives for one request only, so figures are never stale.
#[derive(Debug, Default)]
pub struct PromSession {
    /// `(DataSource, query, unix seconds)` to the summed instant value.
    instant: RefCell<HashMap<(String, String, i64), f64>>,
    /// `(DataSource, query)` to its per-minute values.
    minutes: RefCell<HashMap<(String, String), MinuteValues>>,
    /// DataSource to the failure that showed it unavailable.
    unavailable: RefCell<HashMap<String, PromError>>,
    /// HTTP requests made, for tests and tracing.
    requests: Cell<u64>,
}

impl PromSession {
    /// HTTP requests this session has sent.
    pub fn requests(&self) -> u64 {
        self.requests.get()
    }

    fn guard(&self, client: &PromClient) -> Result<(), PromError> {
        match self.unavailable.borrow().get(client.data_source()) {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn note(&self, client: &PromClient, e: &PromError) {
        if e.engine_unavailable() {
            tracing::warn!(
                data_source = client.data_source(),
                url = client.url(),
                error = %e,
                "prometheus engine unavailable; its SLOs show status error for this request"
            );
            self.unavailable
                .borrow_mut()
                .insert(client.data_source().to_string(), e.clone());
        }
    }

    /// The sum of the finite values `query` returns at `time_s`; 0 when it
    /// returns nothing.
    fn instant_sum(&self, client: &PromClient, query: &str, time_s: i64) -> Result<f64, PromError> {
        let key = (client.data_source().to_string(), query.to_string(), time_s);
        if let Some(v) = self.instant.borrow().get(&key) {
            return Ok(*v);
        }
        self.guard(client)?;
        self.requests.set(self.requests.get() + 1);
        let samples = client
            .instant(query, time_s)
            .inspect_err(|e| self.note(client, e))?;
        let sum = samples
            .iter()
            .map(|s| s.value)
            .filter(|v| v.is_finite())
            .sum();
        self.instant.borrow_mut().insert(key, sum);
        Ok(sum)
    }

    /// Calls `f` with each minute of `[from, to)` that `query` (a count
    /// over the minute ending at each step) has a finite value for,
    /// ascending, the values of all returned series summed.
    fn per_minute(
        &self,
        client: &PromClient,
        query: &str,
        from: Minute,
        to: Minute,
        f: &mut dyn FnMut(Minute, f64),
    ) -> Result<(), PromError> {
        let key = (client.data_source().to_string(), query.to_string());
        let gaps = self
            .minutes
            .borrow()
            .get(&key)
            .map_or_else(|| vec![(from, to)], |mv| mv.gaps(from, to));
        for (gap_from, gap_to) in gaps {
            self.guard(client)?;
            let mut chunk = gap_from;
            while chunk < gap_to {
                let chunk_to = (chunk + MAX_POINTS_PER_QUERY).min(gap_to);
                // The point at the end of minute m counts minute m.
                self.requests.set(self.requests.get() + 1);
                let series = client
                    .range(query, (chunk + 1) * 60, chunk_to * 60, 60)
                    .inspect_err(|e| self.note(client, e))?;
                let mut cache = self.minutes.borrow_mut();
                let mv = cache.entry(key.clone()).or_default();
                for s in &series {
                    for &(t, v) in &s.points {
                        let m = t.div_euclid(60) - 1;
                        if v.is_finite() && (chunk..chunk_to).contains(&m) {
                            *mv.values.entry(m).or_insert(0.0) += v;
                        }
                    }
                }
                mv.cover(chunk, chunk_to);
                chunk = chunk_to;
            }
        }
        if let Some(mv) = self.minutes.borrow().get(&key) {
            for (&m, &v) in mv.values.range(from..to) {
                f(m, v);
            }
        }
        Ok(())
    }
}

/// A [`PromSli`] as an `slo::BucketSource`, for one request.
///
/// `sum(from, to)` is one instant query per counter at the end of minute
/// `to - 1` over `to - from` minutes; `for_each` reads the per-minute
/// increases with range queries (step 1 minute). The first failure is kept
/// and every later call answers an empty bucket without asking the engine.
pub struct PromSource<'a> {
    /// What to ask.
    sli: &'a PromSli,
    /// Answers and unavailable engines shared with the rest of the request.
    session: &'a PromSession,
    /// The first failure; once set, figures from this source are void.
    failure: RefCell<Option<PromFailure>>,
}

impl fmt::Debug for PromSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PromSource")
            .field("sli", &self.sli)
            .field("failure", &self.failure.borrow())
            .finish_non_exhaustive()
    }
}

impl<'a> PromSource<'a> {
    pub fn new(sli: &'a PromSli, session: &'a PromSession) -> PromSource<'a> {
        PromSource {
            sli,
            session,
            failure: RefCell::new(None),
        }
    }

    /// The first failure, if any: when `Some`, every figure computed from
    /// this source is meaningless and must not be shown.
    pub fn failure(&self) -> Option<PromFailure> {
        self.failure.borrow().clone()
    }

    fn failed(&self) -> bool {
        self.failure.borrow().is_some()
    }

    fn record(&self, query: &str, error: PromError) {
        let mut slot = self.failure.borrow_mut();
        if slot.is_none() {
            *slot = Some(PromFailure {
                url: self.sli.client.url().to_string(),
                data_source: self.sli.client.data_source().to_string(),
                query: query.to_string(),
                error,
            });
        }
    }

    fn count(&self, q: &PromQuery, minutes: i64, time_s: i64) -> Option<f64> {
        let text = q.over(minutes);
        match self.session.instant_sum(&self.sli.client, &text, time_s) {
            Ok(v) => Some(v),
            Err(e) => {
                self.record(&text, e);
                None
            }
        }
    }

    fn minutes(&self, q: &PromQuery, from: Minute, to: Minute) -> Option<BTreeMap<Minute, f64>> {
        let text = q.over(1);
        let mut out = BTreeMap::new();
        let outcome = self
            .session
            .per_minute(&self.sli.client, &text, from, to, &mut |m, v| {
                out.insert(m, v);
            });
        match outcome {
            Ok(()) => Some(out),
            Err(e) => {
                self.record(&text, e);
                None
            }
        }
    }
}

/// A bucket of engine counts: good clamped into `[0, total]`, raw counts
/// rounded (extrapolated increases are fractional).
fn bucket_of(good: f64, total: f64) -> Bucket {
    let total = total.max(0.0);
    let good = good.clamp(0.0, total);
    Bucket {
        good,
        total,
        raw_good: good.round() as u64,
        raw_total: total.round() as u64,
        values: None,
    }
}

impl BucketSource for PromSource<'_> {
    fn sum(&self, from: Minute, to: Minute) -> Bucket {
        if from >= to || self.failed() {
            return Bucket::default();
        }
        let (minutes, time_s) = (to - from, to * 60);
        let Some(total) = self.count(&self.sli.total, minutes, time_s) else {
            return Bucket::default();
        };
        let good = match &self.sli.numerator {
            Numerator::Good(q) => self.count(q, minutes, time_s),
            Numerator::Bad(q) => self.count(q, minutes, time_s).map(|bad| total - bad),
        };
        match good {
            Some(good) => bucket_of(good, total),
            None => Bucket::default(),
        }
    }

    fn for_each(&self, from: Minute, to: Minute, f: &mut dyn FnMut(Minute, &Bucket)) {
        if from >= to || self.failed() {
            return;
        }
        let Some(totals) = self.minutes(&self.sli.total, from, to) else {
            return;
        };
        let Some(numerators) = self.minutes(self.sli.numerator.query(), from, to) else {
            return;
        };
        for (m, total) in totals {
            let counted = numerators.get(&m).copied().unwrap_or(0.0);
            let good = match self.sli.numerator {
                Numerator::Good(_) => counted,
                Numerator::Bad(_) => total - counted,
            };
            let b = bucket_of(good, total);
            if !b.is_empty() {
                f(m, &b);
            }
        }
    }
}
