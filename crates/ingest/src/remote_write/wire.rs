//! A borrowed walker over the protobuf of a remote-write 1.0 `WriteRequest`.
//!
//! ```text
//! WriteRequest { repeated TimeSeries timeseries = 1; }            // metadata = 3 skipped
//! TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
//!                repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
//! Label        { string name = 1; string value = 2; }
//! Sample       { double value = 1; int64 timestamp = 2; }         // milliseconds
//! ```
//!
//! The walker never copies a label: it hashes the labels in place (the
//! series key) and records where each series' message lies, so labels are
//! looked at again only for a series never seen before. The key is a hash of
//! the labels' canonical encoding (each `Label` as name then value, minimal
//! lengths), so it does not depend on how a sender orders a label's fields
//! or where samples sit; labels already canonical, which is what Prometheus
//! sends, are hashed as they lie, several at a time. Samples go into a
//! flat, reused vector. The whole body is walked before anything is applied,
//! so a malformed body changes no state. Unknown fields are skipped by wire
//! type, as protobuf requires; a known field with the wrong wire type, a
//! group, a truncated field or a varint over 64 bits is an error at its byte
//! offset. Exemplars and native histograms are counted and skipped.
//!
//! This module must not allocate per label or per sample (beyond the
//! amortised growth of the caller's vectors) and must not panic on any input.

#[cfg(test)]
mod tests;

use std::ops::Range;

/// A body that is not a well-formed `WriteRequest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WireError {
    /// Byte offset in the decompressed body.
    pub(crate) offset: usize,
    pub(crate) message: String,
}

const VARINT: u8 = 0;
const I64: u8 = 1;
const LEN: u8 = 2;
const I32: u8 = 5;

/// One `TimeSeries` of a walked body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SeriesRef {
    /// Hash of the label names and values, in order (see [`LabelHasher`]).
    pub(crate) key: u64,
    /// The series' message bytes, for [`labels_of`].
    pub(crate) body: Range<usize>,
    /// Its samples: a range of [`Walked::samples`].
    pub(crate) samples: Range<usize>,
}

/// Everything the walk found; reused across bodies.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    pub(crate) series: Vec<SeriesRef>,
    /// (value, timestamp in ms) of every sample, series after series.
    pub(crate) samples: Vec<(f64, i64)>,
    pub(crate) exemplars: u64,
    pub(crate) histograms: u64,
}

impl Walked {
    pub(crate) fn clear(&mut self) {
        self.series.clear();
        self.samples.clear();
        self.exemplars = 0;
        self.histograms = 0;
    }
}

/// Walks a whole `WriteRequest` into `out` (cleared first).
pub(crate) fn walk(buf: &[u8], seed: u64, out: &mut Walked) -> Result<(), WireError> {
    out.clear();
    let mut r = Reader::new(buf, 0..buf.len());
    while !r.done() {
        let (field, wire, at) = r.tag()?;
        match field {
            1 => {
                let body = r.message(wire, at, "timeseries", "WriteRequest")?;
                let first_sample = out.samples.len();
                let mut hasher = LabelHasher::new(seed);
                let (exemplars, histograms) =
                    series_into(buf, body.clone(), &mut hasher, &mut out.samples)?;
                out.exemplars += exemplars;
                out.histograms += histograms;
                out.series.push(SeriesRef {
                    key: hasher.finish(),
                    body,
                    samples: first_sample..out.samples.len(),
                });
            }
            _ => r.skip(wire, at)?,
        }
    }
    Ok(())
}

/// The (name, value) byte ranges of a series already accepted by [`walk`].
pub(crate) fn labels_of(
    buf: &[u8],
    body: Range<usize>,
    out: &mut Vec<(Range<usize>, Range<usize>)>,
) {
    out.clear();
    // `walk` validated this message, so this cannot fail; were it to, the
    // labels read so far are all there is.
    let _ = series_fields(buf, body, |n, v| out.push((n, v)), |_, _| {});
}

