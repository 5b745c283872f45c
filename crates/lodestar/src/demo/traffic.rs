//! The demo's traffic generator: turns the shop model of `shop` into
//! sampled events, minute by minute, and writes them as NDJSON for the real
//! ingest path. Output is a pure function of the seed, the anchor and the
//! requested range: every minute draws from its own random stream and its
//! events are sorted by time, so `[a, b)` followed by `[b, c)` gives exactly
//! the bytes of `[a, c)` whatever `b` is. This module never reads the clock
//! (the anchor is the caller's "now") and does no IO.
//!
//! Sampling: a minute's true request count per region, endpoint and cohort
//! (version × flag) is a Poisson mean; successes are drawn at the endpoint's
//! sample rate (coarser in the history than live, which keeps the 28-day
//! backfill near 3.8 M events while live traffic runs at about 30 events/s),
//! failures at [`shop::ERROR_SAMPLE_RATE`]. Weighted by `sample_rate`, both
//! regimes describe the same shop.

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

use super::Incident;
use super::random::{SplitMix64, stream_seed};
use super::shop::{self, ENDPOINTS, Endpoint, Kind, REGIONS};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// 0000-01-01T00:00:00Z: before it a timestamp has no four-digit RFC 3339
/// year, so no events are made there (nor after `Timestamp::MAX`).
const FIRST_MS: i64 = -62_167_219_200_000;

/// The demo shop anchored at an instant: history before it, live traffic after.
#[derive(Clone, Debug)]
pub struct Demo {
    /// Seeds every minute's random stream.
    seed: u64,
    /// First minute (epoch minutes) sampled at live rates: the one holding the anchor.
    live_from_minute: i64,
    /// From here on v1.42.0 serves half the traffic.
    rollout_ms: i64,
    /// Incident 1, the payments provider outage in eu-west.
    outage: Incident,
    /// Incident 2, the v1.42.0 + new checkout regression.
    regression: Incident,
    /// Region time zones in `REGIONS` order, resolved once.
    zones: Vec<TimeZone>,
}

/// One generated event, before encoding.
#[derive(Clone, Copy, Debug)]
pub(super) struct Event {
    pub at_ms: i64,
    /// Index into `ENDPOINTS`.
    pub endpoint: usize,
    /// Index into `REGIONS`.
    pub region: usize,
    /// Index into `VERSIONS`.
    pub version: usize,
    pub new_checkout: bool,
    /// Index into `TIERS`.
    pub tier: usize,
    pub failed: bool,
    pub duration_ms: f64,
    pub sample_rate: u32,
    pub route: &'static str,
    /// HTTP status; 0 when there was no response (a client timeout) or no HTTP exchange.
    pub status_code: u16,
    pub error_type: Option<&'static str>,
    /// Checkouts only: completed, abandoned or failed.
    pub outcome: Option<&'static str>,
    pub trace_id: [u64; 2],
    pub span_id: u64,
}

/// What holds for a whole minute.
struct Conditions {
    live: bool,
    new_version_share: f64,
    outage: bool,
    regression: bool,
}

/// Failure probabilities of a cohort's requests, by cause.
struct Failure {
    /// The endpoint's own code.
    own: f64,
    /// The payments provider.
    provider: f64,
}

impl Failure {
    fn total(&self) -> f64 {
        (self.own + (1.0 - self.own) * self.provider).clamp(0.0, 1.0)
    }
}

/// A cohort: who is sending the requests, which version serves them.
#[derive(Clone, Copy)]
struct Cohort {
    region: usize,
    version: usize,
    new_checkout: bool,
}

