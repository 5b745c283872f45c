//! The whole in-memory state: the series table, the key index, the
//! retention floor, and the snapshot encoding of all of it.
//!
//! Every change goes through a record (`record.rs`): `plan_batch` turns an
//! `append` into a `BatchRecord` without changing anything, the store logs
//! it, then `apply_batch` applies it; recovery applies the same records in
//! the same order, so replay reproduces the state exactly, including which
//! ids were reused. Nothing here does IO or reads a clock.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use slo::{Bucket, Minute};

use crate::codec::{self, DecodeError, Reader};
use crate::error::StoreError;
use crate::key::{SeriesId, SeriesKey};
use crate::record::{BatchRecord, CompactRecord};
use crate::series::{MINUTES_PER_HOUR, MinuteCell, Series, floor_hour};

#[cfg(test)]
mod tests;

/// Minutes must lie in `[-MINUTE_LIMIT, MINUTE_LIMIT)` (about ±2 billion
/// years), so hour arithmetic never overflows.
pub(crate) const MINUTE_LIMIT: Minute = 1 << 50;

/// What one compaction removed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompactReport {
    /// Everything below this minute (an hour start) is gone.
    pub retention_cut: Minute,
    /// Minute buckets below this minute are gone, except in kept series.
    pub minute_cut: Minute,
    pub minute_buckets_dropped: u64,
    pub hour_buckets_dropped: u64,
    /// Series left without any bucket, removed from the store.
    pub series_removed: Vec<SeriesKey>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    /// Series by id; `None` marks an id free for reuse.
    slots: Vec<Option<Series>>,
    /// Key → id, ordered so one SLI's segments are a contiguous range.
    index: BTreeMap<SeriesKey, SeriesId>,
    /// Free ids, lowest reused first (any fixed order works: records carry ids).
    free: BTreeSet<u32>,
    /// Deltas below this minute are refused: compaction already dropped that
    /// range, so accepting them would resurrect a partial past.
    retained_from: Minute,
    /// SLIs whose whole-SLI series keep minutes for the full retention.
    /// Configuration, not data: not logged, not in snapshots; the server sets
    /// it from the specs after opening.
    pub keep: BTreeSet<String>,
}

impl State {
    pub fn new() -> Self {
        State {
            retained_from: Minute::MIN,
            ..State::default()
        }
    }

    pub fn get(&self, key: &SeriesKey) -> Option<&Series> {
        let id = self.index.get(key)?;
        self.slots[id.0 as usize].as_ref()
    }

