//! The byte encoding shared by WAL records, snapshots and the packed
//! in-memory minute sketches: LEB128 varints, zigzag integers, a compact
//! float form, strings, buckets and sparse sketches.
//!
//! Floats are stored exactly (bit for bit); counts that happen to be small
//! non-negative integers (sample rate 1) take one or two bytes instead of
//! eight. Sketches are written sparsely (gaps between non-empty bins), which
//! is what makes minute buckets of latency SLIs affordable.
//!
//! This module knows nothing of files or framing: a `Reader` reports offsets
//! relative to its own slice, and the caller adds the file and position.

use slo::sketch::{MIN_POSITIVE, bin_index};
use slo::{Bucket, Sketch};

#[cfg(test)]
mod tests;

/// A decoding failure: where in the slice, and what was expected there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DecodeError {
    pub offset: usize,
    pub expected: &'static str,
}

/// Floats that are non-negative integers below this are written as varints.
const INTEGRAL_LIMIT: f64 = (1u64 << 53) as f64;
/// Tag (a varint with the low bit set) announcing 8 raw little-endian bytes.
const RAW_FLOAT_TAG: u64 = 1;

pub(crate) fn put_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn put_zigzag(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

pub(crate) fn put_f64(out: &mut Vec<u8>, v: f64) {
    // The sign-bit test keeps -0.0 on the raw path, so decoding is exact.
    if v.fract() == 0.0 && v.is_sign_positive() && v < INTEGRAL_LIMIT {
        put_varint(out, (v as u64) << 1);
    } else {
        put_varint(out, RAW_FLOAT_TAG);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Sparse sketch: count, sum, zero weight, min, max, the number of
/// non-empty bins, then (when there are bins) the first index (zigzag) and
/// the span to the last, then each bin as (gap to the previous index minus
/// one, except for the first) and weight. The span lets a decoder allocate
/// the dense form once.
pub(crate) fn put_sketch(out: &mut Vec<u8>, s: &Sketch) {
    put_f64(out, s.count());
    put_f64(out, s.sum());
    put_f64(out, s.zero_count());
    put_f64(out, s.min().unwrap_or(f64::INFINITY));
    put_f64(out, s.max().unwrap_or(f64::NEG_INFINITY));
    let (mut n, mut first, mut last) = (0u64, 0i32, 0i32);
    for (i, _) in s.bins() {
        if n == 0 {
            first = i;
        }
        last = i;
        n += 1;
    }
    put_varint(out, n);
    if n == 0 {
        return;
    }
    put_zigzag(out, i64::from(first));
    put_varint(out, (i64::from(last) - i64::from(first)) as u64);
    let mut prev: Option<i32> = None;
    for (i, w) in s.bins() {
        if let Some(p) = prev {
            put_varint(out, (i64::from(i) - i64::from(p) - 1) as u64);
        }
        put_f64(out, w);
        prev = Some(i);
    }
}

/// Counts of a bucket without its sketch (minute cells keep the sketch
/// packed separately).
pub(crate) fn put_counts(out: &mut Vec<u8>, good: f64, total: f64, raw_good: u64, raw_total: u64) {
    put_f64(out, good);
    put_f64(out, total);
    put_varint(out, raw_good);
    put_varint(out, raw_total);
}

pub(crate) fn put_bucket(out: &mut Vec<u8>, b: &Bucket) {
    put_counts(out, b.good, b.total, b.raw_good, b.raw_total);
    match &b.values {
        None => put_u8(out, 0),
        Some(s) => {
            put_u8(out, 1);
            put_sketch(out, s);
        }
    }
}

/// The sketch as a standalone byte string (the packed in-memory form).
pub(crate) fn pack_sketch(s: &Sketch) -> Box<[u8]> {
    let mut out = Vec::with_capacity(48 + 3 * s.bins().count());
    put_sketch(&mut out, s);
    out.into_boxed_slice()
}

// Packed sketches are produced by `pack_sketch` or validated by
// `Reader::sketch` when loaded, so failing to decode one is a store bug.
const PACKED_IS_VALID: &str = "packed sketches are validated when created";

/// Header of a packed sketch and a cursor on its bins.
struct PackedSketch<'a> {
    count: f64,
    sum: f64,
    zero: f64,
    min: f64,
    max: f64,
    /// (first index, last index) when there are bins.
    span: Option<(i32, i32)>,
    bins: PackedBins<'a>,
}

/// Iterates the bins of a trusted packed sketch.
struct PackedBins<'a> {
    r: Reader<'a>,
    left: u64,
    /// Index of the first bin (stored before the span, not as a gap).
    first: i32,
    prev: Option<i32>,
}

impl Iterator for PackedBins<'_> {
    type Item = (i32, f64);
    fn next(&mut self) -> Option<(i32, f64)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let i = match self.prev {
            None => self.first,
            Some(p) => p + 1 + self.r.varint().expect(PACKED_IS_VALID) as i32,
        };
        self.prev = Some(i);
        Some((i, self.r.f64().expect(PACKED_IS_VALID)))
    }
}

