//! Running (prefix) sums of the count fields of a tier's buckets, so the
//! counts of any run of buckets are one subtraction instead of a walk.
//!
//! `good` and `total` are weights (`f64`), summed here as double-doubles
//! (an `f64` pair `hi + lo` kept exact by TwoSum): a prefix covers the whole
//! tier while a read wants a window of it, and a plain `f64` prefix would
//! round the window to the precision of the tier's total. With the pair,
//! integral weights give exact window sums whenever the window's sum is
//! representable (below 2^53), however large the tier's total grows (up to
//! about 2^100), and other weights differ from a direct sum only by the
//! rounding of that direct sum. Raw counts are `u64` with wrapping
//! arithmetic, which makes differences exact.
//!
//! Nothing here knows about minutes, tiers or sketches.

use slo::Bucket;

#[cfg(test)]
mod tests;

/// The count fields of one bucket, or of a run of them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Counts {
    pub good: f64,
    pub total: f64,
    pub raw_good: u64,
    pub raw_total: u64,
}

impl Counts {
    pub fn of(b: &Bucket) -> Self {
        Counts {
            good: b.good,
            total: b.total,
            raw_good: b.raw_good,
            raw_total: b.raw_total,
        }
    }
}

/// `a + b` as the rounded sum and its exact error (Knuth's TwoSum; no
/// precondition on the magnitudes).
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let b_part = s - a;
    let a_part = s - b_part;
    (s, (a - a_part) + (b - b_part))
}

/// A double-double running sum: the value is `hi + lo`, `|lo| <= ulp(hi)/2`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Compensated {
    hi: f64,
    lo: f64,
}

impl Compensated {
    pub fn add(&mut self, x: f64) {
        let (s, e) = two_sum(self.hi, x);
        (self.hi, self.lo) = two_sum(s, e + self.lo);
    }

    /// `self - earlier`, rounded to `f64` (exact when it is representable
    /// and both sums are integral).
    pub fn since(self, earlier: Compensated) -> f64 {
        let (s, e) = two_sum(self.hi, -earlier.hi);
        s + (e + (self.lo - earlier.lo))
    }

    fn is_finite(self) -> bool {
        self.hi.is_finite() && self.lo.is_finite()
    }
}

/// Counts of every bucket up to and including one position of a tier.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct PrefixCounts {
    good: Compensated,
    total: Compensated,
    raw_good: u64,
    raw_total: u64,
}

impl PrefixCounts {
    pub fn add(&mut self, c: Counts) {
        self.good.add(c.good);
        self.total.add(c.total);
        self.raw_good = self.raw_good.wrapping_add(c.raw_good);
        self.raw_total = self.raw_total.wrapping_add(c.raw_total);
    }

    /// Counts of the buckets after `earlier`'s position up to `self`'s.
    pub fn since(self, earlier: PrefixCounts) -> Counts {
        Counts {
            good: self.good.since(earlier.good),
            total: self.total.since(earlier.total),
            raw_good: self.raw_good.wrapping_sub(earlier.raw_good),
            raw_total: self.raw_total.wrapping_sub(earlier.raw_total),
        }
    }

    /// False once an infinite or NaN weight (or an overflow) entered the
    /// sum; from then on every later prefix is non-finite too, and
    /// differences would be NaN even for windows that hold finite weights.
    pub fn is_finite(self) -> bool {
        self.good.is_finite() && self.total.is_finite()
    }
}
