//! The one place that sends bytes: a blocking HTTP POST with a timeout,
//! behind a trait so the outbox can be tested without sockets. It never
//! decides whether a delivery succeeded (the target module does) and never
//! retries by itself (the outbox schedules retries).

use std::io::Read;
use std::time::Duration;

/// Per-request time limit: connect, send and read together.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How much of a receiver's answer is kept for error messages.
const MAX_RESPONSE_BODY: u64 = 4096;

/// A request ready to send: always a POST of a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Absolute http(s) URL.
    pub url: String,
    /// Headers besides Content-Type, which is always `application/json`.
    pub headers: Vec<(String, String)>,
    /// The exact bytes to send (the webhook signature covers them).
    pub body: Vec<u8>,
    /// Whether the URL's path is a credential (Slack's incoming webhooks
    /// are), so error messages show only scheme and host.
    pub secret_path: bool,
}

impl HttpRequest {
    /// The URL as it may appear in errors, the API and logs.
    pub fn url_for_errors(&self) -> String {
        if !self.secret_path {
            return self.url.clone();
        }
        let (scheme, rest) = self.url.split_once("://").unwrap_or(("", &self.url));
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        format!("{scheme}://{host}/…")
    }
}

/// A receiver's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The start of the body, for error messages.
    pub body: String,
}

/// Sends requests; `Err` is a transport failure (no HTTP answer) described
/// in words.
pub trait Transport: Send + Sync {
    /// POSTs `request` once.
    fn post(&self, request: &HttpRequest) -> Result<HttpResponse, String>;
}

/// The production transport: `ureq` with [`REQUEST_TIMEOUT`], no redirects
/// (a redirect answer is reported, not followed, since following would turn
/// the POST into a GET), and statuses returned rather than raised.
pub struct HttpTransport {
    /// Pooled connections shared by every target.
    agent: ureq::Agent,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport").finish_non_exhaustive()
    }
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpTransport {
    /// A transport with the default timeout.
    pub fn new() -> Self {
        Self::with_timeout(REQUEST_TIMEOUT)
    }

    /// A transport with a custom per-request timeout.
    pub fn with_timeout(timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("lodestar-notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        HttpTransport { agent }
    }
}

impl Transport for HttpTransport {
    fn post(&self, request: &HttpRequest) -> Result<HttpResponse, String> {
        let mut builder = self
            .agent
            .post(&request.url)
            .header("Content-Type", "application/json");
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = builder.send(&request.body[..]).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        // An unreadable answer body must not turn a clear status into a
        // transport error, so read errors only shorten the excerpt.
        let _ = body
            .as_reader()
            .take(MAX_RESPONSE_BODY)
            .read_to_end(&mut bytes);
        Ok(HttpResponse {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}