fn open_packed(bytes: &[u8]) -> PackedSketch<'_> {
    let mut r = Reader::new(bytes);
    let mut f = || r.f64().expect(PACKED_IS_VALID);
    let (count, sum, zero, min, max) = (f(), f(), f(), f(), f());
    let n = r.varint().expect(PACKED_IS_VALID);
    let span = if n == 0 {
        None
    } else {
        let first = r.zigzag().expect(PACKED_IS_VALID) as i32;
        let last = first + r.varint().expect(PACKED_IS_VALID) as i32;
        Some((first, last))
    };
    let bins = PackedBins {
        r,
        left: n,
        first: span.map_or(0, |s| s.0),
        prev: None,
    };
    PackedSketch {
        count,
        sum,
        zero,
        min,
        max,
        span,
        bins,
    }
}

/// Decodes a sketch packed by `pack_sketch` in this process.
pub(crate) fn unpack_sketch(bytes: &[u8]) -> Sketch {
    let p = open_packed(bytes);
    Sketch::from_parts(
        span_hint(p.span).chain(p.bins),
        p.zero,
        p.count,
        p.sum,
        p.min,
        p.max,
    )
}

/// Zero-weight entries at the first and last index: `Sketch::from_parts`
/// then allocates the dense bins once instead of growing bin by bin.
fn span_hint(span: Option<(i32, i32)>) -> impl Iterator<Item = (i32, f64)> {
    span.into_iter()
        .flat_map(|(first, last)| [(first, 0.0), (last, 0.0)])
}

/// Sums packed sketches into one dense buffer without building a `Sketch`
/// per input; `finish` gives what unpacking and merging them all would.
/// (Dense sketches are best summed with `Sketch::merge`, which the
/// compiler vectorises.)
#[derive(Debug, Default)]
pub(crate) struct SketchSum {
    /// Bin index of `counts[0]`.
    offset: i32,
    counts: Vec<f64>,
    zero: f64,
    count: f64,
    sum: f64,
    min: f64,
    max: f64,
}

impl SketchSum {
    pub fn new() -> Self {
        SketchSum {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            ..SketchSum::default()
        }
    }

    /// Makes `[first, last]` addressable, with headroom so that sketches
    /// reaching a little further do not shift the buffer each time.
    fn cover(&mut self, first: i32, last: i32) {
        const HEADROOM: i32 = 32;
        if self.counts.is_empty() {
            self.offset = first;
            self.counts.resize((last - first + 1) as usize, 0.0);
            return;
        }
        if first < self.offset {
            let grow = (self.offset - first + HEADROOM) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0.0, grow));
            self.offset -= grow as i32;
        }
        let end = self.offset + self.counts.len() as i32;
        if last >= end {
            self.counts
                .resize((last - self.offset + 1 + HEADROOM) as usize, 0.0);
        }
    }

    fn add_header(&mut self, count: f64, sum: f64, zero: f64, min: f64, max: f64) {
        self.count += count;
        self.sum += sum;
        self.zero += zero;
        self.min = self.min.min(min);
        self.max = self.max.max(max);
    }

    pub fn add_packed(&mut self, bytes: &[u8]) {
        let p = open_packed(bytes);
        // Same rule as `Sketch::merge`: an empty sketch adds nothing.
        if p.count <= 0.0 {
            return;
        }
        self.add_header(p.count, p.sum, p.zero, p.min, p.max);
        if let Some((first, last)) = p.span {
            self.cover(first, last);
            for (i, w) in p.bins {
                self.counts[(i - self.offset) as usize] += w;
            }
        }
    }

    pub fn finish(self) -> Sketch {
        let nonzero = || {
            self.counts
                .iter()
                .enumerate()
                .filter(|(_, w)| **w != 0.0)
                .map(|(i, w)| (self.offset + i as i32, *w))
        };
        let span = nonzero()
            .next()
            .map(|(first, _)| (first, nonzero().next_back().map_or(first, |(last, _)| last)));
        Sketch::from_parts(
            span_hint(span).chain(nonzero()),
            self.zero,
            self.count,
            self.sum,
            self.min,
            self.max,
        )
    }
}

