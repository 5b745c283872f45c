//! One tier of a series (its minutes, or its hours): cells sorted by key in
//! a `Vec`, found by binary search, with the prefix sums of their counts
//! kept alongside so a range's counts cost two searches and a subtraction
//! (`prefix.rs`). Sketches have no prefix form; a sum merges them cell by
//! cell, and only in tiers that hold any.
//!
//! Invariants (checked by `tier/tests.rs` against direct sums):
//! - keys strictly ascend and are multiples of `Cell::STEP`, so cell `i`
//!   lies at least `i` steps after the first and the search for a key can
//!   start from where a gapless tier would hold it: reads touch one or two
//!   cells instead of the ~10 cache lines of a plain binary search, which
//!   is what a sum costs once thousands of series no longer fit in cache;
//! - `prefix[i]` is the sum of the counts of `cells[..=i]` (up to rounding
//!   of non-integral weights), under appends, merges and inserts anywhere,
//!   and front drops;
//! - `sketched` is the number of cells holding a sketch.
//!
//! This module does not know the resolution rule between tiers (that is
//! `series.rs`), and does no IO.

use std::ops::Range;

use slo::{Bucket, Minute};

use crate::prefix::{Counts, PrefixCounts};

#[cfg(test)]
mod tests;

/// What a tier stores per key.
pub(crate) trait Cell {
    /// Every key is a multiple of this, so distinct keys are this far apart.
    const STEP: Minute;
    fn key(&self) -> Minute;
    fn counts(&self) -> Counts;
    fn has_sketch(&self) -> bool;
    fn from_delta(key: Minute, delta: &Bucket) -> Self;
    fn merge(&mut self, delta: &Bucket);
}