impl Demo {
    /// The demo anchored at `anchor_ms` ("now"); anchors outside the years
    /// 0000-9999 are moved to the nearest end, where the arithmetic is safe.
    pub fn new(anchor_ms: i64, seed: u64) -> Self {
        let anchor_ms = anchor_ms.clamp(FIRST_MS + 30 * DAY_MS, Timestamp::MAX.as_millisecond());
        let day_of =
            |days_before: i64| (anchor_ms - days_before * DAY_MS).div_euclid(DAY_MS) * DAY_MS;
        let outage_start =
            day_of(shop::OUTAGE_DAYS_BEFORE) + shop::OUTAGE_MINUTE_OF_DAY * MINUTE_MS;
        let outage_end = outage_start + shop::OUTAGE_MINUTES * MINUTE_MS;
        let regression_start =
            day_of(shop::REGRESSION_DAYS_BEFORE) + shop::REGRESSION_MINUTE_OF_DAY * MINUTE_MS;
        let regression_end = regression_start + shop::REGRESSION_MINUTES * MINUTE_MS;
        let outage = Incident {
            start_ms: outage_start,
            end_ms: outage_end,
            title: "Payments provider degraded in eu-west".to_string(),
            description: format!(
                "From {} to {} UTC the payments provider failed about {:.0} % of charge calls from eu-west: \
                 most timed out at the {:.0} s deadline, the rest returned 503. Charges are not retried (the \
                 provider's API has no idempotency keys), so every failed charge failed its checkout. The \
                 provider traced it to a faulty load balancer; nothing changed on our side.",
                clock_text(outage_start),
                clock_text(outage_end),
                shop::OUTAGE_CHARGE_FAILURE * 100.0,
                shop::CHARGE_TIMEOUT_MS / 1000.0,
            ),
        };
        let regression = Incident {
            start_ms: regression_start,
            end_ms: regression_end,
            title: "Slow search and failing checkouts on v1.42.0 with the new checkout".to_string(),
            description: format!(
                "From {} to {} UTC, requests served by v1.42.0 with feature.new_checkout=on fetched live \
                 prices for every search result instead of cached ones: search p95 roughly tripled for that \
                 cohort and {:.0} % of its checkouts failed on price-lock timeouts. Other cohorts were not \
                 affected. Resolved by restoring the price cache setting; the flag stayed on for {:.0} % of \
                 visits.",
                clock_text(regression_start),
                clock_text(regression_end),
                shop::REGRESSION_CHECKOUT_ERRORS * 100.0,
                shop::NEW_CHECKOUT_SHARE * 100.0,
            ),
        };
        let zones = REGIONS
            .iter()
            .map(|r| {
                TimeZone::get(r.time_zone).unwrap_or_else(|_| {
                    TimeZone::fixed(
                        Offset::from_seconds(r.fallback_offset_s).unwrap_or(Offset::UTC),
                    )
                })
            })
            .collect();
        Demo {
            seed,
            live_from_minute: anchor_ms.div_euclid(MINUTE_MS),
            rollout_ms: day_of(shop::ROLLOUT_DAYS_BEFORE) + shop::ROLLOUT_MINUTE_OF_DAY * MINUTE_MS,
            outage,
            regression,
            zones,
        }
    }

    /// The demo's spec files (file name, YAML), as embedded in the binary.
    pub fn specs() -> Vec<(String, String)> {
        super::SPEC_FILES
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect()
    }

    /// Appends NDJSON events for `[from_ms, to_ms)` to `out`; deterministic
    /// for (seed, anchor, from_ms, to_ms). Returns the number of events written.
    /// (The server sends milestones as logs, see [`Demo::telemetry`]; the
    /// tests compare both.)
    #[cfg(test)]
    pub fn ndjson(&self, from_ms: i64, to_ms: i64, out: &mut Vec<u8>) -> u64 {
        let mut written = 0u64;
        self.for_each_minute(from_ms, to_ms, |minute_start, events| {
            let prefix = minute_prefix(minute_start);
            for e in events {
                write_event(out, &prefix, minute_start, e);
            }
            written += events.len() as u64;
        });
        written
    }

