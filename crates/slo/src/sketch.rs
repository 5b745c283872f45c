//! A mergeable quantile sketch with bounded relative error (the DDSketch
//! scheme: logarithmic bins of ratio `GAMMA`).
//!
//! Latency thresholds and percentiles are read from it, so its contract is
//! numeric: any quantile it returns is within `RELATIVE_ACCURACY` (1 %) of
//! the true value of some sample at that rank. Weights are `f64` because a
//! sampled event stands for `sample_rate` events.
//!
//! It must stay pure data: no clocks, no IO. Values at or below
//! `MIN_POSITIVE` (including negatives) are counted in a zero bin; SLI fields
//! are durations and sizes, which are never negative.

/// Relative accuracy of every quantile read from a sketch.
pub const RELATIVE_ACCURACY: f64 = 0.01;
/// Values at or below this count as zero.
pub const MIN_POSITIVE: f64 = 1e-9;
/// Values above this share the top bin (their exact maximum is still kept):
/// it bounds a sketch to about 2,400 bins whatever a client sends, so one
/// absurd `duration_ms` cannot make a bucket hundreds of kilobytes. Quantiles
/// above it read as about `MAX_BINNED` (the 1 % contract stops there).
pub const MAX_BINNED: f64 = 1e12;

fn gamma() -> f64 {
    (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
}

fn ln_gamma() -> f64 {
    gamma().ln()
}

/// Bin index of a positive value: the bin `i` covers `(GAMMA^(i-1), GAMMA^i]`.
pub fn bin_index(value: f64) -> i32 {
    (value.ln() / ln_gamma()).ceil() as i32
}

/// The value that represents bin `i`: its relative distance to every value of
/// the bin is at most `RELATIVE_ACCURACY`.
pub fn bin_value(index: i32) -> f64 {
    let g = gamma();
    2.0 * g.powi(index) / (g + 1.0)
}

/// A weighted distribution of non-negative values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sketch {
    /// Index of the first element of `counts`; bins are contiguous from it.
    offset: i32,
    /// Weight per bin, dense from `offset` (dense keeps `add` O(1) on the
    /// ingest hot path; the store may encode it sparsely).
    counts: Vec<f64>,
    /// Weight of values at or below `MIN_POSITIVE`.
    zero: f64,
    /// Total weight, so `count()` is O(1).
    count: f64,
    /// Weighted sum, for exact means.
    sum: f64,
    /// Exact extremes, for `max`/`min` aggregates.
    min: f64,
    max: f64,
}

impl Sketch {
    pub fn new() -> Self {
        Self {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            ..Self::default()
        }
    }

    /// Adds `value` with `weight` (a sampled event's weight is its sample rate).
    pub fn add(&mut self, value: f64, weight: f64) {
        // NaN weights fail `> 0.0` and are dropped with the rest.
        if weight.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || value.is_nan() {
            return;
        }
        self.count += weight;
        self.sum += value * weight;
        if value < self.min {
            self.min = value;
        }
        if value > self.max {
            self.max = value;
        }
        if value <= MIN_POSITIVE {
            self.zero += weight;
            return;
        }
        let idx = bin_index(value.min(MAX_BINNED));
        *self.slot(idx) += weight;
    }