    /// Segment series of `sli` (dimension not empty), in key order.
    pub fn segments(&self, sli: &str) -> impl Iterator<Item = &Series> + '_ {
        let sli = sli.to_owned();
        self.index
            .range(SeriesKey::whole(sli.clone())..)
            .take_while(move |(k, _)| k.sli == sli)
            .filter(|(k, _)| !k.is_whole())
            .filter_map(|(_, id)| self.slots[id.0 as usize].as_ref())
    }

    pub fn keys(&self) -> impl Iterator<Item = &SeriesKey> + '_ {
        self.index.keys()
    }

    pub fn live(&self) -> impl Iterator<Item = &Series> + '_ {
        self.slots.iter().flatten()
    }

    /// Turns `deltas` into the record `append` logs: empty buckets and
    /// deltas older than the retention floor are left out, new keys get ids.
    pub fn plan_batch<'d>(
        &self,
        deltas: &'d [(SeriesKey, Minute, Bucket)],
    ) -> Result<BatchRecord<&'d Bucket>, StoreError> {
        let mut defines = Vec::new();
        let mut fresh: HashMap<&SeriesKey, SeriesId> = HashMap::new();
        let mut free = self.free.iter().copied();
        let mut next_new = self.slots.len() as u64;
        let mut planned = Vec::with_capacity(deltas.len());
        for (key, minute, bucket) in deltas {
            if !(-MINUTE_LIMIT..MINUTE_LIMIT).contains(minute) {
                return Err(StoreError::MinuteOutOfRange {
                    key: key.to_string(),
                    minute: *minute,
                });
            }
            if bucket.is_empty() || *minute < self.retained_from {
                continue;
            }
            let id = match self.index.get(key).or_else(|| fresh.get(key)) {
                Some(id) => *id,
                None => {
                    let raw = match free.next() {
                        Some(i) => i,
                        None => {
                            let i =
                                u32::try_from(next_new).map_err(|_| StoreError::TooManySeries {
                                    key: key.to_string(),
                                    max: u64::from(u32::MAX) + 1,
                                })?;
                            next_new += 1;
                            i
                        }
                    };
                    fresh.insert(key, SeriesId(raw));
                    defines.push((SeriesId(raw), key.clone()));
                    SeriesId(raw)
                }
            };
            planned.push((id, *minute, bucket));
        }
        Ok(BatchRecord {
            defines,
            deltas: planned,
        })
    }

    fn define(&mut self, id: SeriesId, key: &SeriesKey) -> Result<(), &'static str> {
        let i = id.0 as usize;
        if self.slots.get(i).is_some_and(Option::is_some) || self.index.contains_key(key) {
            return Err("a new series id and key, not ones already in use");
        }
        if i >= self.slots.len() {
            for gap in self.slots.len()..i {
                self.free.insert(gap as u32);
            }
            self.slots.resize_with(i + 1, || None);
        }
        self.free.remove(&id.0);
        self.slots[i] = Some(Series::new(key.clone()));
        self.index.insert(key.clone(), id);
        Ok(())
    }

    pub fn apply_batch<B: Borrow<Bucket>>(
        &mut self,
        r: &BatchRecord<B>,
    ) -> Result<(), &'static str> {
        for (id, key) in &r.defines {
            self.define(*id, key)?;
        }
        for (id, minute, b) in &r.deltas {
            let series = self
                .slots
                .get_mut(id.0 as usize)
                .and_then(Option::as_mut)
                .ok_or("deltas only for series defined earlier")?;
            series.add(*minute, b.borrow());
        }
        Ok(())
    }

    /// The record `compact(now)` logs, from the configured retentions.
    pub fn plan_compact(
        &self,
        now: Minute,
        retention: Minute,
        minute_retention: Minute,
    ) -> CompactRecord {
        CompactRecord {
            retention_cut: floor_hour(now.saturating_sub(retention)),
            minute_cut: floor_hour(now.saturating_sub(minute_retention)),
            kept: self.keep.iter().cloned().collect(),
        }
    }

    pub fn apply_compact(&mut self, r: &CompactRecord) -> CompactReport {
        let mut report = CompactReport {
            retention_cut: r.retention_cut,
            minute_cut: r.minute_cut,
            ..CompactReport::default()
        };
        self.retained_from = self.retained_from.max(r.retention_cut);
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let Some(series) = slot else { continue };
            let kept = series.key.is_whole() && r.kept.contains(&series.key.sli);
            let minute_cut = if kept { r.retention_cut } else { r.minute_cut };
            let dropped = series.compact(minute_cut, r.retention_cut);
            report.minute_buckets_dropped += dropped.minutes;
            report.hour_buckets_dropped += dropped.hours;
            if series.is_empty() {
                self.index.remove(&series.key);
                self.free.insert(i as u32);
                report.series_removed.push(series.key.clone());
                *slot = None;
            }
        }
        // Keep the table short when its tail is free, so ids stay dense.
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
            self.free.remove(&(self.slots.len() as u32));
        }
        report
    }

    /// Snapshot body: the retention floor, then every live series with its
    /// tiers (minutes and hours delta-encoded, minute sketches as packed).
    pub fn encode(&self, out: &mut Vec<u8>) {
        codec::put_zigzag(out, self.retained_from);
        codec::put_varint(out, self.live().count() as u64);
        for (id, slot) in self.slots.iter().enumerate() {
            let Some(s) = slot else { continue };
            codec::put_varint(out, id as u64);
            codec::put_str(out, &s.key.sli);
            codec::put_str(out, &s.key.dimension);
            codec::put_str(out, &s.key.value);
            codec::put_zigzag(out, s.minutes_from);
            codec::put_varint(out, s.minutes.len() as u64);
            let mut prev: Option<Minute> = None;
            for c in s.minutes.cells() {
                match prev {
                    None => codec::put_zigzag(out, c.minute),
                    Some(p) => {
                        codec::put_varint(out, c.minute.wrapping_sub(p).wrapping_sub(1) as u64)
                    }
                }
                prev = Some(c.minute);
                codec::put_counts(out, c.good, c.total, c.raw_good, c.raw_total);
                match &c.values {
                    None => codec::put_varint(out, 0),
                    Some(v) => {
                        codec::put_varint(out, v.len() as u64);
                        out.extend_from_slice(v);
                    }
                }
            }
            codec::put_varint(out, s.hours.len() as u64);
            let mut prev: Option<Minute> = None;
            for (h, b) in s.hours.cells() {
                match prev {
                    None => codec::put_zigzag(out, h / MINUTES_PER_HOUR),
                    Some(p) => codec::put_varint(
                        out,
                        (h.wrapping_sub(p) as u64) / MINUTES_PER_HOUR as u64 - 1,
                    ),
                }
                prev = Some(*h);
                codec::put_bucket(out, b);
            }
        }
    }

    /// Inverse of `encode`, checking the invariants the reads rely on.
    pub fn decode(body: &[u8]) -> Result<State, DecodeError> {
        let mut r = Reader::new(body);
        let mut state = State::new();
        state.retained_from = r.zigzag()?;
        let n = r.len()?;
        for _ in 0..n {
            let at = r.position();
            let id = SeriesId(r.u32_id()?);
            let key = SeriesKey {
                sli: r.str()?,
                dimension: r.str()?,
                value: r.str()?,
            };
            state.define(id, &key).map_err(|expected| DecodeError {
                offset: at,
                expected,
            })?;
            let at = r.position();
            let minutes_from = r.zigzag()?;
            if minutes_from != Minute::MIN && floor_hour(minutes_from) != minutes_from {
                return Err(DecodeError {
                    offset: at,
                    expected: "an hour start as the minute-resolution floor",
                });
            }
            let count = r.len()?;
            let mut minutes = Vec::with_capacity(count);
            let mut prev: Option<Minute> = None;
            for _ in 0..count {
                let at = r.position();
                let minute = match prev {
                    None => r.zigzag()?,
                    Some(p) => step(p, r.varint()?, 1).ok_or(DecodeError {
                        offset: at,
                        expected: "a minute in range",
                    })?,
                };
                if minute < minutes_from {
                    return Err(DecodeError {
                        offset: at,
                        expected: "minutes at or above the minute-resolution floor",
                    });
                }
                prev = Some(minute);
                let (good, total, raw_good, raw_total) = r.counts()?;
                let len = r.len()?;
                let values = if len == 0 {
                    None
                } else {
                    let at = r.position();
                    let bytes = r.bytes(len)?;
                    let mut check = Reader::new(bytes);
                    check.sketch().map_err(|e| DecodeError {
                        offset: at + e.offset,
                        ..e
                    })?;
                    if !check.is_at_end() {
                        return Err(DecodeError {
                            offset: at,
                            expected: "a packed sketch of the announced length",
                        });
                    }
                    Some(Box::from(bytes))
                };
                minutes.push(MinuteCell {
                    minute,
                    good,
                    total,
                    raw_good,
                    raw_total,
                    values,
                });
            }
            let count = r.len()?;
            let mut hours = Vec::with_capacity(count);
            let mut prev: Option<Minute> = None;
            for _ in 0..count {
                let at = r.position();
                let hour = match prev {
                    None => r.zigzag()?.checked_mul(MINUTES_PER_HOUR),
                    Some(p) => step(p, r.varint()?, MINUTES_PER_HOUR),
                }
                .ok_or(DecodeError {
                    offset: at,
                    expected: "an hour in range",
                })?;
                prev = Some(hour);
                hours.push((hour, r.bucket()?));
            }
            state.slots[id.0 as usize] =
                Some(Series::from_tiers(key, minutes_from, minutes, hours));
        }
        if !r.is_at_end() {
            return Err(DecodeError {
                offset: r.position(),
                expected: "the end of the snapshot body",
            });
        }
        Ok(state)
    }
}

/// `prev + (gap + 1) * unit`, `None` on overflow.
fn step(prev: Minute, gap: u64, unit: Minute) -> Option<Minute> {
    let delta = gap.checked_add(1)?.checked_mul(unit as u64)?;
    prev.checked_add_unsigned(delta)
}
