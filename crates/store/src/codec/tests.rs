use proptest::prelude::*;

use super::*;

fn encoded(b: &Bucket) -> Vec<u8> {
    let mut out = Vec::new();
    put_bucket(&mut out, b);
    out
}

fn bucket_from(values: &[(f64, f64)], ratio: &[(bool, f64)]) -> Bucket {
    let mut b = Bucket::default();
    for (good, w) in ratio {
        b.add_event(*good, *w);
    }
    for (v, w) in values {
        b.add_value(*v, *w);
    }
    b
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 1 => -5.0f64..0.0, 8 => (-8.0f64..14.0).prop_map(f64::exp)]
}

fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![3 => Just(1.0), 1 => Just(10.0), 1 => 0.001f64..1000.0]
}

proptest! {
    #[test]
    fn varint_and_zigzag_round_trip(u in any::<u64>(), i in any::<i64>()) {
        let mut out = Vec::new();
        put_varint(&mut out, u);
        put_zigzag(&mut out, i);
        let mut r = Reader::new(&out);
        prop_assert_eq!(r.varint().unwrap(), u);
        prop_assert_eq!(r.zigzag().unwrap(), i);
        prop_assert!(r.is_at_end());
    }

    #[test]
    fn floats_round_trip_bit_for_bit(bits in any::<u64>(), small in 0u32..1_000_000) {
        for v in [f64::from_bits(bits), f64::from(small), -0.0, f64::INFINITY, f64::NEG_INFINITY] {
            let mut out = Vec::new();
            put_f64(&mut out, v);
            prop_assert_eq!(Reader::new(&out).f64().unwrap().to_bits(), v.to_bits());
        }
    }

    #[test]
    fn buckets_with_sketches_round_trip(
        values in prop::collection::vec((value(), weight()), 0..300),
        ratio in prop::collection::vec((any::<bool>(), weight()), 0..20),
    ) {
        let b = bucket_from(&values, &ratio);
        let bytes = encoded(&b);
        let mut r = Reader::new(&bytes);
        let back = r.bucket().unwrap();
        prop_assert!(r.is_at_end());
        prop_assert_eq!(&back, &b);
        if let Some(s) = &b.values {
            prop_assert_eq!(unpack_sketch(&pack_sketch(s)), (**s).clone());
        }
    }

    #[test]
    fn summing_packed_sketches_equals_merging_them(
        parts in prop::collection::vec(prop::collection::vec((value(), weight()), 0..60), 1..12),
    ) {
        let mut merged: Option<Sketch> = None;
        let mut sum = SketchSum::new();
        for values in &parts {
            let mut s = Sketch::new();
            values.iter().for_each(|(v, w)| s.add(*v, *w));
            sum.add_packed(&pack_sketch(&s));
            match &mut merged {
                Some(m) => m.merge(&s),
                None => merged = Some(s),
            }
        }
        prop_assert_eq!(sum.finish(), merged.unwrap());
    }

    #[test]
    fn every_strict_prefix_fails_to_decode(values in prop::collection::vec((value(), weight()), 1..50)) {
        let bytes = encoded(&bucket_from(&values, &[]));
        for cut in 0..bytes.len() {
            prop_assert!(Reader::new(&bytes[..cut]).bucket().is_err(), "prefix of {} bytes decoded", cut);
        }
    }

    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Reader::new(&bytes).bucket();
        let _ = Reader::new(&bytes).str();
    }
}

#[test]
fn sparse_sketch_stays_small() {
    // Two far-apart latencies: the dense in-memory sketch spans ~700 bins,
    // the encoding only the two non-empty ones.
    let b = bucket_from(&[(1.0, 1.0), (1000.0, 1.0)], &[]);
    let bytes = encoded(&b);
    assert!(bytes.len() < 64, "{} bytes", bytes.len());
}

#[test]
fn integral_counts_take_one_or_two_bytes() {
    for (v, len) in [
        (0.0, 1),
        (1.0, 1),
        (63.0, 1),
        (64.0, 2),
        (0.5, 9),
        (-1.0, 9),
    ] {
        let mut out = Vec::new();
        put_f64(&mut out, v);
        assert_eq!(out.len(), len, "{v}");
    }
}

#[test]
fn bin_index_out_of_range_is_rejected() {
    let mut out = Vec::new();
    for v in [1.0, 1.0, 0.0, 1.0, 1.0] {
        put_f64(&mut out, v); // count, sum, zero, min, max
    }
    put_varint(&mut out, 1);
    put_zigzag(&mut out, i64::from(i32::MAX));
    put_f64(&mut out, 1.0);
    let err = Reader::new(&out).sketch().unwrap_err();
    assert!(err.expected.contains("bin index"), "{err:?}");
}

#[test]
fn overlong_varint_is_rejected() {
    let bytes = [0xffu8; 11];
    assert!(Reader::new(&bytes).varint().is_err());
    // 2^64 would need an 11th bit in the tenth byte.
    let mut b = vec![0xffu8; 9];
    b.push(0x02);
    assert!(Reader::new(&b).varint().is_err());
    b[9] = 0x01;
    assert_eq!(Reader::new(&b).varint().unwrap(), u64::MAX);
}
