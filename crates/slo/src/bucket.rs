//! The unit of stored SLI data: what one series saw during one minute (or,
//! after downsampling, one hour).
//!
//! Buckets are plain sums so they merge associatively: the store rolls
//! minutes into hours and the evaluator sums windows with the same `merge`.

use crate::sketch::Sketch;

/// Minutes since the Unix epoch; bucket `m` covers `[m*60 s, (m+1)*60 s)`.
pub type Minute = i64;

/// Weighted and raw event counts, plus a value distribution for threshold
/// SLIs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bucket {
    /// Weighted good events (ratio SLIs); a sampled event counts `sample_rate` times.
    pub good: f64,
    /// Weighted events that matched the SLI's total filter.
    pub total: f64,
    /// Raw (unweighted) good events, so results say what stands behind them.
    pub raw_good: u64,
    /// Raw (unweighted) total events.
    pub raw_total: u64,
    /// Distribution of the SLI field (threshold SLIs only).
    pub values: Option<Box<Sketch>>,
}

impl Bucket {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Bucket) {
        self.good += other.good;
        self.total += other.total;
        self.raw_good += other.raw_good;
        self.raw_total += other.raw_total;
        if let Some(v) = &other.values {
            match &mut self.values {
                Some(mine) => mine.merge(v),
                None => self.values = Some(v.clone()),
            }
        }
    }

    /// Resets to empty, keeping the sketch's storage for reuse.
    pub fn clear(&mut self) {
        self.good = 0.0;
        self.total = 0.0;
        self.raw_good = 0;
        self.raw_total = 0;
        if let Some(v) = &mut self.values {
            v.clear();
        }
    }

    /// True when no event stands behind the bucket.
    pub fn is_empty(&self) -> bool {
        self.raw_total == 0 && self.total == 0.0
    }

    /// Records one event of weight `weight` (ratio SLIs).
    pub fn add_event(&mut self, good: bool, weight: f64) {
        self.total += weight;
        self.raw_total += 1;
        if good {
            self.good += weight;
            self.raw_good += 1;
        }
    }

    /// Records one value of weight `weight` (threshold SLIs).
    pub fn add_value(&mut self, value: f64, weight: f64) {
        self.total += weight;
        self.raw_total += 1;
        self.values
            .get_or_insert_with(|| Box::new(Sketch::new()))
            .add(value, weight);
    }
}
