use super::*;
use crate::record;

fn ratio(n: u64) -> Bucket {
    Bucket {
        good: n as f64,
        total: n as f64,
        raw_good: n,
        raw_total: n,
        values: None,
    }
}

fn latency(v: f64) -> Bucket {
    let mut b = Bucket::default();
    b.add_value(v, 1.0);
    b
}

/// Applies an append to `live` and, through the record's bytes, to
/// `replayed`, as recovery would.
fn append(live: &mut State, replayed: &mut State, deltas: &[(SeriesKey, Minute, Bucket)]) {
    let plan = live.plan_batch(deltas).unwrap();
    let mut bytes = Vec::new();
    record::put_batch(&mut bytes, &plan);
    live.apply_batch(&plan).unwrap();
    match record::decode(&bytes).unwrap() {
        record::Record::Batch(b) => replayed.apply_batch(&b).unwrap(),
        other => panic!("decoded {other:?}"),
    }
}

fn compact(live: &mut State, replayed: &mut State, now: Minute) -> CompactReport {
    let plan = live.plan_compact(now, 600, 120);
    let mut bytes = Vec::new();
    record::put_compact(&mut bytes, &plan);
    let report = live.apply_compact(&plan);
    match record::decode(&bytes).unwrap() {
        record::Record::Compact(c) => assert_eq!(replayed.apply_compact(&c), report),
        other => panic!("decoded {other:?}"),
    }
    report
}

fn body(s: &State) -> Vec<u8> {
    let mut out = Vec::new();
    s.encode(&mut out);
    out
}

#[test]
fn ids_are_reused_after_removal_and_replay_agrees() {
    let (mut live, mut replayed) = (State::new(), State::new());
    let (a, b, c) = (
        SeriesKey::whole("a"),
        SeriesKey::segment("a", "region", "eu"),
        SeriesKey::whole("c"),
    );
    append(
        &mut live,
        &mut replayed,
        &[(a.clone(), 1000, ratio(1)), (b.clone(), 2000, latency(3.0))],
    );
    assert_eq!(live.index.get(&b), Some(&SeriesId(1)));
    // At now = 1700 everything of `a` (at minute 1000) is past retention.
    let report = compact(&mut live, &mut replayed, 1700);
    assert_eq!(report.series_removed, vec![a.clone()]);
    append(&mut live, &mut replayed, &[(c.clone(), 2001, ratio(2))]);
    assert_eq!(
        live.index.get(&c),
        Some(&SeriesId(0)),
        "the freed id is reused"
    );
    assert_eq!(body(&live), body(&replayed));
}

#[test]
fn plan_leaves_out_empty_and_expired_deltas_and_rejects_absurd_minutes() {
    let (mut live, mut replayed) = (State::new(), State::new());
    let k = SeriesKey::whole("k");
    append(&mut live, &mut replayed, &[(k.clone(), 5000, ratio(1))]);
    compact(&mut live, &mut replayed, 5000); // retention cut floor_hour(4400) = 4380
    let deltas = [
        (k.clone(), 4379, ratio(1)),
        (k.clone(), 4380, ratio(1)),
        (k.clone(), 4500, Bucket::default()),
    ];
    let plan = live.plan_batch(&deltas).unwrap();
    assert_eq!(
        plan.deltas.iter().map(|d| d.1).collect::<Vec<_>>(),
        vec![4380]
    );
    assert!(plan.defines.is_empty());
    let err = live
        .plan_batch(&[(k, MINUTE_LIMIT, ratio(1))])
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::MinuteOutOfRange { .. }), "{err}");
}

#[test]
fn kept_slis_keep_minutes_until_retention() {
    let mut s = State::new();
    let whole = SeriesKey::whole("ts");
    let seg = SeriesKey::segment("ts", "region", "eu");
    let deltas: Vec<_> = (0..600)
        .flat_map(|m| [(whole.clone(), m, ratio(1)), (seg.clone(), m, ratio(1))])
        .collect();
    let plan = s.plan_batch(&deltas).unwrap();
    s.apply_batch(&plan).unwrap();
    s.keep.insert("ts".into());
    let report = s.apply_compact(&s.plan_compact(600, 540, 120));
    // Retention cut 60, minute cut 480: the kept whole series loses minute
    // 0..60 only, the segment everything below 480.
    assert_eq!(report.minute_buckets_dropped, 60 + 480);
    assert_eq!(s.get(&whole).unwrap().minutes_from, 60);
    assert_eq!(s.get(&seg).unwrap().minutes_from, 480);
}

#[test]
fn snapshot_body_round_trips_exactly() {
    let (mut live, mut replayed) = (State::new(), State::new());
    for i in 0..50 {
        let key = SeriesKey::segment("s", "n", (i % 7).to_string());
        append(
            &mut live,
            &mut replayed,
            &[(
                key,
                10_000 + i * 13,
                if i % 2 == 0 {
                    ratio(i as u64 + 1)
                } else {
                    latency(i as f64)
                },
            )],
        );
    }
    compact(&mut live, &mut replayed, 10_000 + 300);
    let bytes = body(&live);
    let decoded = State::decode(&bytes).unwrap();
    assert_eq!(body(&decoded), bytes);
    assert_eq!(decoded.keys().count(), 7);
}

#[test]
fn snapshot_body_damage_is_reported_with_its_offset() {
    let mut s = State::new();
    let deltas = [(SeriesKey::whole("x"), 100, latency(5.0))];
    let plan = s.plan_batch(&deltas).unwrap();
    s.apply_batch(&plan).unwrap();
    let bytes = body(&s);
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(State::decode(&trailing).unwrap_err().offset, bytes.len());
    for cut in 0..bytes.len() {
        assert!(
            State::decode(&bytes[..cut]).is_err(),
            "prefix {cut} decoded"
        );
    }
    // A minute below the declared minute-resolution floor breaks the read rule.
    let mut s = State::new();
    let deltas = [(SeriesKey::whole("x"), 100, ratio(1))];
    let plan = s.plan_batch(&deltas).unwrap();
    s.apply_batch(&plan).unwrap();
    s.slots[0].as_mut().unwrap().minutes_from = 120;
    let err = State::decode(&body(&s)).unwrap_err();
    assert!(err.expected.contains("floor"), "{err:?}");
}

#[test]
fn replaying_a_delta_for_an_unknown_id_fails() {
    let mut s = State::new();
    let r = BatchRecord {
        defines: vec![],
        deltas: vec![(SeriesId(3), 5, ratio(1))],
    };
    assert!(s.apply_batch(&r).is_err());
    let r = BatchRecord {
        defines: vec![
            (SeriesId(2), SeriesKey::whole("a")),
            (SeriesId(2), SeriesKey::whole("b")),
        ],
        deltas: Vec::<(SeriesId, Minute, Bucket)>::new(),
    };
    assert!(s.apply_batch(&r).is_err(), "an id defined twice");
}
