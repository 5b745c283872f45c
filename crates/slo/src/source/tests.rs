use std::collections::BTreeMap;

use super::*;

fn map(entries: &[(Minute, f64, f64)]) -> BTreeMap<Minute, Bucket> {
    let mut m = BTreeMap::new();
    for &(minute, good, total) in entries {
        m.insert(
            minute,
            Bucket {
                good,
                total,
                raw_good: good as u64,
                raw_total: total as u64,
                values: None,
            },
        );
    }
    m
}

#[test]
fn sum_is_half_open() {
    let m = map(&[(10, 1.0, 2.0), (11, 3.0, 3.0), (12, 0.0, 5.0)]);
    let b = m.sum(10, 12);
    assert_eq!((b.good, b.total, b.raw_total), (4.0, 5.0, 5));
    assert_eq!(m.sum(12, 12), Bucket::default());
    assert_eq!(m.sum(13, 10), Bucket::default());
}

#[test]
fn for_each_is_ascending_and_skips_empty_buckets() {
    let mut m = map(&[(12, 1.0, 1.0), (10, 1.0, 2.0)]);
    m.insert(11, Bucket::default());
    let mut seen = Vec::new();
    m.for_each(0, 100, &mut |minute, b| seen.push((minute, b.total)));
    assert_eq!(seen, vec![(10, 2.0), (12, 1.0)]);
    seen.clear();
    m.for_each(11, 12, &mut |minute, b| seen.push((minute, b.total)));
    assert!(seen.is_empty());
}