/// Walks one `TimeSeries` on the hot path: hashes its labels into `hasher`
/// and appends its samples; returns the numbers of exemplars and histograms
/// skipped. Validates exactly what [`series_fields`] does.
fn series_into(
    buf: &[u8],
    body: Range<usize>,
    hasher: &mut LabelHasher,
    samples: &mut Vec<(f64, i64)>,
) -> Result<(u64, u64), WireError> {
    let (mut exemplars, mut histograms) = (0, 0);
    // Canonical label fields not hashed yet; consecutive ones are hashed
    // in one call.
    let mut pending: Option<Range<usize>> = None;
    let mut r = Reader::new(buf, body);
    while !r.done() {
        let field_start = r.pos;
        let (field, wire, at) = r.tag()?;
        match field {
            1 => {
                let label = r.message(wire, at, "labels", "TimeSeries")?;
                if is_canonical_label(buf, field_start, &label) {
                    match &mut pending {
                        Some(p) if p.end == field_start => p.end = label.end,
                        _ => {
                            if let Some(p) = pending.take() {
                                hasher.write(&buf[p]);
                            }
                            pending = Some(field_start..label.end);
                        }
                    }
                } else {
                    let (name, value) = label_fields(buf, label)?;
                    if let Some(p) = pending.take() {
                        hasher.write(&buf[p]);
                    }
                    hasher.write_label(&buf[name], &buf[value]);
                }
            }
            2 => {
                let sample = r.message(wire, at, "samples", "TimeSeries")?;
                samples.push(sample_fields(buf, sample)?);
            }
            3 => {
                r.message(wire, at, "exemplars", "TimeSeries")?;
                exemplars += 1;
            }
            4 => {
                r.message(wire, at, "histograms", "TimeSeries")?;
                histograms += 1;
            }
            _ => r.skip(wire, at)?,
        }
    }
    if let Some(p) = pending {
        hasher.write(&buf[p]);
    }
    Ok((exemplars, histograms))
}

/// Whether the label field starting at `field_start` (tag `0x0a`, payload
/// `label`) is `0a n name 12 m value` with one-byte lengths: the encoding
/// `LabelHasher::write_label` produces, so its bytes can be hashed as they are.
#[inline]
fn is_canonical_label(buf: &[u8], field_start: usize, label: &Range<usize>) -> bool {
    let b = &buf[label.clone()];
    if label.start != field_start + 2 || b.len() < 4 || b[0] != 0x0a {
        return false;
    }
    let n = usize::from(b[1]);
    n < 0x80
        && b.get(2 + n) == Some(&0x12)
        && b.get(3 + n)
            .is_some_and(|&m| m < 0x80 && 4 + n + usize::from(m) == b.len())
}

/// Walks one `TimeSeries`, reporting each label's name and value ranges and
/// each sample; returns the numbers of exemplars and histograms skipped.
fn series_fields(
    buf: &[u8],
    body: Range<usize>,
    mut on_label: impl FnMut(Range<usize>, Range<usize>),
    mut on_sample: impl FnMut(f64, i64),
) -> Result<(u64, u64), WireError> {
    let (mut exemplars, mut histograms) = (0, 0);
    let mut r = Reader::new(buf, body);
    while !r.done() {
        let (field, wire, at) = r.tag()?;
        match field {
            1 => {
                let label = r.message(wire, at, "labels", "TimeSeries")?;
                let (name, value) = label_fields(buf, label)?;
                on_label(name, value);
            }
            2 => {
                let sample = r.message(wire, at, "samples", "TimeSeries")?;
                let (value, ts) = sample_fields(buf, sample)?;
                on_sample(value, ts);
            }
            3 => {
                r.message(wire, at, "exemplars", "TimeSeries")?;
                exemplars += 1;
            }
            4 => {
                r.message(wire, at, "histograms", "TimeSeries")?;
                histograms += 1;
            }
            _ => r.skip(wire, at)?,
        }
    }
    Ok((exemplars, histograms))
}

/// A `Label`: the last `name` and `value` win, absent ones are empty.
fn label_fields(buf: &[u8], body: Range<usize>) -> Result<(Range<usize>, Range<usize>), WireError> {
    let empty = body.start..body.start;
    let (mut name, mut value) = (empty.clone(), empty);
    let mut r = Reader::new(buf, body);
    while !r.done() {
        let (field, wire, at) = r.tag()?;
        match field {
            1 => name = r.message(wire, at, "name", "Label")?,
            2 => value = r.message(wire, at, "value", "Label")?,
            _ => r.skip(wire, at)?,
        }
    }
    Ok((name, value))
}

