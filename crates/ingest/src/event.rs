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
        self.attributes.iter().rposition(|(k, _)| same_text(k, key))
    }

    /// `"ok"` or `"error"`, the value filters see for `status`.
    pub fn status(&self) -> &'static str {
        if self.status_error { "error" } else { "ok" }
    }
}

/// String equality tuned for the short keys and values of telemetry: the
/// generic `==` calls `memcmp`, whose call costs more than comparing a
/// route or a region. Two overlapping word loads cover 8 to 16 bytes.
#[inline]
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    match n {
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests;