    /// The same events as [`Demo::ndjson`], split the way the shop's real
    /// senders would deliver them: journey milestones (`first_meaningful_action`,
    /// sent by the storefront's browser SDK) as one OTLP/JSON
    /// `ExportLogsServiceRequest` of log records, everything else as NDJSON.
    /// This is the demo's example of milestone SLIs built from logs: the
    /// record's `eventName` becomes the event name, its `duration_ms`
    /// attribute the value the threshold SLI reads.
    pub fn telemetry(&self, from_ms: i64, to_ms: i64) -> Telemetry {
        let mut t = Telemetry::default();
        let mut records = Vec::new();
        self.for_each_minute(from_ms, to_ms, |minute_start, events| {
            let prefix = minute_prefix(minute_start);
            for e in events {
                if ENDPOINTS[e.endpoint].kind == Kind::FirstAction {
                    if t.log_records > 0 {
                        records.push(b',');
                    }
                    write_log_record(&mut records, e);
                    t.log_records += 1;
                } else {
                    write_event(&mut t.ndjson, &prefix, minute_start, e);
                    t.ndjson_events += 1;
                }
            }
        });
        if t.log_records > 0 {
            let service = ENDPOINTS
                .iter()
                .find(|e| e.kind == Kind::FirstAction)
                .map_or("storefront-web", |e| e.service);
            let out = &mut t.otlp_logs_json;
            out.extend_from_slice(b"{\"resourceLogs\":[{\"resource\":{\"attributes\":[");
            push_otlp_string(out, "service.name", service);
            out.extend_from_slice(
                b"]},\"scopeLogs\":[{\"scope\":{\"name\":\"storefront-web/browser\"},\"logRecords\":[",
            );
            out.extend_from_slice(&records);
            out.extend_from_slice(b"]}]}]}");
        }
        t
    }

    /// The changes in the history, oldest first: the new checkout flag's
    /// ramp, the v1.42.0 rollout, and the configuration fix that ended the
    /// regression.
    pub fn changes(&self) -> Vec<super::DemoChange> {
        let mut out = vec![super::DemoChange {
            kind: "flag",
            service: "checkout",
            version: None,
            flag: Some("feature.new_checkout"),
            author: "growth-team",
            at_ms: self.live_from_minute * MINUTE_MS - 27 * DAY_MS,
            description: format!(
                "Ramped the new checkout to {:.0} % of visits.",
                shop::NEW_CHECKOUT_SHARE * 100.0
            ),
        }];
        for service in ["storefront", "search", "cart", "checkout"] {
            out.push(super::DemoChange {
                kind: "deploy",
                service,
                version: Some(shop::VERSIONS[1]),
                flag: None,
                author: "release-bot",
                at_ms: self.rollout_ms,
                description: format!(
                    "Canary rollout of {}: half of the traffic.",
                    shop::VERSIONS[1]
                ),
            });
        }
        out.push(super::DemoChange {
            kind: "config",
            service: "search",
            version: None,
            flag: None,
            author: "search-oncall",
            at_ms: self.regression.end_ms,
            description: "Restored the price cache setting for the new checkout cohort.".into(),
        });
        out.sort_by_key(|c| c.at_ms);
        out
    }

    /// The incidents planted in the history, oldest first.
    pub fn incidents(&self) -> Vec<Incident> {
        vec![self.outage.clone(), self.regression.clone()]
    }

    /// Calls `f` with each minute's start and its events inside
    /// `[from_ms, to_ms)`, in time order.
    pub(super) fn for_each_minute(
        &self,
        from_ms: i64,
        to_ms: i64,
        mut f: impl FnMut(i64, &[Event]),
    ) {
        let (from_ms, to_ms) = (
            from_ms.max(FIRST_MS),
            to_ms.min(Timestamp::MAX.as_millisecond()),
        );
        if from_ms >= to_ms {
            return;
        }
        let mut events = Vec::new();
        let last_minute = (to_ms - 1).div_euclid(MINUTE_MS);
        for minute in from_ms.div_euclid(MINUTE_MS)..=last_minute {
            events.clear();
            self.generate_minute(minute, &mut events);
            let lo = events.partition_point(|e| e.at_ms < from_ms);
            let hi = events.partition_point(|e| e.at_ms < to_ms);
            if lo < hi {
                f(minute * MINUTE_MS, &events[lo..hi]);
            }
        }
    }