/// Range of bin indexes a real sketch can hold; anything outside is damage
/// (and would make the dense in-memory sketch allocate absurdly).
fn valid_bin_range() -> (i64, i64) {
    (
        i64::from(bin_index(MIN_POSITIVE)) - 1,
        i64::from(bin_index(f64::MAX)) + 1,
    )
}

/// Cursor over an encoded slice.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn is_at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn fail<T>(&self, expected: &'static str) -> Result<T, DecodeError> {
        Err(DecodeError {
            offset: self.pos,
            expected,
        })
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        match self.buf.get(self.pos) {
            Some(b) => {
                self.pos += 1;
                Ok(*b)
            }
            None => self.fail("one more byte"),
        }
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() - self.pos < n {
            return self.fail("as many bytes as the length prefix announces");
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let start = self.pos;
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                if shift == 63 && b > 1 {
                    break;
                }
                return Ok(v);
            }
        }
        self.pos = start;
        self.fail("a varint of at most 64 bits")
    }

    pub fn zigzag(&mut self) -> Result<i64, DecodeError> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    pub fn len(&mut self) -> Result<usize, DecodeError> {
        let at = self.pos;
        let n = self.varint()?;
        // A length can never exceed what is left; checking here keeps a
        // damaged count from driving a huge allocation or loop.
        if n > (self.buf.len() - self.pos) as u64 {
            self.pos = at;
            return self.fail("a count or length that fits in the remaining bytes");
        }
        Ok(n as usize)
    }

    pub fn u32_id(&mut self) -> Result<u32, DecodeError> {
        let at = self.pos;
        let v = self.varint()?;
        u32::try_from(v).or_else(|_| {
            self.pos = at;
            self.fail("a series id below 2^32")
        })
    }

    pub fn f64(&mut self) -> Result<f64, DecodeError> {
        let at = self.pos;
        let tag = self.varint()?;
        if tag & 1 == 0 {
            return Ok((tag >> 1) as f64);
        }
        if tag != RAW_FLOAT_TAG {
            self.pos = at;
            return self.fail("a float tag (even varint or 1)");
        }
        let raw = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(raw);
        Ok(f64::from_le_bytes(a))
    }

    pub fn str(&mut self) -> Result<String, DecodeError> {
        let n = self.len()?;
        let at = self.pos;
        let b = self.bytes(n)?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => {
                self.pos = at;
                self.fail("UTF-8 text")
            }
        }
    }

    pub fn sketch(&mut self) -> Result<Sketch, DecodeError> {
        let count = self.f64()?;
        let sum = self.f64()?;
        let zero = self.f64()?;
        let min = self.f64()?;
        let max = self.f64()?;
        let n = self.len()?;
        if n == 0 {
            return Ok(Sketch::from_parts([], zero, count, sum, min, max));
        }
        let (lo, hi) = valid_bin_range();
        let at = self.pos;
        let first = self.zigzag()?;
        let span = self.varint()?;
        let last = first.saturating_add(i64::try_from(span).unwrap_or(i64::MAX));
        if first < lo || last > hi {
            self.pos = at;
            return self.fail("sketch bin indexes within the range of finite positive values");
        }
        let mut bins = Vec::with_capacity(n.min(1 + span as usize) + 2);
        bins.extend(span_hint(Some((first as i32, last as i32))));
        let mut prev: Option<i64> = None;
        for _ in 0..n {
            let at = self.pos;
            let idx = match prev {
                None => first,
                Some(p) => p
                    .saturating_add(1)
                    .saturating_add(i64::try_from(self.varint()?).unwrap_or(i64::MAX)),
            };
            if idx > last {
                self.pos = at;
                return self.fail("a sketch bin index within the announced span");
            }
            bins.push((idx as i32, self.f64()?));
            prev = Some(idx);
        }
        if prev != Some(last) {
            return self.fail("the last sketch bin at the end of the announced span");
        }
        Ok(Sketch::from_parts(bins, zero, count, sum, min, max))
    }

    pub fn counts(&mut self) -> Result<(f64, f64, u64, u64), DecodeError> {
        Ok((self.f64()?, self.f64()?, self.varint()?, self.varint()?))
    }

    pub fn bucket(&mut self) -> Result<Bucket, DecodeError> {
        let (good, total, raw_good, raw_total) = self.counts()?;
        let values = match self.u8()? {
            0 => None,
            1 => Some(Box::new(self.sketch()?)),
            _ => {
                self.pos -= 1;
                return self.fail("a sketch flag (0 or 1)");
            }
        };
        Ok(Bucket {
            good,
            total,
            raw_good,
            raw_total,
            values,
        })
    }
}
