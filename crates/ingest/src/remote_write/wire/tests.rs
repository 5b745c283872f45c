//! The walker against a straightforward decoder (parse every message into a
//! list of owned fields, then interpret): they must agree on what a body
//! holds and on whether it is valid, for generated requests written in any
//! field order, for mutated and truncated ones, and for random bytes.

use proptest::prelude::*;

use super::*;
use crate::remote_write::encode::{WriteRequestEncoder, put_varint};

#[derive(Clone, Debug, PartialEq)]
enum WireValue {
    Varint(u64),
    Fixed64(u64),
    Bytes(Vec<u8>),
    Fixed32(u32),
}

/// Every field of one message, in order; `None` when malformed.
fn naive_fields(mut b: &[u8]) -> Option<Vec<(u64, WireValue)>> {
    fn varint(b: &mut &[u8]) -> Option<u64> {
        let mut x: u64 = 0;
        for i in 0..10 {
            let (&byte, rest) = b.split_first()?;
            *b = rest;
            if i == 9 && byte > 1 {
                return None;
            }
            x |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Some(x);
            }
        }
        None
    }
    fn take<'a>(b: &mut &'a [u8], n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        if n > b.len() {
            return None;
        }
        let (head, rest) = b.split_at(n);
        *b = rest;
        Some(head)
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let tag = varint(&mut b)?;
        let field = tag >> 3;
        if field == 0 {
            return None;
        }
        let value = match tag & 7 {
            0 => WireValue::Varint(varint(&mut b)?),
            1 => WireValue::Fixed64(u64::from_le_bytes(take(&mut b, 8)?.try_into().ok()?)),
            2 => {
                let n = varint(&mut b)?;
                WireValue::Bytes(take(&mut b, n)?.to_vec())
            }
            5 => WireValue::Fixed32(u32::from_le_bytes(take(&mut b, 4)?.try_into().ok()?)),
            _ => return None,
        };
        out.push((field, value));
    }
    Some(out)
}