    /// All events of one minute, sorted by time.
    fn generate_minute(&self, minute: i64, out: &mut Vec<Event>) {
        let mut rng = SplitMix64::new(stream_seed(self.seed, minute as u64));
        let start_ms = minute * MINUTE_MS;
        let c = self.conditions(minute);
        let version_shares = [1.0 - c.new_version_share, c.new_version_share];
        let flag_shares = [1.0 - shop::NEW_CHECKOUT_SHARE, shop::NEW_CHECKOUT_SHARE];
        for region in 0..REGIONS.len() {
            let requests = self.requests_per_minute(region, start_ms + MINUTE_MS / 2);
            for (endpoint, ep) in ENDPOINTS.iter().enumerate() {
                let ok_rate = if c.live {
                    ep.live_sample_rate
                } else {
                    ep.history_sample_rate
                };
                for (version, version_share) in version_shares.iter().enumerate() {
                    if *version_share <= 0.0 {
                        continue;
                    }
                    for (flag, flag_share) in flag_shares.iter().enumerate() {
                        let cohort = Cohort {
                            region,
                            version,
                            new_checkout: flag == 1,
                        };
                        let mean = requests * ep.share * version_share * flag_share;
                        let failure = failure(ep, cohort, &c);
                        let p = failure.total();
                        let failed = rng.poisson(mean * p / f64::from(shop::ERROR_SAMPLE_RATE));
                        let succeeded = rng.poisson(mean * (1.0 - p) / f64::from(ok_rate));
                        for _ in 0..failed {
                            let provider_caused = rng.unit() * p >= failure.own;
                            let cause = if provider_caused {
                                Cause::Provider
                            } else {
                                Cause::Own
                            };
                            out.push(draw_event(
                                &mut rng,
                                start_ms,
                                endpoint,
                                cohort,
                                Some(cause),
                                &c,
                            ));
                        }
                        for _ in 0..succeeded {
                            let mut e = draw_event(&mut rng, start_ms, endpoint, cohort, None, &c);
                            e.sample_rate = ok_rate;
                            out.push(e);
                        }
                    }
                }
            }
        }
        out.sort_by_key(|e| e.at_ms);
    }

    fn conditions(&self, minute: i64) -> Conditions {
        let start_ms = minute * MINUTE_MS;
        Conditions {
            live: minute >= self.live_from_minute,
            new_version_share: if start_ms >= self.rollout_ms {
                shop::NEW_VERSION_SHARE
            } else {
                0.0
            },
            outage: self.outage.contains(start_ms),
            regression: self.regression.contains(start_ms),
        }
    }

    /// True requests a region sends in a minute centred on `at_ms`.
    fn requests_per_minute(&self, region: usize, at_ms: i64) -> f64 {
        let offset_s = Timestamp::from_millisecond(at_ms)
            .map(|t| i64::from(self.zones[region].to_offset(t).seconds()))
            .unwrap_or(i64::from(REGIONS[region].fallback_offset_s));
        let local_s = at_ms.div_euclid(1000) + offset_s;
        let hour = local_s.rem_euclid(86_400) as f64 / 3600.0;
        // 1970-01-01 was a Thursday; index 0 is Monday.
        let weekday = (local_s.div_euclid(86_400) + 3).rem_euclid(7) as usize;
        REGIONS[region].peak_rps * 60.0 * shop::diurnal_factor(hour) * shop::WEEKDAY_FACTOR[weekday]
    }
}

