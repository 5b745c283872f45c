//! Building buckets for tests and comparing them with a float tolerance
//! (sums merged in a different order differ in the last bits).

use slo::{Bucket, Sketch};

/// A ratio bucket of `good` good events among `total`, weight 1 each.
pub fn ratio(good: u64, total: u64) -> Bucket {
    let mut b = Bucket::default();
    for i in 0..total {
        b.add_event(i < good, 1.0);
    }
    b
}

/// A threshold-SLI bucket holding `values`, weight 1 each.
pub fn latency(values: &[f64]) -> Bucket {
    let mut b = Bucket::default();
    for v in values {
        b.add_value(*v, 1.0);
    }
    b
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

fn sketch_diff(a: &Sketch, b: &Sketch) -> Option<String> {
    let pairs = [
        ("count", a.count(), b.count()),
        ("sum", a.sum(), b.sum()),
        ("zero", a.zero_count(), b.zero_count()),
    ];
    for (what, x, y) in pairs {
        if !close(x, y) {
            return Some(format!("sketch {what} {x} != {y}"));
        }
    }
    if a.min() != b.min() || a.max() != b.max() {
        return Some(format!(
            "sketch extremes {:?}/{:?} != {:?}/{:?}",
            a.min(),
            a.max(),
            b.min(),
            b.max()
        ));
    }
    let (ba, bb): (Vec<_>, Vec<_>) = (a.bins().collect(), b.bins().collect());
    if ba.len() != bb.len()
        || ba
            .iter()
            .zip(&bb)
            .any(|(x, y)| x.0 != y.0 || !close(x.1, y.1))
    {
        return Some(format!("sketch bins {ba:?} != {bb:?}"));
    }
    None
}

/// `None` when the buckets agree within tolerance, else what differs.
pub fn bucket_diff(a: &Bucket, b: &Bucket) -> Option<String> {
    if !close(a.good, b.good) || !close(a.total, b.total) {
        return Some(format!(
            "good/total {}/{} != {}/{}",
            a.good, a.total, b.good, b.total
        ));
    }
    if a.raw_good != b.raw_good || a.raw_total != b.raw_total {
        return Some(format!(
            "raw {}/{} != {}/{}",
            a.raw_good, a.raw_total, b.raw_good, b.raw_total
        ));
    }
    match (&a.values, &b.values) {
        (None, None) => None,
        (Some(x), Some(y)) => sketch_diff(x, y),
        (x, y) => Some(format!(
            "sketch presence {} != {}",
            x.is_some(),
            y.is_some()
        )),
    }
}