    fn slot(&mut self, idx: i32) -> &mut f64 {
        if self.counts.is_empty() {
            self.offset = idx;
            self.counts.push(0.0);
        } else if idx < self.offset {
            let grow = (self.offset - idx) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0.0, grow));
            self.offset = idx;
        } else if idx >= self.offset + self.counts.len() as i32 {
            let new_len = (idx - self.offset + 1) as usize;
            self.counts.resize(new_len, 0.0);
        }
        &mut self.counts[(idx - self.offset) as usize]
    }

    /// Empties the sketch but keeps its bin storage, so a reused
    /// accumulator (one per timeslice walk) stops allocating once warm.
    pub fn clear(&mut self) {
        self.counts.clear();
        self.offset = 0;
        self.zero = 0.0;
        self.count = 0.0;
        self.sum = 0.0;
        self.min = f64::INFINITY;
        self.max = f64::NEG_INFINITY;
    }

    /// Adds all of `other` into `self`.
    pub fn merge(&mut self, other: &Sketch) {
        if other.count <= 0.0 {
            return;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.zero += other.zero;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        if other.counts.is_empty() {
            return;
        }
        // Window sums merge thousands of sketches: widen once, then add the
        // dense ranges element-wise (a loop the compiler vectorises).
        self.cover(other.offset, other.offset + other.counts.len() as i32);
        let start = (other.offset - self.offset) as usize;
        for (mine, theirs) in self.counts[start..start + other.counts.len()]
            .iter_mut()
            .zip(&other.counts)
        {
            *mine += theirs;
        }
    }

    /// Grows `counts` so that it covers bins `[lo, hi)`.
    fn cover(&mut self, lo: i32, hi: i32) {
        if self.counts.is_empty() {
            self.offset = lo;
            self.counts.resize((hi - lo) as usize, 0.0);
            return;
        }
        if lo < self.offset {
            let grow = (self.offset - lo) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0.0, grow));
            self.offset = lo;
        }
        let end = self.offset + self.counts.len() as i32;
        if hi > end {
            self.counts.resize((hi - self.offset) as usize, 0.0);
        }
    }

    /// Non-empty bins as `(index, weight)`, ascending.
    pub fn bins(&self) -> impl Iterator<Item = (i32, f64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, w)| **w != 0.0)
            .map(move |(i, w)| (self.offset + i as i32, *w))
    }

    /// Rebuilds a sketch from its parts (used by the store's decoder).
    pub fn from_parts(
        bins: impl IntoIterator<Item = (i32, f64)>,
        zero: f64,
        count: f64,
        sum: f64,
        min: f64,
        max: f64,
    ) -> Self {
        let mut s = Sketch {
            zero,
            count,
            sum,
            min,
            max,
            ..Sketch::new()
        };
        for (i, w) in bins {
            *s.slot(i) += w;
        }
        s
    }

    pub fn count(&self) -> f64 {
        self.count
    }
    pub fn sum(&self) -> f64 {
        self.sum
    }
    pub fn zero_count(&self) -> f64 {
        self.zero
    }
    /// Exact minimum, `None` when empty.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0.0).then_some(self.min)
    }
    /// Exact maximum, `None` when empty.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0.0).then_some(self.max)
    }
    /// Exact weighted mean, `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0.0).then(|| self.sum / self.count)
    }

    /// The value at quantile `q` in [0, 1] (nearest rank over weights),
    /// within `RELATIVE_ACCURACY`; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count <= 0.0 {
            return None;
        }
        let q = q.clamp(0.0, 1.0);
        let rank = q * self.count;
        let mut seen = self.zero;
        if seen >= rank && self.zero > 0.0 {
            return Some(self.min.max(0.0).min(self.max));
        }
        for (i, w) in self.bins() {
            seen += w;
            if seen >= rank {
                return Some(bin_value(i).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// Weight of values `<= threshold` (bin-level: a bin counts when its
    /// representative value is `<= threshold`, so values within 1 % of the
    /// threshold may be counted on either side of it).
    pub fn weight_at_most(&self, threshold: f64) -> f64 {
        self.weight_up_to(threshold, true)
    }

    /// Weight of values `< threshold` (bin-level, like `weight_at_most`).
    pub fn weight_below(&self, threshold: f64) -> f64 {
        self.weight_up_to(threshold, false)
    }

    fn weight_up_to(&self, threshold: f64, inclusive: bool) -> f64 {
        let holds = |v: f64| {
            if inclusive {
                v <= threshold
            } else {
                v < threshold
            }
        };
        if self.count <= 0.0 || threshold.is_nan() {
            return 0.0;
        }
        if holds(self.max) {
            return self.count;
        }
        let mut w = if holds(0.0) { self.zero } else { 0.0 };
        if self.counts.is_empty() || !holds(bin_value(self.offset)) {
            return w;
        }
        // Last bin whose representative holds: solve bin_value(i) = t for i,
        // then step over the float error of the logarithm.
        let g = gamma();
        let last = self.offset + self.counts.len() as i32 - 1;
        let guess = ((threshold * (g + 1.0) / 2.0).ln() / ln_gamma()).floor();
        let mut cut = guess.clamp(f64::from(self.offset), f64::from(last)) as i32;
        while cut < last && holds(bin_value(cut + 1)) {
            cut += 1;
        }
        while cut > self.offset && !holds(bin_value(cut)) {
            cut -= 1;
        }
        w += self.counts[..=(cut - self.offset) as usize]
            .iter()
            .sum::<f64>();
        w
    }
}

#[cfg(test)]
mod tests;