/// Why a failed request failed.
#[derive(Clone, Copy)]
enum Cause {
    Own,
    Provider,
}

fn failure(ep: &Endpoint, cohort: Cohort, c: &Conditions) -> Failure {
    let provider = if c.outage && cohort.region == shop::OUTAGE_REGION {
        shop::OUTAGE_CHARGE_FAILURE
    } else {
        shop::PROVIDER_FAILURE_PROBABILITY
    };
    let own = ep.error_probability;
    let affected = c.regression && cohort.version == shop::NEW_VERSION && cohort.new_checkout;
    match ep.kind {
        Kind::Checkout if affected => Failure {
            own: shop::REGRESSION_CHECKOUT_ERRORS,
            provider,
        },
        Kind::Checkout => Failure { own, provider },
        Kind::Charge => Failure { own: 0.0, provider },
        _ => Failure { own, provider: 0.0 },
    }
}

/// Draws everything about one request but its count; `failed` says whether
/// and why it failed. The sample rate is the error rate; the caller sets a
/// success's own.
fn draw_event(
    rng: &mut SplitMix64,
    start_ms: i64,
    endpoint: usize,
    cohort: Cohort,
    failed: Option<Cause>,
    c: &Conditions,
) -> Event {
    let ep = &ENDPOINTS[endpoint];
    let region = &REGIONS[cohort.region];
    let at_ms = start_ms + rng.below(MINUTE_MS as u64) as i64;
    let tier = pick(rng, &shop::TIERS);
    let place = if ep.kind == Kind::FirstAction {
        region.client_latency
    } else {
        region.server_latency
    };
    let mut duration_ms = ep.median_ms * (ep.sigma * rng.standard_normal()).exp() * place;
    if rng.chance(ep.tail_probability) {
        duration_ms *= ep.tail_factor;
    }
    if ep.kind == Kind::Search
        && c.regression
        && cohort.version == shop::NEW_VERSION
        && cohort.new_checkout
    {
        duration_ms *= shop::REGRESSION_SEARCH_SLOWDOWN;
    }
    let route = if ep.kind == Kind::FirstAction {
        shop::FIRST_ACTION_PAGES[pick(rng, &shop::FIRST_ACTION_PAGES)].0
    } else {
        ep.route
    };
    let mut status_code = match ep.kind {
        Kind::FirstAction => 0,
        Kind::AddToCart => 201,
        _ => 200,
    };
    let mut error_type = None;
    let mut outcome = None;
    match failed {
        Some(Cause::Own) => {
            // Crashes and refused writes answer fast.
            duration_ms *= 0.6;
            status_code = 500;
            error_type = Some("500");
        }
        Some(Cause::Provider) => {
            let timed_out = rng.chance(shop::TIMEOUT_SHARE);
            let waited = if timed_out {
                shop::CHARGE_TIMEOUT_MS + rng.unit() * 20.0
            } else {
                70.0 * (0.3 * rng.standard_normal()).exp()
            };
            let (code, kind) = match (ep.kind, timed_out) {
                (Kind::Charge, true) => (0, "timeout"),
                (Kind::Charge, false) => (503, "503"),
                (_, true) => (504, "504"),
                (_, false) => (502, "502"),
            };
            // The checkout did its own work (about a third of its time) before charging.
            duration_ms = if ep.kind == Kind::Charge {
                waited
            } else {
                duration_ms / 3.0 + waited
            };
            status_code = code;
            error_type = Some(kind);
        }
        None => {}
    }
    if ep.kind == Kind::Checkout {
        outcome = Some(if failed.is_some() {
            "failed"
        } else {
            let factor = if cohort.new_checkout {
                shop::NEW_CHECKOUT_ABANDON_FACTOR
            } else {
                1.0
            };
            if rng.chance(shop::ABANDON_PROBABILITY[tier] * factor) {
                "abandoned"
            } else {
                status_code = 201;
                "completed"
            }
        });
    }
    Event {
        at_ms,
        endpoint,
        region: cohort.region,
        version: cohort.version,
        new_checkout: cohort.new_checkout,
        tier,
        failed: failed.is_some(),
        duration_ms,
        sample_rate: shop::ERROR_SAMPLE_RATE,
        route,
        status_code,
        error_type,
        outcome,
        trace_id: [rng.next_u64(), rng.next_u64()],
        span_id: rng.next_u64(),
    }
}

