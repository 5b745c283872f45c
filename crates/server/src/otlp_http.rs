//! OTLP/HTTP ingest (`POST /v1/traces`, `POST /v1/logs`, `POST
//! /v1/metrics`): bodies in protobuf or JSON, already un-gzipped, decoded by
//! the `otlp` crate into the same events NDJSON produces (spans, logs) or
//! into Prometheus-named series points that take the remote-write counter
//! path with the same `CounterState` (metrics), and stored durably before
//! the answer. Answers follow the OTLP/HTTP
//! specification: 200 with an `Export…ServiceResponse` (partial success
//! when some items were rejected), 400 with a `google.rpc.Status` for a body
//! that does not decode, 503 + Retry-After under overload.

use std::sync::atomic::Ordering;

use ingest::{MetricPoints, RemoteWriteReport};
use jiff::Timestamp;
use otlp::{
    DecodeSummary, Format, LeBound, LogDecoder, MetricDecoder, MetricSummary, TraceDecoder,
};

use crate::error::ApiError;
use crate::state::{AppState, with_batch};

/// Which OTLP signal a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtlpSignal {
    Traces,
    Logs,
    Metrics,
}

/// What an OTLP export did.
#[derive(Clone, Debug)]
pub enum OtlpOutcome {
    /// Spans or log records, as events.
    Events {
        /// The decoder's account of the request.
        summary: DecodeSummary,
        /// Items counted but outside the accepted time range (older than
        /// retention or more than 5 minutes ahead), so not stored.
        out_of_range: u64,
    },
    /// Metric data points, as counter series.
    Metrics {
        /// The decoder's account of the request.
        summary: MetricSummary,
        /// What the counter path did with the series points.
        report: RemoteWriteReport,
    },
}

impl OtlpOutcome {
    /// Items refused: spans or log records (decoder rejections plus
    /// out-of-range times), or data points (refused by the decoder, or with
    /// a series point refused by the counter path).
    pub fn rejected(&self) -> u64 {
        match self {
            OtlpOutcome::Events {
                summary,
                out_of_range,
            } => summary.rejected + out_of_range,
            OtlpOutcome::Metrics { report, .. } => report.rejected_points,
        }
    }

    /// Items accepted.
    pub fn accepted(&self) -> u64 {
        match self {
            OtlpOutcome::Events {
                summary,
                out_of_range,
            } => summary.counted - out_of_range,
            OtlpOutcome::Metrics { summary, report } => summary
                .data_points
                .saturating_sub(summary.no_value + report.rejected_points),
        }
    }

    /// The message for a partial success, empty when nothing was refused.
    pub fn message(&self) -> String {
        let (summary, out_of_range) = match self {
            OtlpOutcome::Events {
                summary,
                out_of_range,
            } => (summary, *out_of_range),
            OtlpOutcome::Metrics { summary, report } => {
                if report.rejected_points == 0 {
                    return String::new();
                }
                let mut msg = format!(
                    "{} of {} data points rejected: {}",
                    report.rejected_points,
                    summary.data_points,
                    report.errors.join("; ")
                );
                if report.rejected > report.errors.len() as u64 {
                    msg.push_str("; ...");
                }
                return msg;
            }
        };
        let mut parts = Vec::new();
        if summary.rejected > 0 {
            parts.push(format!(
                "{} rejected by the decoder (e.g. missing times)",
                summary.rejected
            ));
        }
        if out_of_range > 0 {
            parts.push(format!(
                "{out_of_range} older than the retention or more than 5 minutes in the future"
            ));
        }
        parts.join("; ")
    }
}

/// The body format from a `Content-Type`, as OTLP/HTTP names them.
pub fn format_of(content_type: Option<&str>) -> Result<Format, ApiError> {
    let ct = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Format::Protobuf),
        "application/json" => Ok(Format::Json),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "content-type {other:?} is not an OTLP encoding; expected application/x-protobuf or application/json"
        ))),
    }
}

/// Problems listed in a metrics partial-success message.
const MAX_LISTED: u64 = 5;

