//! Owned copies of the events a decoder hands out, and one-call decode
//! helpers, so tests compare plain values.

use ingest::Event;
use otlp::{
    DecodeSummary, Format, LogDecoder, LogSelection, OtlpError, SpanSelection, TraceDecoder,
};

/// An `ingest::Event` with its borrows copied.
#[derive(Clone, Debug, PartialEq)]
pub struct Owned {
    pub timestamp_ms: i64,
    pub name: String,
    pub duration_ms: Option<f64>,
    pub error: bool,
    pub weight: f64,
    pub attributes: Vec<(String, String)>,
}

impl Owned {
    pub fn of(ev: &Event<'_>) -> Owned {
        Owned {
            timestamp_ms: ev.timestamp_ms,
            name: ev.name.to_owned(),
            duration_ms: ev.duration_ms,
            error: ev.status_error,
            weight: ev.sample_rate,
            attributes: ev
                .attributes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The value filters see: the last duplicate.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn keys(&self) -> Vec<&str> {
        self.attributes.iter().map(|(k, _)| k.as_str()).collect()
    }
}

pub fn traces(
    body: &[u8],
    format: Format,
    selection: &SpanSelection,
) -> Result<(Vec<Owned>, DecodeSummary), OtlpError> {
    let mut events = Vec::new();
    let summary = TraceDecoder::new().decode(body, format, selection, &mut |ev| {
        events.push(Owned::of(ev))
    })?;
    Ok((events, summary))
}

pub fn logs(
    body: &[u8],
    format: Format,
    selection: &LogSelection,
) -> Result<(Vec<Owned>, DecodeSummary), OtlpError> {
    let mut events = Vec::new();
    let summary = LogDecoder::new().decode(body, format, selection, &mut |ev| {
        events.push(Owned::of(ev))
    })?;
    Ok((events, summary))
}

/// Decodes spans that must decode, in both formats when `json` is given,
/// checking that the two agree.
pub fn spans_of(
    protobuf: &[u8],
    json: Option<&[u8]>,
    selection: &SpanSelection,
) -> (Vec<Owned>, DecodeSummary) {
    let (events, summary) = traces(protobuf, Format::Protobuf, selection).unwrap();
    if let Some(json) = json {
        let (json_events, json_summary) = traces(json, Format::Json, selection).unwrap();
        assert_eq!(json_events, events, "json and protobuf disagree");
        assert_eq!(json_summary, summary, "json and protobuf disagree");
    }
    (events, summary)
}