/// Hour cells are plain buckets keyed by the hour's first minute: their
/// sketches stay dense because long sums merge hundreds of them.
impl Cell for (Minute, Bucket) {
    const STEP: Minute = 60;
    fn key(&self) -> Minute {
        self.0
    }
    fn counts(&self) -> Counts {
        Counts::of(&self.1)
    }
    fn has_sketch(&self) -> bool {
        self.1.values.is_some()
    }
    fn from_delta(key: Minute, delta: &Bucket) -> Self {
        (key, delta.clone())
    }
    fn merge(&mut self, delta: &Bucket) {
        self.1.merge(delta);
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Tier<C> {
    cells: Vec<C>,
    /// `prefix[i]`: counts of `cells[..=i]`; same length as `cells`.
    prefix: Vec<PrefixCounts>,
    /// Cells with a sketch; when 0 a sum never walks the cells.
    sketched: usize,
}

impl<C> Default for Tier<C> {
    fn default() -> Self {
        Tier {
            cells: Vec::new(),
            prefix: Vec::new(),
            sketched: 0,
        }
    }
}

impl<C: Cell> Tier<C> {
    /// A tier of `cells`, whose keys must strictly ascend (the snapshot
    /// decoder guarantees it by construction).
    pub fn from_cells(cells: Vec<C>) -> Self {
        debug_assert!(cells.windows(2).all(|w| w[0].key() < w[1].key()));
        debug_assert!(cells.iter().all(|c| c.key() % C::STEP == 0));
        let mut tier = Tier {
            cells,
            prefix: Vec::new(),
            sketched: 0,
        };
        tier.rebuild();
        tier
    }

    pub fn cells(&self) -> &[C] {
        &self.cells
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Merges `delta` into the cell keyed `key`, creating it if needed.
    /// Appending or merging into the last cell costs O(1); anywhere else
    /// the prefix sums after the cell move too, O(cells after it).
    pub fn add(&mut self, key: Minute, delta: &Bucket) {
        debug_assert_eq!(key % C::STEP, 0, "tier key off its step");
        let n = self.cells.len();
        // Appends are nearly always at the end; check that before searching.
        let i = match self.cells.last() {
            None => 0,
            Some(c) if c.key() < key => n,
            Some(c) if c.key() == key => n - 1,
            Some(_) => self.lower_bound(key),
        };
        match self.cells.get_mut(i) {
            Some(c) if c.key() == key => {
                let had = c.has_sketch();
                c.merge(delta);
                if !had && c.has_sketch() {
                    self.sketched += 1;
                }
            }
            _ => {
                let cell = C::from_delta(key, delta);
                self.sketched += usize::from(cell.has_sketch());
                let before = self.before(i);
                self.cells.insert(i, cell);
                self.prefix.insert(i, before);
            }
        }
        let d = Counts::of(delta);
        for p in &mut self.prefix[i..] {
            p.add(d);
        }
    }

    /// Index of the first cell whose key is `>= key`.
    fn lower_bound(&self, key: Minute) -> usize {
        let (Some(first), Some(last)) = (self.cells.first(), self.cells.last()) else {
            return 0;
        };
        let (first, last, n) = (first.key(), last.key(), self.cells.len());
        if key <= first {
            return 0;
        }
        if key > last {
            return n;
        }
        // Now first < key <= last, so the differences cannot overflow.
        // Cell i has key >= first + i*STEP: no cell from `hi` on is below
        // `key`. Cell i has key <= last - (n-1-i)*STEP: every cell before
        // `lo` is. In a gapless tier lo == hi.
        let step = C::STEP as u64;
        let ahead = (key - first) as u64;
        let hi = usize::try_from(ahead.div_ceil(step)).map_or(n, |h| h.min(n));
        let behind = (last - key) as u64 / step;
        let lo = usize::try_from(behind).map_or(0, |b| (n - 1).saturating_sub(b));
        let lo = lo.min(hi);
        lo + self.cells[lo..hi].partition_point(|c| c.key() < key)
    }

    /// Indices of the cells with keys in `[from, to)`.
    pub fn range(&self, from: Minute, to: Minute) -> Range<usize> {
        if from >= to {
            return 0..0;
        }
        let a = self.lower_bound(from);
        let b = self.lower_bound(to);
        a..b.max(a)
    }

    /// Counts of `cells[..i]`.
    fn before(&self, i: usize) -> PrefixCounts {
        i.checked_sub(1)
            .map_or_else(PrefixCounts::default, |j| self.prefix[j])
    }

    /// Summed counts of `cells[r]`.
    pub fn counts(&self, r: Range<usize>) -> Counts {
        if r.is_empty() {
            return Counts::default();
        }
        let last = self.prefix[self.prefix.len() - 1];
        if last.is_finite() {
            return self.prefix[r.end - 1].since(self.before(r.start));
        }
        // A non-finite weight poisons every later prefix: add directly.
        let mut sum = Counts::default();
        for c in &self.cells[r] {
            let x = c.counts();
            sum.good += x.good;
            sum.total += x.total;
            sum.raw_good = sum.raw_good.wrapping_add(x.raw_good);
            sum.raw_total = sum.raw_total.wrapping_add(x.raw_total);
        }
        sum
    }

    /// `cells[r]` when the tier holds any sketch, else nothing: what a sum
    /// must walk to merge sketches.
    pub fn sketch_cells(&self, r: Range<usize>) -> &[C] {
        if self.sketched == 0 {
            &[]
        } else {
            &self.cells[r]
        }
    }

    pub fn has_sketches(&self) -> bool {
        self.sketched > 0
    }

    /// Drops the cells keyed below `key`; returns how many.
    pub fn drop_below(&mut self, key: Minute) -> usize {
        let m = self.lower_bound(key);
        if m == 0 {
            return 0;
        }
        self.cells.drain(..m);
        // Recomputed rather than rebased: the same O(n) as the drain, and
        // the prefix then only spans what is retained.
        self.rebuild();
        // Tiers lose their head and grow at the tail; give memory back only
        // when most of the capacity is idle, so steady state never reallocates.
        if self.cells.capacity() > 4 * self.cells.len().max(16) {
            self.cells.shrink_to_fit();
            self.prefix.shrink_to_fit();
        }
        m
    }

    fn rebuild(&mut self) {
        self.prefix.clear();
        self.prefix.reserve_exact(self.cells.len());
        let mut running = PrefixCounts::default();
        self.sketched = 0;
        for c in &self.cells {
            running.add(c.counts());
            self.prefix.push(running);
            self.sketched += usize::from(c.has_sketch());
        }
    }

    /// Bytes held by the cell and prefix arrays (not what cells point to).
    pub fn array_bytes(&self) -> usize {
        self.cells.capacity() * size_of::<C>() + self.prefix.capacity() * size_of::<PrefixCounts>()
    }
}