/// A `Sample`: the last `value` and `timestamp` win, absent ones are zero.
#[inline]
fn sample_fields(buf: &[u8], body: Range<usize>) -> Result<(f64, i64), WireError> {
    let b = &buf[body.clone()];
    // What Prometheus writes: `09 <8 bytes> 10 <varint>`, nothing else.
    if b.len() >= 11 && b[0] == 0x09 && b[9] == 0x10 {
        let mut r = Reader::new(buf, body.start + 10..body.end);
        if let Ok(ts) = r.varint()
            && r.done()
        {
            return Ok((f64::from_bits(word(&b[1..9])), ts as i64));
        }
    }
    let (mut value, mut ts) = (0.0, 0);
    let mut r = Reader::new(buf, body);
    while !r.done() {
        let (field, wire, at) = r.tag()?;
        match (field, wire) {
            (1, I64) => value = f64::from_bits(r.fixed64()?),
            (2, VARINT) => ts = r.varint()? as i64,
            (1, _) => return Err(wrong_wire(at, "value", "Sample", wire, I64)),
            (2, _) => return Err(wrong_wire(at, "timestamp", "Sample", wire, VARINT)),
            _ => r.skip(wire, at)?,
        }
    }
    Ok((value, ts))
}

fn wrong_wire(at: usize, field: &str, message: &str, found: u8, expected: u8) -> WireError {
    let name = |w: u8| match w {
        VARINT => "varint",
        I64 => "64-bit",
        LEN => "length-delimited",
        I32 => "32-bit",
        3 | 4 => "group",
        _ => "invalid",
    };
    WireError {
        offset: at,
        message: format!(
            "field {field} of {message} has wire type {found} ({}); expected {expected} ({})",
            name(found),
            name(expected)
        ),
    }
}

/// A cursor over `buf[range]`; offsets stay absolute for error messages.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], range: Range<usize>) -> Self {
        Reader {
            buf,
            pos: range.start,
            end: range.end.min(buf.len()),
        }
    }

    #[inline]
    fn done(&self) -> bool {
        self.pos >= self.end
    }

    #[inline]
    fn varint(&mut self) -> Result<u64, WireError> {
        let at = self.pos;
        if let Some(&b) = self.buf[..self.end].get(at)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(b));
        }
        let mut x = 0u64;
        for i in 0..10 {
            let Some(&b) = self.buf[..self.end].get(self.pos) else {
                return Err(WireError {
                    offset: at,
                    message: "truncated varint; the message ends inside it".to_owned(),
                });
            };
            self.pos += 1;
            if i == 9 && b > 1 {
                return Err(WireError {
                    offset: at,
                    message: "varint is longer than 64 bits".to_owned(),
                });
            }
            x |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(x);
            }
        }
        Err(WireError {
            offset: at,
            message: "varint is longer than 64 bits".to_owned(),
        })
    }

    /// (field number, wire type, offset of the tag).
    #[inline]
    fn tag(&mut self) -> Result<(u64, u8, usize), WireError> {
        let at = self.pos;
        let tag = self.varint()?;
        let field = tag >> 3;
        if field == 0 {
            return Err(WireError {
                offset: at,
                message: "field number 0 is not valid protobuf".to_owned(),
            });
        }
        Ok((field, (tag & 7) as u8, at))
    }

    fn fixed64(&mut self) -> Result<u64, WireError> {
        let bytes = self.take(8, "a 64-bit field")?;
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.buf[bytes]);
        Ok(u64::from_le_bytes(word))
    }

    fn take(&mut self, n: usize, what: &str) -> Result<Range<usize>, WireError> {
        let left = self.end - self.pos;
        if n > left {
            return Err(WireError {
                offset: self.pos,
                message: format!(
                    "{what} of {n} bytes runs past the end of its message ({left} bytes left)"
                ),
            });
        }
        let start = self.pos;
        self.pos += n;
        Ok(start..self.pos)
    }

    /// A length-delimited field's payload; `field`/`message` name it in errors.
    #[inline]
    fn message(
        &mut self,
        wire: u8,
        at: usize,
        field: &str,
        message: &str,
    ) -> Result<Range<usize>, WireError> {
        if wire != LEN {
            return Err(wrong_wire(at, field, message, wire, LEN));
        }
        let len = self.varint()?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        self.take(len, "a length-delimited field")
    }

    /// Skips an unknown field.
    fn skip(&mut self, wire: u8, at: usize) -> Result<(), WireError> {
        match wire {
            VARINT => self.varint().map(|_| ()),
            I64 => self.take(8, "a 64-bit field").map(|_| ()),
            LEN => {
                let len = self.varint()?;
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                self.take(len, "a length-delimited field").map(|_| ())
            }
            I32 => self.take(4, "a 32-bit field").map(|_| ()),
            3 | 4 => Err(WireError {
                offset: at,
                message: "protobuf groups (wire types 3 and 4) are not used by remote write"
                    .to_owned(),
            }),
            w => Err(WireError {
                offset: at,
                message: format!("invalid wire type {w}"),
            }),
        }
    }
}

