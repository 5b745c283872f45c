//! The logical WAL records and their payload encoding. One `append` call is
//! one `Batch` record, so a batch is recovered entirely or (if its frame is
//! torn) not at all; one `compact` call is one `Compact` record carrying the
//! cuts it applied, so replay repeats exactly the same decision.
//!
//! Framing (length, CRC) and files are `wal.rs`'s business, applying records
//! is `state.rs`'s; this module only turns records into bytes and back.

use std::borrow::Borrow;

use slo::{Bucket, Minute};

use crate::codec::{self, DecodeError, Reader};
use crate::key::{SeriesId, SeriesKey};

const KIND_BATCH: u8 = 1;
const KIND_COMPACT: u8 = 2;

/// Deltas of one `append`, with the keys of the ids it uses for the first
/// time. `B` is `&Bucket` when appending and `Bucket` when replaying.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BatchRecord<B> {
    pub defines: Vec<(SeriesId, SeriesKey)>,
    pub deltas: Vec<(SeriesId, Minute, B)>,
}

/// What one `compact` decided.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompactRecord {
    /// Everything below this hour start is dropped.
    pub retention_cut: Minute,
    /// Minute buckets below this hour start are dropped, except for `kept`.
    pub minute_cut: Minute,
    /// SLIs whose whole-SLI series keep minutes down to `retention_cut`.
    pub kept: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Record {
    Batch(BatchRecord<Bucket>),
    Compact(CompactRecord),
}

pub(crate) fn put_batch<B: Borrow<Bucket>>(out: &mut Vec<u8>, r: &BatchRecord<B>) {
    codec::put_u8(out, KIND_BATCH);
    codec::put_varint(out, r.defines.len() as u64);
    for (id, key) in &r.defines {
        codec::put_varint(out, u64::from(id.0));
        codec::put_str(out, &key.sli);
        codec::put_str(out, &key.dimension);
        codec::put_str(out, &key.value);
    }
    codec::put_varint(out, r.deltas.len() as u64);
    for (id, minute, b) in &r.deltas {
        codec::put_varint(out, u64::from(id.0));
        codec::put_zigzag(out, *minute);
        codec::put_bucket(out, b.borrow());
    }
}

pub(crate) fn put_compact(out: &mut Vec<u8>, r: &CompactRecord) {
    codec::put_u8(out, KIND_COMPACT);
    codec::put_zigzag(out, r.retention_cut);
    codec::put_zigzag(out, r.minute_cut);
    codec::put_varint(out, r.kept.len() as u64);
    for sli in &r.kept {
        codec::put_str(out, sli);
    }
}

pub(crate) fn decode(payload: &[u8]) -> Result<Record, DecodeError> {
    let mut r = Reader::new(payload);
    let record = match r.u8()? {
        KIND_BATCH => {
            let n = r.len()?;
            let mut defines = Vec::with_capacity(n);
            for _ in 0..n {
                let id = SeriesId(r.u32_id()?);
                let key = SeriesKey {
                    sli: r.str()?,
                    dimension: r.str()?,
                    value: r.str()?,
                };
                defines.push((id, key));
            }
            let n = r.len()?;
            let mut deltas = Vec::with_capacity(n);
            for _ in 0..n {
                let id = SeriesId(r.u32_id()?);
                let minute = r.zigzag()?;
                deltas.push((id, minute, r.bucket()?));
            }
            Record::Batch(BatchRecord { defines, deltas })
        }
        KIND_COMPACT => {
            let retention_cut = r.zigzag()?;
            let minute_cut = r.zigzag()?;
            let n = r.len()?;
            let mut kept = Vec::with_capacity(n);
            for _ in 0..n {
                kept.push(r.str()?);
            }
            Record::Compact(CompactRecord {
                retention_cut,
                minute_cut,
                kept,
            })
        }
        _ => {
            return Err(DecodeError {
                offset: 0,
                expected: "a record kind (1 batch, 2 compact)",
            });
        }
    };
    if !r.is_at_end() {
        return Err(DecodeError {
            offset: r.position(),
            expected: "the end of the record",
        });
    }
    Ok(record)
}
