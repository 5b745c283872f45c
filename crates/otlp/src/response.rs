//! The answers to export requests, in the request's format.
//!
//! ```text
//! ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
//! ExportTracePartialSuccess  { int64 rejected_spans = 1; string error_message = 2; }
//! ExportLogsServiceResponse  { ExportLogsPartialSuccess partial_success = 1; }
//! ExportLogsPartialSuccess   { int64 rejected_log_records = 1; string error_message = 2; }
//! ExportMetricsServiceResponse  { ExportMetricsPartialSuccess partial_success = 1; }
//! ExportMetricsPartialSuccess   { int64 rejected_data_points = 1; string error_message = 2; }
//! ```
//!
//! OTLP says a fully successful answer leaves `partial_success` unset, and
//! an answer that rejected some items sets it with their number and a
//! message; a message with nothing rejected is a warning. So `partial_success`
//! is written when `rejected > 0` or the message is not empty, and the
//! answer is otherwise empty (no bytes in protobuf, `{}` in JSON). Zero and
//! empty fields are left out, as proto3 does; JSON writes the int64 as a
//! decimal string (the protobuf JSON mapping). Which items to reject is the
//! server's decision; this module only writes the answer.

#[cfg(test)]
mod tests;

use crate::decoder::Format;

/// The `Content-Type` of an answer in `format`.
pub fn content_type(format: Format) -> &'static str {
    match format {
        Format::Protobuf => "application/x-protobuf",
        Format::Json => "application/json",
    }
}

/// Appends an `ExportTraceServiceResponse` to `out`.
pub fn encode_trace_response(
    rejected_spans: u64,
    error_message: &str,
    format: Format,
    out: &mut Vec<u8>,
) {
    encode(rejected_spans, "rejectedSpans", error_message, format, out);
}

/// Appends an `ExportLogsServiceResponse` to `out`.
pub fn encode_logs_response(
    rejected_log_records: u64,
    error_message: &str,
    format: Format,
    out: &mut Vec<u8>,
) {
    encode(
        rejected_log_records,
        "rejectedLogRecords",
        error_message,
        format,
        out,
    );
}

/// Appends an `ExportMetricsServiceResponse` to `out`.
pub fn encode_metrics_response(
    rejected_data_points: u64,
    error_message: &str,
    format: Format,
    out: &mut Vec<u8>,
) {
    encode(
        rejected_data_points,
        "rejectedDataPoints",
        error_message,
        format,
        out,
    );
}

fn encode(rejected: u64, json_name: &str, message: &str, format: Format, out: &mut Vec<u8>) {
    let partial = rejected > 0 || !message.is_empty();
    match format {
        Format::Protobuf => {
            if !partial {
                return;
            }
            let mut inner = Vec::with_capacity(message.len() + 16);
            if rejected > 0 {
                inner.push(0x08);
                put_varint(&mut inner, rejected);
            }
            if !message.is_empty() {
                inner.push(0x12);
                put_varint(&mut inner, message.len() as u64);
                inner.extend_from_slice(message.as_bytes());
            }
            out.push(0x0a);
            put_varint(out, inner.len() as u64);
            out.extend_from_slice(&inner);
        }
        Format::Json => {
            if !partial {
                out.extend_from_slice(b"{}");
                return;
            }
            out.extend_from_slice(b"{\"partialSuccess\":{");
            if rejected > 0 {
                out.extend_from_slice(format!("\"{json_name}\":\"{rejected}\"").as_bytes());
            }
            if !message.is_empty() {
                if rejected > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"\"errorMessage\":");
                // Serialising a str into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, message);
            }
            out.extend_from_slice(b"}}");
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