/// A seeded 64-bit hash of a label set, fed the canonical encoding of its
/// labels as a byte stream: writing a span at once or in pieces gives the
/// same hash. It consumes 16 bytes per folded multiply, ends with the total
/// length, and derives its multiplier keys from the seed, so a sender cannot
/// aim for a weak input. Two different label sets collide with probability
/// about 2^-64: at a million series, a collision anywhere has odds near 3 in
/// 10^8.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LabelHasher {
    h: u64,
    k: [u64; 2],
    /// Bytes not yet mixed (fewer than 16).
    tail: [u8; 16],
    tail_len: usize,
    len: u64,
}

const K0: u64 = 0x243f_6a88_85a3_08d3;
const K1: u64 = 0x1319_8a2e_0370_7344;
const K2: u64 = 0xa409_3822_299f_31d0;
const K3: u64 = 0x082e_fa98_ec4e_6c89;

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

impl LabelHasher {
    pub(crate) fn new(seed: u64) -> Self {
        LabelHasher {
            h: seed,
            k: [fold_mul(seed ^ K2, K1) | 1, fold_mul(seed ^ K3, K0) | 1],
            tail: [0; 16],
            tail_len: 0,
            len: 0,
        }
    }

    #[inline]
    fn mix(&mut self, block: &[u8]) {
        let (a, b) = block.split_at(8);
        self.h = fold_mul(word(a) ^ self.h ^ self.k[0], word(b) ^ self.k[1]);
    }

    /// Feeds bytes of the stream.
    #[inline]
    pub(crate) fn write(&mut self, mut s: &[u8]) {
        self.len += s.len() as u64;
        if self.tail_len > 0 {
            let take = (16 - self.tail_len).min(s.len());
            self.tail[self.tail_len..self.tail_len + take].copy_from_slice(&s[..take]);
            self.tail_len += take;
            s = &s[take..];
            if self.tail_len < 16 {
                return;
            }
            let block = self.tail;
            self.mix(&block);
            self.tail_len = 0;
        }
        let mut chunks = s.chunks_exact(16);
        for c in &mut chunks {
            self.mix(c);
        }
        let rest = chunks.remainder();
        self.tail[..rest.len()].copy_from_slice(rest);
        self.tail_len = rest.len();
    }

    /// Feeds one label in its canonical encoding (what
    /// `is_canonical_label` accepts, with lengths of any size).
    pub(crate) fn write_label(&mut self, name: &[u8], value: &[u8]) {
        fn varint(head: &mut [u8; 24], at: &mut usize, mut x: usize) {
            while x >= 0x80 {
                head[*at] = (x as u8) | 0x80;
                *at += 1;
                x >>= 7;
            }
            head[*at] = x as u8;
            *at += 1;
        }
        let field = |n: usize| 1 + (usize::BITS - (n | 1).leading_zeros()).div_ceil(7) as usize + n;
        let mut head = [0u8; 24];
        let mut at = 0;
        head[0] = 0x0a;
        at += 1;
        varint(&mut head, &mut at, field(name.len()) + field(value.len()));
        head[at] = 0x0a;
        at += 1;
        varint(&mut head, &mut at, name.len());
        self.write(&head[..at]);
        self.write(name);
        head[0] = 0x12;
        at = 1;
        varint(&mut head, &mut at, value.len());
        self.write(&head[..at]);
        self.write(value);
    }

    pub(crate) fn finish(mut self) -> u64 {
        if self.tail_len > 0 {
            let mut block = [0u8; 16];
            block[..self.tail_len].copy_from_slice(&self.tail[..self.tail_len]);
            self.mix(&block);
        }
        fold_mul(self.h ^ self.len ^ K0, self.k[1] ^ K1)
    }
}

#[inline]
fn word(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[..8]);
    u64::from_le_bytes(w)
}
