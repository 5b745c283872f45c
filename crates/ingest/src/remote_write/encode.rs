//! The writing side of the remote-write wire format, for tests, benchmarks
//! and load generators (`lodestar-rw-load`): one implementation, so they all
//! send what Prometheus sends. It writes every field, zeros included, in
//! field order, labels as given (Prometheus sorts them by name; callers
//! that want to look like Prometheus pass them sorted).
//!
//! Nothing on the ingest path uses this module.

/// Builds a `WriteRequest` series by series.
#[derive(Clone, Debug, Default)]
pub struct WriteRequestEncoder {
    buf: Vec<u8>,
    series: u64,
}

impl WriteRequestEncoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one `TimeSeries` with these labels and (value, timestamp ms) samples.
    pub fn push_series<N: AsRef<str>, V: AsRef<str>>(
        &mut self,
        labels: &[(N, V)],
        samples: &[(f64, i64)],
    ) {
        let label_len = |n: &str, v: &str| field_len(n.len()) + field_len(v.len());
        let sample_len = |ts: i64| 1 + 8 + 1 + varint_len(ts as u64);
        let series_len: usize = labels
            .iter()
            .map(|(n, v)| field_len(label_len(n.as_ref(), v.as_ref())))
            .sum::<usize>()
            + samples
                .iter()
                .map(|(_, ts)| field_len(sample_len(*ts)))
                .sum::<usize>();
        self.buf.push(0x0a);
        put_varint(&mut self.buf, series_len as u64);
        for (n, v) in labels {
            let (n, v) = (n.as_ref(), v.as_ref());
            self.buf.push(0x0a);
            put_varint(&mut self.buf, label_len(n, v) as u64);
            put_bytes(&mut self.buf, 0x0a, n.as_bytes());
            put_bytes(&mut self.buf, 0x12, v.as_bytes());
        }
        for (value, ts) in samples {
            self.buf.push(0x12);
            put_varint(&mut self.buf, sample_len(*ts) as u64);
            self.buf.push(0x09);
            self.buf.extend_from_slice(&value.to_bits().to_le_bytes());
            self.buf.push(0x10);
            put_varint(&mut self.buf, *ts as u64);
        }
        self.series += 1;
    }

    /// Appends raw protobuf bytes (tests use it for fields this encoder
    /// does not write, such as exemplars or unknown fields).
    pub fn push_raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Number of series pushed.
    pub fn series(&self) -> u64 {
        self.series
    }

    /// The uncompressed protobuf.
    pub fn protobuf(&self) -> &[u8] {
        &self.buf
    }

    /// The body as sent over HTTP: snappy block format.
    pub fn to_snappy(&self) -> Vec<u8> {
        snappy(&self.buf)
    }

    /// Forgets the series, keeping the allocation.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.series = 0;
    }
}

/// Compresses bytes in snappy's block format (not the framed format), as
/// remote write requires.
pub fn snappy(bytes: &[u8]) -> Vec<u8> {
    // Compression fails only when the input exceeds snappy's 4 GiB block
    // limit; such a body could never be sent.
    snap::raw::Encoder::new()
        .compress_vec(bytes)
        .unwrap_or_default()
}

/// Appends a base-128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        out.push((x as u8) | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

fn put_bytes(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    out.push(tag);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn varint_len(x: u64) -> usize {
    (64 - (x | 1).leading_zeros() as usize).div_ceil(7)
}

/// Size of a one-byte tag, a length and `len` bytes of payload.
fn field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}
