//! How the evaluator reads bucket data: the `BucketSource` trait.
//!
//! The evaluator never owns storage. The store implements this trait over its
//! minute and hour tiers; a `BTreeMap<Minute, Bucket>` is the reference
//! implementation the tests and benches use. Nothing here may do IO or read a
//! clock; a source answers for the minute ranges it is asked about and nothing
//! else.

use std::collections::BTreeMap;

use crate::bucket::{Bucket, Minute};

/// Read access to one series' buckets, keyed by the minute a bucket starts.
///
/// A key may stand for a coarser bucket (an hour after downsampling); a bucket
/// belongs to a range when its key does.
pub trait BucketSource {
    /// Sum of the buckets with minute in `[from, to)`; empty when `from >= to`.
    fn sum(&self, from: Minute, to: Minute) -> Bucket;
    /// Calls `f` for each non-empty bucket with minute in `[from, to)`,
    /// ascending; used for timeslices.
    fn for_each(&self, from: Minute, to: Minute, f: &mut dyn FnMut(Minute, &Bucket));
}

impl BucketSource for BTreeMap<Minute, Bucket> {
    fn sum(&self, from: Minute, to: Minute) -> Bucket {
        let mut acc = Bucket::default();
        if from < to {
            for b in self.range(from..to).map(|(_, b)| b) {
                acc.merge(b);
            }
        }
        acc
    }

    fn for_each(&self, from: Minute, to: Minute, f: &mut dyn FnMut(Minute, &Bucket)) {
        if from >= to {
            return;
        }
        for (m, b) in self.range(from..to) {
            if !b.is_empty() {
                f(*m, b);
            }
        }
    }
}

impl<S: BucketSource + ?Sized> BucketSource for &S {
    fn sum(&self, from: Minute, to: Minute) -> Bucket {
        (**self).sum(from, to)
    }
    fn for_each(&self, from: Minute, to: Minute, f: &mut dyn FnMut(Minute, &Bucket)) {
        (**self).for_each(from, to, f)
    }
}

#[cfg(test)]
mod tests;