impl AppState {
    /// Decodes an OTLP export body, matches its events (or metric series)
    /// against the SLIs and stores them durably (on Ok they survive a
    /// crash). Blocking.
    pub fn ingest_otlp(
        &self,
        signal: OtlpSignal,
        body: &[u8],
        format: Format,
    ) -> Result<OtlpOutcome, ApiError> {
        thread_local! {
            static TRACES: std::cell::RefCell<TraceDecoder> = std::cell::RefCell::new(TraceDecoder::new());
            static LOGS: std::cell::RefCell<LogDecoder> = std::cell::RefCell::new(LogDecoder::new());
        }
        let traces = match signal {
            OtlpSignal::Traces => true,
            OtlpSignal::Logs => false,
            OtlpSignal::Metrics => return self.ingest_otlp_metrics(body, format),
        };
        let now = self.clock.now();
        let catalog = self.catalog();
        let oldest_ms = now
            .checked_sub(jiff::SignedDuration::from_mins(
                self.options.retention_minutes,
            ))
            .unwrap_or(Timestamp::MIN)
            .as_millisecond();
        let newest_ms = now.as_millisecond() + 300_000;
        let outcome = with_batch(|batch| {
            let mut out_of_range = 0u64;
            let mut emit = |ev: &ingest::Event<'_>| {
                if ev.timestamp_ms < oldest_ms || ev.timestamp_ms > newest_ms {
                    out_of_range += 1;
                } else {
                    catalog.pipeline.ingest_event(ev, batch);
                }
            };
            let decoded = if traces {
                TRACES.with_borrow_mut(|d| {
                    d.decode(body, format, &self.options.otlp_spans, &mut emit)
                })
            } else {
                LOGS.with_borrow_mut(|d| d.decode(body, format, &self.options.otlp_logs, &mut emit))
            };
            // A body that fails part-way is refused whole: nothing of it is stored.
            let summary = decoded.map_err(|e| ApiError::BadRequest(e.to_string()))?;
            self.append_batch(batch, "OTLP events")?;
            Ok::<_, ApiError>(OtlpOutcome::Events {
                summary,
                out_of_range,
            })
        })?;
        self.count_otlp(&outcome);
        Ok(outcome)
    }

    /// The metrics branch: data points become Prometheus-named series points
    /// (`otlp::naming`), which go through the remote-write counter path with
    /// the server's one `CounterState`, so OTLP and remote-write series of
    /// the same name and labels are one series.
    fn ingest_otlp_metrics(&self, body: &[u8], format: Format) -> Result<OtlpOutcome, ApiError> {
        thread_local! {
            static METRICS: std::cell::RefCell<(MetricDecoder, MetricPoints)> =
                std::cell::RefCell::new((MetricDecoder::new(), MetricPoints::new()));
        }
        let now = self.clock.now();
        let catalog = self.catalog();
        let le_bounds: Vec<LeBound> = catalog
            .pipeline
            .le_bounds()
            .into_iter()
            .map(|(value, text)| LeBound { value, text })
            .collect();
        let limits = ingest::Limits {
            oldest_allowed: now
                .checked_sub(jiff::SignedDuration::from_mins(
                    self.options.retention_minutes,
                ))
                .unwrap_or(Timestamp::MIN),
            max_listed_errors: MAX_LISTED as usize,
            max_decoded_bytes: self.options.limits.max_body_bytes,
            ..ingest::Limits::with_oldest_allowed(Timestamp::MIN)
        };
        let outcome = METRICS.with_borrow_mut(|(decoder, points)| {
            // A body that fails part-way is refused whole: nothing of it is stored.
            let summary = decoder
                .decode(body, format, &le_bounds, points)
                .map_err(|e| ApiError::BadRequest(e.to_string()))?;
            with_batch(|batch| {
                let report =
                    catalog
                        .pipeline
                        .ingest_points(points, &limits, now, &self.remote_write, batch);
                // As for remote write, a failed append loses these increases:
                // the counter baselines have already moved on.
                self.append_batch(batch, "OTLP metric points")?;
                Ok::<_, ApiError>(OtlpOutcome::Metrics { summary, report })
            })
        })?;
        self.count_otlp(&outcome);
        Ok(outcome)
    }

    fn count_otlp(&self, outcome: &OtlpOutcome) {
        let c = &self.counters;
        c.otlp_requests.fetch_add(1, Ordering::Relaxed);
        c.otlp_accepted
            .fetch_add(outcome.accepted(), Ordering::Relaxed);
        c.otlp_rejected
            .fetch_add(outcome.rejected(), Ordering::Relaxed);
    }
}

/// A `google.rpc.Status` body (the OTLP/HTTP error answer) in `format`.
pub fn status_body(code: i32, message: &str, format: Format) -> Vec<u8> {
    match format {
        Format::Json => serde_json::json!({ "code": code, "message": message })
            .to_string()
            .into_bytes(),
        Format::Protobuf => {
            let mut out = Vec::with_capacity(message.len() + 8);
            if code != 0 {
                out.push(0x08);
                put_varint(&mut out, code as u64);
            }
            if !message.is_empty() {
                out.push(0x12);
                put_varint(&mut out, message.len() as u64);
                out.extend_from_slice(message.as_bytes());
            }
            out
        }
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_map_to_formats() {
        assert_eq!(
            format_of(Some("application/x-protobuf")).unwrap(),
            Format::Protobuf
        );
        assert_eq!(
            format_of(Some("application/json; charset=utf-8")).unwrap(),
            Format::Json
        );
        let e = format_of(Some("text/plain")).unwrap_err().to_string();
        assert!(
            e.contains("\"text/plain\"") && e.contains("application/x-protobuf"),
            "{e}"
        );
        assert!(format_of(None).is_err());
    }

    #[test]
    fn status_bodies_encode_code_and_message() {
        assert_eq!(
            status_body(3, "bad", Format::Protobuf),
            [0x08, 3, 0x12, 3, b'b', b'a', b'd']
        );
        assert_eq!(
            String::from_utf8(status_body(14, "busy", Format::Json)).unwrap(),
            r#"{"code":14,"message":"busy"}"#
        );
    }
}
