//! The borrowed event every decoder produces and every filter reads.
//!
//! An `Event` only borrows: decoders (NDJSON here, OTLP later) point it at
//! their own buffers, so building one costs no allocation. It carries no
//! behaviour beyond attribute lookup and must not grow decoder-specific
//! fields: anything a filter can read is listed here.

/// One telemetry event, as filters and aggregation see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event<'a> {
    /// Milliseconds since the Unix epoch; selects the minute bucket.
    pub timestamp_ms: i64,
    /// The operation name (`""` when the source had none).
    pub name: &'a str,
    /// Duration in milliseconds, when the source measured one.
    pub duration_ms: Option<f64>,
    /// `status == "error"`; the only two statuses are ok and error.
    pub status_error: bool,
    /// How many events this one stands for (> 0; 1 when unsampled).
    pub sample_rate: f64,
    /// Attribute key/value pairs in source order; when a key repeats, the
    /// last occurrence wins, as with a JSON object.
    pub attributes: &'a [(&'a str, &'a str)],
}

impl<'a> Event<'a> {
    /// The value of attribute `key`, the last one when it repeats.
    pub fn attribute(&self, key: &str) -> Option<&'a str> {
        self.attribute_index(key).map(|i| self.attributes[i].1)
    }

    /// Index into `attributes` of the value of `key`. Scans backwards so that
    /// the last duplicate wins without a dedup pass at decode time.
    pub(crate) fn attribute_index(&self, key: &str) -> Option<usize> {
        self.attributes.iter().rposition(|(k, _)| *k == key)
    }

    /// `"ok"` or `"error"`, the value filters see for `status`.
    pub fn status(&self) -> &'static str {
        if self.status_error { "error" } else { "ok" }
    }
}