#[derive(Clone, Debug, Default, PartialEq)]
struct NaiveSeries {
    labels: Vec<(Vec<u8>, Vec<u8>)>,
    /// (value bits, timestamp), bits so NaNs compare.
    samples: Vec<(u64, i64)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct NaiveRequest {
    series: Vec<NaiveSeries>,
    exemplars: u64,
    histograms: u64,
}

fn bytes_of(v: WireValue) -> Option<Vec<u8>> {
    match v {
        WireValue::Bytes(b) => Some(b),
        _ => None,
    }
}

fn naive_decode(body: &[u8]) -> Option<NaiveRequest> {
    let mut req = NaiveRequest::default();
    for (field, value) in naive_fields(body)? {
        if field != 1 {
            continue;
        }
        let mut series = NaiveSeries::default();
        for (f, v) in naive_fields(&bytes_of(value)?)? {
            match f {
                1 => {
                    let (mut name, mut val) = (Vec::new(), Vec::new());
                    for (lf, lv) in naive_fields(&bytes_of(v)?)? {
                        match lf {
                            1 => name = bytes_of(lv)?,
                            2 => val = bytes_of(lv)?,
                            _ => {}
                        }
                    }
                    series.labels.push((name, val));
                }
                2 => {
                    let (mut bits, mut ts) = (0u64, 0i64);
                    for (sf, sv) in naive_fields(&bytes_of(v)?)? {
                        match (sf, sv) {
                            (1, WireValue::Fixed64(x)) => bits = x,
                            (2, WireValue::Varint(x)) => ts = x as i64,
                            (1 | 2, _) => return None,
                            _ => {}
                        }
                    }
                    series.samples.push((bits, ts));
                }
                3 => {
                    bytes_of(v)?;
                    req.exemplars += 1;
                }
                4 => {
                    bytes_of(v)?;
                    req.histograms += 1;
                }
                _ => {}
            }
        }
        req.series.push(series);
    }
    Some(req)
}

/// What the walker saw, in the naive decoder's shape, plus the keys.
fn walked(body: &[u8]) -> Option<(NaiveRequest, Vec<u64>)> {
    let mut w = Walked::default();
    walk(body, 7, &mut w).ok()?;
    let mut req = NaiveRequest {
        exemplars: w.exemplars,
        histograms: w.histograms,
        ..NaiveRequest::default()
    };
    let mut labels = Vec::new();
    for s in &w.series {
        labels_of(body, s.body.clone(), &mut labels);
        req.series.push(NaiveSeries {
            labels: labels
                .iter()
                .map(|(n, v)| (body[n.clone()].to_vec(), body[v.clone()].to_vec()))
                .collect(),
            samples: w.samples[s.samples.clone()]
                .iter()
                .map(|(v, t)| (v.to_bits(), *t))
                .collect(),
        });
    }
    Some((req, w.series.iter().map(|s| s.key).collect()))
}

/// One field of a hand-written `TimeSeries`, in any order.
#[derive(Clone, Debug)]
enum Part {
    Label(String, String),
    /// Value, timestamp; zero fields omitted when the flag is set (as
    /// protobuf encoders do for defaults).
    Sample(f64, i64, bool),
    Exemplar,
    Histogram,
    UnknownVarint(u64),
    UnknownFixed32,
}

fn field(out: &mut Vec<u8>, tag: u8, payload: &[u8]) {
    out.push(tag);
    put_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

fn encode_parts(parts: &[Part]) -> Vec<u8> {
    let mut ts_body = Vec::new();
    for p in parts {
        match p {
            Part::Label(n, v) => {
                let mut l = Vec::new();
                field(&mut l, 0x12, v.as_bytes());
                // Value before name: field order is free in protobuf.
                field(&mut l, 0x0a, n.as_bytes());
                field(&mut ts_body, 0x0a, &l);
            }
            Part::Sample(v, t, omit_zero) => {
                let mut s = Vec::new();
                if !(*omit_zero && *t == 0) {
                    s.push(0x10);
                    put_varint(&mut s, *t as u64);
                }
                if !(*omit_zero && v.to_bits() == 0) {
                    s.push(0x09);
                    s.extend_from_slice(&v.to_bits().to_le_bytes());
                }
                field(&mut ts_body, 0x12, &s);
            }
            Part::Exemplar => field(&mut ts_body, 0x1a, &[0x0a, 0x00]),
            Part::Histogram => field(&mut ts_body, 0x22, &[0x08, 0x01]),
            Part::UnknownVarint(x) => {
                ts_body.push(0x48); // field 9, varint
                put_varint(&mut ts_body, *x);
            }
            Part::UnknownFixed32 => ts_body.extend_from_slice(&[0x55, 1, 2, 3, 4]),
        }
    }
    let mut out = Vec::new();
    field(&mut out, 0x0a, &ts_body);
    out
}

fn part() -> impl Strategy<Value = Part> {
    let text = prop::sample::select(vec![
        "",
        "a",
        "job",
        "__name__",
        "http_requests_total",
        "/pay",
        "é",
        "a-much-longer-label-value-over-16-bytes",
    ]);
    prop_oneof![
        4 => (text.clone(), text).prop_map(|(n, v)| Part::Label(n.to_owned(), v.to_owned())),
        3 => (prop_oneof![Just(0.0), Just(f64::NAN), Just(f64::from_bits(STALE)), any::<f64>()], any::<i64>(), any::<bool>())
            .prop_map(|(v, t, o)| Part::Sample(v, t, o)),
        1 => Just(Part::Exemplar),
        1 => Just(Part::Histogram),
        1 => any::<u64>().prop_map(Part::UnknownVarint),
        1 => Just(Part::UnknownFixed32),
    ]
}

const STALE: u64 = crate::remote_write::STALE_NAN_BITS;

fn request() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::collection::vec(part(), 0..8), 0..6).prop_map(|series| {
        let mut out = Vec::new();
        for (i, parts) in series.iter().enumerate() {
            out.extend(encode_parts(parts));
            if i == 0 {
                // An unknown top-level field (metadata is field 3).
                field(&mut out, 0x1a, b"ignored");
            }
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_walker_agrees_with_a_naive_decoder(body in request()) {
        let naive = naive_decode(&body);
        prop_assert!(naive.is_some(), "generated bodies are valid");
        prop_assert_eq!(walked(&body).map(|(r, _)| r), naive);
    }

    #[test]
    fn they_agree_on_mutated_bodies(body in request(), at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        prop_assume!(!body.is_empty());
        let mut mutated = body.clone();
        mutated[at.index(body.len())] = byte;
        prop_assert_eq!(walked(&mutated).map(|(r, _)| r), naive_decode(&mutated));
        let truncated = &body[..cut.index(body.len())];
        prop_assert_eq!(walked(truncated).map(|(r, _)| r), naive_decode(truncated));
    }

    #[test]
    fn they_agree_on_random_bytes(body in prop::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(walked(&body).map(|(r, _)| r), naive_decode(&body));
    }

    #[test]
    fn keys_are_equal_exactly_when_label_sets_are(
        sets in prop::collection::vec(prop::collection::vec((prop::sample::select(vec!["a", "b", "ab", ""]), prop::sample::select(vec!["x", "", "xa", "b"])), 0..3), 2..6)
    ) {
        let mut enc = WriteRequestEncoder::new();
        for labels in &sets {
            enc.push_series(labels, &[(1.0, 1)]);
        }
        let (req, keys) = walked(enc.protobuf()).unwrap();
        prop_assert_eq!(req.series.len(), sets.len());
        for i in 0..sets.len() {
            for j in 0..sets.len() {
                prop_assert_eq!(keys[i] == keys[j], sets[i] == sets[j], "{:?} vs {:?}", sets[i], sets[j]);
            }
        }
    }
}

#[test]
fn keys_do_not_depend_on_how_labels_are_encoded() {
    let labels = [("__name__", "up"), ("job", &*"x".repeat(200)), ("", "")];
    let mut enc = WriteRequestEncoder::new();
    enc.push_series(&labels, &[(1.0, 5)]);
    let canonical = walked(enc.protobuf()).unwrap().1[0];
    // Value before name, samples between labels, an empty field omitted.
    let mut parts: Vec<Part> = labels
        .iter()
        .map(|(n, v)| Part::Label(n.to_string(), v.to_string()))
        .collect();
    parts.insert(1, Part::Sample(1.0, 5, true));
    parts.insert(0, Part::Exemplar);
    let shuffled = walked(&encode_parts(&parts)).unwrap().1[0];
    assert_eq!(shuffled, canonical);
    let mut other = WriteRequestEncoder::new();
    other.push_series(&labels[..2], &[(1.0, 5)]);
    assert_ne!(walked(other.protobuf()).unwrap().1[0], canonical);
}

#[test]
fn the_encoder_writes_what_the_walker_reads() {
    let mut enc = WriteRequestEncoder::new();
    enc.push_series(
        &[("__name__", "shop_requests_total"), ("code", "200")],
        &[(12.0, 1_700_000_000_000), (13.5, 1_700_000_015_000)],
    );
    enc.push_series(&[("__name__", "up")], &[]);
    let (req, keys) = walked(enc.protobuf()).unwrap();
    assert_eq!(req.series.len(), 2);
    assert_eq!(
        req.series[0].labels,
        [
            (b"__name__".to_vec(), b"shop_requests_total".to_vec()),
            (b"code".to_vec(), b"200".to_vec())
        ]
    );
    assert_eq!(
        req.series[0].samples,
        [
            (12.0f64.to_bits(), 1_700_000_000_000),
            (13.5f64.to_bits(), 1_700_000_015_000)
        ]
    );
    assert!(req.series[1].samples.is_empty());
    assert_ne!(keys[0], keys[1]);
    // The key does not depend on where the series sits in the body.
    let mut other = WriteRequestEncoder::new();
    other.push_series(&[("__name__", "up")], &[(1.0, 5)]);
    assert_eq!(walked(other.protobuf()).unwrap().1[0], keys[1]);
}

/// Each malformation is refused with its offset and a reason.
#[test]
fn malformed_bodies_are_refused_with_an_offset() {
    let check = |body: &[u8], offset: usize, message: &str| {
        let mut w = Walked::default();
        let err = walk(body, 1, &mut w).unwrap_err();
        assert_eq!(
            (err.offset, err.message.as_str()),
            (offset, message),
            "{body:02x?}"
        );
    };
    check(
        &[0x0a, 0x05, 0x0a],
        2,
        "a length-delimited field of 5 bytes runs past the end of its message (1 bytes left)",
    );
    check(
        &[0x08, 0x01],
        0,
        "field timeseries of WriteRequest has wire type 0 (varint); expected 2 (length-delimited)",
    );
    check(
        &[0x0a, 0x02, 0x08, 0x01],
        2,
        "field labels of TimeSeries has wire type 0 (varint); expected 2 (length-delimited)",
    );
    check(
        &[0x0a, 0x03, 0x12, 0x01, 0x08],
        4,
        "field value of Sample has wire type 0 (varint); expected 1 (64-bit)",
    );
    check(
        &[0x0a, 0x03, 0x12, 0x01, 0x11],
        4,
        "field timestamp of Sample has wire type 1 (64-bit); expected 0 (varint)",
    );
    check(
        &[0x0a, 0x01, 0x80],
        2,
        "truncated varint; the message ends inside it",
    );
    check(
        &[0x0b],
        0,
        "field timeseries of WriteRequest has wire type 3 (group); expected 2 (length-delimited)",
    );
    check(
        &[0x13],
        0,
        "protobuf groups (wire types 3 and 4) are not used by remote write",
    );
    check(&[0x16], 0, "invalid wire type 6");
    check(&[0x00], 0, "field number 0 is not valid protobuf");
    check(
        &[
            0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
        ],
        1,
        "varint is longer than 64 bits",
    );
    // Empty bodies and empty series are fine.
    let mut w = Walked::default();
    walk(&[], 1, &mut w).unwrap();
    walk(&[0x0a, 0x00], 1, &mut w).unwrap();
    assert_eq!(w.series.len(), 1);
}
