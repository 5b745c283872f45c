//! OTLP/HTTP ingest (`POST /v1/traces`, `POST /v1/logs`): bodies in
//! protobuf or JSON, already un-gzipped, decoded by the `otlp` crate into
//! the same events NDJSON produces, matched by the same pipeline, and
//! stored durably before the answer. Answers follow the OTLP/HTTP
//! specification: 200 with an `Export…ServiceResponse` (partial success
//! when some items were rejected), 400 with a `google.rpc.Status` for a body
//! that does not decode, 503 + Retry-After under overload.

use std::sync::atomic::Ordering;

use jiff::Timestamp;
use otlp::{DecodeSummary, Format, LogDecoder, TraceDecoder};

use crate::error::ApiError;
use crate::state::{AppState, with_batch};

/// Which OTLP signal a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtlpSignal {
    Traces,
    Logs,
}

/// What an OTLP export did.
#[derive(Clone, Debug)]
pub struct OtlpOutcome {
    /// The decoder's account of the request.
    pub summary: DecodeSummary,
    /// Items counted but outside the accepted time range (older than
    /// retention or more than 5 minutes ahead), so not stored.
    pub out_of_range: u64,
}

impl OtlpOutcome {
    /// Items refused (decoder rejections plus out-of-range times).
    pub fn rejected(&self) -> u64 {
        self.summary.rejected + self.out_of_range
    }

    /// The message for a partial success, empty when nothing was refused.
    pub fn message(&self) -> String {
        let mut parts = Vec::new();
        if self.summary.rejected > 0 {
            parts.push(format!(
                "{} rejected by the decoder (e.g. missing times)",
                self.summary.rejected
            ));
        }
        if self.out_of_range > 0 {
            parts.push(format!(
                "{} older than the retention or more than 5 minutes in the future",
                self.out_of_range
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

impl AppState {
    /// Decodes an OTLP export body, matches its events against the SLIs and
    /// stores them durably (on Ok they survive a crash). Blocking.
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
            let decoded = match signal {
                OtlpSignal::Traces => TRACES.with_borrow_mut(|d| {
                    d.decode(body, format, &self.options.otlp_spans, &mut emit)
                }),
                OtlpSignal::Logs => LOGS.with_borrow_mut(|d| {
                    d.decode(body, format, &self.options.otlp_logs, &mut emit)
                }),
            };
            // A body that fails part-way is refused whole: nothing of it is stored.
            let summary = decoded.map_err(|e| ApiError::BadRequest(e.to_string()))?;
            self.append_batch(batch, "OTLP events")?;
            Ok::<_, ApiError>(OtlpOutcome {
                summary,
                out_of_range,
            })
        })?;
        let c = &self.counters;
        c.otlp_requests.fetch_add(1, Ordering::Relaxed);
        c.otlp_accepted.fetch_add(
            outcome.summary.counted - outcome.out_of_range,
            Ordering::Relaxed,
        );
        c.otlp_rejected
            .fetch_add(outcome.rejected(), Ordering::Relaxed);
        Ok(outcome)
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