/// Index drawn from `(value, probability)` pairs; the last absorbs rounding.
fn pick<T>(rng: &mut SplitMix64, choices: &[(T, f64)]) -> usize {
    let mut u = rng.unit();
    for (i, (_, p)) in choices.iter().enumerate() {
        if u < *p {
            return i;
        }
        u -= p;
    }
    choices.len() - 1
}

/// `YYYY-MM-DDTHH:MM:` of a minute, shared by all its events' timestamps.
fn minute_prefix(minute_start: i64) -> [u8; 17] {
    let mut prefix = *b"0000-01-01T00:00:";
    if let Ok(t) = Timestamp::from_millisecond(minute_start) {
        let d = Offset::UTC.to_datetime(t);
        let fields = [
            (0, 4, d.year() as u32),
            (5, 2, d.month() as u32),
            (8, 2, d.day() as u32),
            (11, 2, d.hour() as u32),
            (14, 2, d.minute() as u32),
        ];
        for (at, width, mut value) in fields {
            for i in (at..at + width).rev() {
                prefix[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
    }
    prefix
}

fn write_event(out: &mut Vec<u8>, prefix: &[u8; 17], minute_start: i64, e: &Event) {
    let ep = &ENDPOINTS[e.endpoint];
    let in_minute = (e.at_ms - minute_start) as u64;
    out.extend_from_slice(b"{\"timestamp\":\"");
    out.extend_from_slice(prefix);
    push_padded(out, in_minute / 1000, 2);
    out.push(b'.');
    push_padded(out, in_minute % 1000, 3);
    out.extend_from_slice(b"Z\",\"name\":\"");
    out.extend_from_slice(ep.name.as_bytes());
    out.extend_from_slice(b"\",\"duration_ms\":");
    let tenths = (e.duration_ms * 10.0).round() as u64;
    push_u64(out, tenths / 10);
    out.push(b'.');
    out.push(b'0' + (tenths % 10) as u8);
    out.extend_from_slice(if e.failed {
        b",\"status\":\"error\""
    } else {
        b",\"status\":\"ok\""
    });
    out.extend_from_slice(b",\"sample_rate\":");
    push_u64(out, u64::from(e.sample_rate));
    out.extend_from_slice(b",\"attributes\":{\"service.name\":\"");
    out.extend_from_slice(ep.service.as_bytes());
    out.push(b'"');
    push_attribute(out, "http.route", e.route);
    if e.status_code != 0 {
        out.extend_from_slice(b",\"http.response.status_code\":\"");
        push_u64(out, u64::from(e.status_code));
        out.push(b'"');
    }
    if let Some(t) = e.error_type {
        push_attribute(out, "error.type", t);
    }
    if let Some(o) = e.outcome {
        push_attribute(out, "outcome", o);
    }
    if ep.kind == Kind::Charge {
        push_attribute(out, "peer.service", "payments-provider");
    }
    push_attribute(out, "region", REGIONS[e.region].name);
    push_attribute(out, "version", shop::VERSIONS[e.version]);
    push_attribute(
        out,
        "feature.new_checkout",
        if e.new_checkout { "on" } else { "off" },
    );
    push_attribute(out, "customer.tier", shop::TIERS[e.tier].0);
    out.extend_from_slice(b",\"trace_id\":\"");
    push_hex(out, e.trace_id[0]);
    push_hex(out, e.trace_id[1]);
    out.extend_from_slice(b"\",\"span_id\":\"");
    push_hex(out, e.span_id);
    out.extend_from_slice(b"\"}}\n");
}

/// A range of demo traffic as its senders deliver it (see [`Demo::telemetry`]).
#[derive(Clone, Debug, Default)]
pub struct Telemetry {
    /// Spans and other events, NDJSON for `/api/v1/events`.
    pub ndjson: Vec<u8>,
    pub ndjson_events: u64,
    /// Journey milestones, an OTLP/JSON logs export for `/v1/logs`; empty
    /// when the range holds none.
    pub otlp_logs_json: Vec<u8>,
    pub log_records: u64,
}

/// Appends an OTLP/JSON `KeyValue` with a string value; keys and values are
/// the model's own constants, none of which needs JSON escaping.
fn push_otlp_string(out: &mut Vec<u8>, key: &str, value: &str) {
    out.extend_from_slice(b"{\"key\":\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\",\"value\":{\"stringValue\":\"");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\"}}");
}

/// One milestone as an OTLP/JSON log record (times in decimal nanoseconds
/// as strings, ids in hex), written straight into `out`: the demo's
/// backfill sends a few hundred thousand of them.
fn write_log_record(out: &mut Vec<u8>, e: &Event) {
    let ep = &ENDPOINTS[e.endpoint];
    out.extend_from_slice(b"{\"timeUnixNano\":\"");
    push_u64(out, e.at_ms.max(0) as u64);
    out.extend_from_slice(b"000000\",\"eventName\":\"");
    out.extend_from_slice(ep.name.as_bytes());
    out.extend_from_slice(if e.failed {
        b"\",\"severityNumber\":17,\"severityText\":\"ERROR\""
    } else {
        b"\",\"severityNumber\":9,\"severityText\":\"INFO\""
    });
    out.extend_from_slice(
        b",\"body\":{\"stringValue\":\"visitor's first meaningful action\"},\"traceId\":\"",
    );
    push_hex(out, e.trace_id[0]);
    push_hex(out, e.trace_id[1]);
    out.extend_from_slice(b"\",\"spanId\":\"");
    push_hex(out, e.span_id);
    out.extend_from_slice(
        b"\",\"attributes\":[{\"key\":\"duration_ms\",\"value\":{\"doubleValue\":",
    );
    let tenths = (e.duration_ms * 10.0).round() as u64;
    push_u64(out, tenths / 10);
    out.push(b'.');
    out.push(b'0' + (tenths % 10) as u8);
    out.extend_from_slice(b"}},{\"key\":\"sample_rate\",\"value\":{\"intValue\":\"");
    push_u64(out, u64::from(e.sample_rate));
    out.extend_from_slice(b"\"}}");
    for (k, v) in [
        ("http.route", e.route),
        ("region", REGIONS[e.region].name),
        ("version", shop::VERSIONS[e.version]),
        (
            "feature.new_checkout",
            if e.new_checkout { "on" } else { "off" },
        ),
        ("customer.tier", shop::TIERS[e.tier].0),
    ] {
        out.push(b',');
        push_otlp_string(out, k, v);
    }
    out.extend_from_slice(b"]}");
}

/// Appends `,"key":"value"`; keys and values are the model's own constants,
/// none of which needs JSON escaping.
fn push_attribute(out: &mut Vec<u8>, key: &str, value: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":\"");
    out.extend_from_slice(value.as_bytes());
    out.push(b'"');
}

fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut rest = n;
    for i in (0..width).rev() {
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.extend_from_slice(&digits[..width]);
}

fn push_hex(out: &mut Vec<u8>, v: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        out.push(HEX[((v >> (shift * 4)) & 0xf) as usize]);
    }
}

/// `YYYY-MM-DD HH:MM` in UTC, for incident descriptions.
fn clock_text(at_ms: i64) -> String {
    Timestamp::from_millisecond(at_ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| format!("{at_ms} ms"))
}
