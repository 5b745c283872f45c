//! Model-based test: random operation sequences (appends with ratio and
//! sketch buckets, backfill, compaction at increasing `now`, snapshots,
//! clean reopen, crash, crash with a torn last record, keep_minutes) run
//! against the store and against a naive model that keeps every raw minute
//! in a `BTreeMap` and applies the tier rules at read time. After every step
//! sums over random ranges, `for_each`, the series list and the bucket
//! counts must agree.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use slo::{Bucket, Minute};
use store::{SeriesKey, Store, StoreConfig};

use crate::it::buckets::bucket_diff;
use crate::it::wal_file;

const RETENTION: i64 = 600;
const MINUTE_RETENTION: i64 = 180;
/// Not hour-aligned on purpose.
const T0: Minute = 28_000_017;

fn floor_hour(m: Minute) -> Minute {
    m.div_euclid(60) * 60
}

fn universe() -> Vec<SeriesKey> {
    vec![
        SeriesKey::whole("a"),
        SeriesKey::segment("a", "region", "eu"),
        SeriesKey::segment("a", "region", "us"),
        SeriesKey::whole("b"),
        SeriesKey::segment("b", "version", "v2"),
    ]
}

const SLIS: [&str; 2] = ["a", "b"];
const WEIGHTS: [f64; 3] = [1.0, 10.0, 0.5];

#[derive(Clone, Debug)]
enum Delta {
    Ratio(Vec<(bool, usize)>),
    Latency(Vec<(f64, usize)>),
}

impl Delta {
    fn bucket(&self) -> Bucket {
        let mut b = Bucket::default();
        match self {
            Delta::Ratio(events) => events
                .iter()
                .for_each(|(good, w)| b.add_event(*good, WEIGHTS[*w])),
            Delta::Latency(values) => values
                .iter()
                .for_each(|(v, w)| b.add_value(*v, WEIGHTS[*w])),
        }
        b
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// (key index, minute offset from `now`, delta)
    Append(Vec<(usize, i64, Delta)>),
    /// Advance `now` by this much, then compact.
    Compact(i64),
    Snapshot,
    Reopen,
    /// Drop without close; with `Some(k)`, cut the newest segment's last
    /// frame to `k/256` of its length first.
    Crash(Option<u8>),
    Keep(usize, bool),
}

fn delta() -> impl Strategy<Value = Delta> {
    prop_oneof![
        prop::collection::vec((any::<bool>(), 0..3usize), 0..4).prop_map(Delta::Ratio),
        prop::collection::vec(
            (
                prop_oneof![Just(0.0), (0.0f64..9.0).prop_map(f64::exp)],
                0..3usize
            ),
            0..4
        )
        .prop_map(Delta::Latency),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => prop::collection::vec((0..5usize, -720i64..90, delta()), 1..6).prop_map(Op::Append),
        2 => (0i64..240).prop_map(Op::Compact),
        1 => Just(Op::Snapshot),
        1 => Just(Op::Reopen),
        2 => prop::option::of(any::<u8>()).prop_map(Op::Crash),
        1 => (0..2usize, any::<bool>()).prop_map(|(s, k)| Op::Keep(s, k)),
    ]
}

/// Every raw minute ever accepted (and not yet past retention), plus the
/// per-series minute-resolution floor: the tier rules applied at read time.
#[derive(Clone, Debug, Default)]
struct Model {
    data: BTreeMap<(SeriesKey, Minute), Bucket>,
    minutes_from: BTreeMap<SeriesKey, Minute>,
    retained_from: Option<Minute>,
    keep: BTreeSet<String>,
}

impl Model {
    /// Applies an append; `true` when it writes a WAL record.
    fn append(&mut self, deltas: &[(SeriesKey, Minute, Bucket)]) -> bool {
        let mut wrote = false;
        for (k, m, b) in deltas {
            if b.is_empty() || self.retained_from.is_some_and(|r| *m < r) {
                continue;
            }
            self.data.entry((k.clone(), *m)).or_default().merge(b);
            wrote = true;
        }
        wrote
    }

    fn compact(&mut self, now: Minute) -> BTreeSet<SeriesKey> {
        let rc = floor_hour(now - RETENTION);
        let mc = floor_hour(now - MINUTE_RETENTION);
        self.retained_from = Some(self.retained_from.map_or(rc, |r| r.max(rc)));
        let live: BTreeSet<SeriesKey> = self.live();
        for k in &live {
            let kept = k.is_whole() && self.keep.contains(&k.sli);
            let cut = if kept { rc } else { mc.max(rc) };
            let mf = self.minutes_from.entry(k.clone()).or_insert(Minute::MIN);
            *mf = (*mf).max(cut);
        }
        self.data.retain(|(_, m), _| *m >= rc);
        let now_live = self.live();
        let removed: BTreeSet<SeriesKey> = live.difference(&now_live).cloned().collect();
        for k in &removed {
            self.minutes_from.remove(k);
        }
        removed
    }

    fn live(&self) -> BTreeSet<SeriesKey> {
        self.data.keys().map(|(k, _)| k.clone()).collect()
    }

    fn mf(&self, k: &SeriesKey) -> Minute {
        self.minutes_from.get(k).copied().unwrap_or(Minute::MIN)
    }

    fn raw(&self, k: &SeriesKey) -> impl Iterator<Item = (Minute, &Bucket)> {
        self.data
            .range((k.clone(), Minute::MIN)..=(k.clone(), Minute::MAX))
            .map(|((_, m), b)| (*m, b))
    }

    /// The buckets the resolution rule exposes, keyed as the store keys them.
    fn visible(&self, k: &SeriesKey, from: Minute, to: Minute) -> Vec<(Minute, Bucket)> {
        let mf = self.mf(k);
        let mut out: BTreeMap<Minute, Bucket> = BTreeMap::new();
        for (m, b) in self.raw(k) {
            let key = if m >= mf { m } else { floor_hour(m) };
            if from <= key && key < to {
                out.entry(key).or_default().merge(b);
            }
        }
        out.into_iter().collect()
    }

    fn sum(&self, k: &SeriesKey, from: Minute, to: Minute) -> Bucket {
        let mut acc = Bucket::default();
        for (_, b) in self.visible(k, from, to) {
            acc.merge(&b);
        }
        acc
    }

    /// (minute buckets, hour buckets) the store should hold.
    fn counts(&self) -> (u64, u64) {
        let mut minutes = 0;
        let mut hours = BTreeSet::new();
        for (k, m) in self.data.keys() {
            if *m >= self.mf(k) {
                minutes += 1;
            }
            hours.insert((k.clone(), floor_hour(*m)));
        }
        (minutes, hours.len() as u64)
    }
}

struct Harness {
    dir: tempfile::TempDir,
    config: StoreConfig,
    store: Option<Store>,
    model: Model,
    /// The model before the last WAL record was written; `None` right after
    /// a rotation the harness knows of.
    undo: Option<Box<Model>>,
    now: Minute,
}

impl Harness {
    fn new(snapshot_wal_bytes: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig {
            dir: dir.path().to_path_buf(),
            retention_minutes: RETENTION,
            minute_retention_minutes: MINUTE_RETENTION,
            snapshot_wal_bytes,
        };
        let (store, report) = Store::open(config.clone()).unwrap();
        assert_eq!(report.series, 0);
        Harness {
            dir,
            config,
            store: Some(store),
            model: Model::default(),
            undo: None,
            now: T0,
        }
    }

    fn store(&self) -> &Store {
        self.store.as_ref().unwrap()
    }

    fn reopen(&mut self, expect_torn: bool) {
        let (store, report) = Store::open(self.config.clone()).unwrap();
        assert_eq!(report.torn_tail.is_some(), expect_torn, "{report:?}");
        assert!(report.skipped_snapshots.is_empty(), "{report:?}");
        self.store = Some(store);
        self.model.keep.clear();
        self.undo = None;
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Append(items) => {
                let keys = universe();
                let deltas: Vec<_> = items
                    .iter()
                    .map(|(k, off, d)| (keys[*k].clone(), self.now + off, d.bucket()))
                    .collect();
                let before = self.model.clone();
                if self.model.append(&deltas) {
                    self.undo = Some(Box::new(before));
                }
                self.store().append(&deltas).unwrap();
            }
            Op::Compact(advance) => {
                self.now += advance;
                let before = self.model.clone();
                let removed = self.model.compact(self.now);
                self.undo = Some(Box::new(before));
                let report = self.store().compact(self.now).unwrap();
                let got: BTreeSet<SeriesKey> = report.series_removed.into_iter().collect();
                assert_eq!(got, removed);
            }
            Op::Snapshot => {
                self.store().snapshot().unwrap();
                self.undo = None;
            }
            Op::Reopen => {
                self.store.take().unwrap().close().unwrap();
                self.reopen(false);
            }
            Op::Crash(cut) => {
                drop(self.store.take());
                let mut torn = false;
                if let Some(k) = cut {
                    let newest = wal_file::segments(self.dir.path()).pop().unwrap();
                    if let Some(&(offset, len)) = wal_file::frames(&newest).last() {
                        let kept = len * u64::from(*k) / 256;
                        wal_file::cut(&newest, offset + kept);
                        self.model = *self
                            .undo
                            .take()
                            .expect("the newest segment's last frame is the last record");
                        // Cutting at the frame start leaves a clean end.
                        torn = kept > 0;
                    }
                }
                self.reopen(torn);
            }
            Op::Keep(s, keep) => {
                self.store().keep_minutes(SLIS[*s], *keep);
                if *keep {
                    self.model.keep.insert(SLIS[*s].to_owned());
                } else {
                    self.model.keep.remove(SLIS[*s]);
                }
            }
        }
    }

    fn check(&self, ranges: &[(i64, i64)], step: usize, op: &Op) {
        let store = self.store();
        let live = self.model.live();
        assert_eq!(
            store.series(),
            live.iter().cloned().collect::<Vec<_>>(),
            "step {step} {op:?}: series"
        );
        let stats = store.stats();
        assert_eq!(
            (stats.minute_buckets, stats.hour_buckets),
            self.model.counts(),
            "step {step} {op:?}: counts"
        );
        let reader = store.read();
        for sli in SLIS {
            let got: Vec<SeriesKey> = reader.segments(sli).into_iter().map(|(k, _)| k).collect();
            let want: Vec<SeriesKey> = live
                .iter()
                .filter(|k| k.sli == sli && !k.is_whole())
                .cloned()
                .collect();
            assert_eq!(got, want, "step {step}: segments of {sli}");
        }
        for key in universe() {
            let view = reader.series(&key);
            assert_eq!(
                view.is_some(),
                live.contains(&key),
                "step {step}: presence of {key}"
            );
            let view = view.unwrap_or_default();
            let mut all_ranges = vec![(self.now - 2000, self.now + 2000)];
            all_ranges.extend(
                ranges
                    .iter()
                    .map(|(off, len)| (self.now + off, self.now + off + len)),
            );
            for (from, to) in all_ranges {
                let got = view.sum(from, to);
                let want = self.model.sum(&key, from, to);
                if let Some(d) = bucket_diff(&got, &want) {
                    panic!("step {step} {op:?}: sum of {key} over [{from}, {to}): {d}");
                }
                let mut listed = Vec::new();
                view.for_each(from, to, &mut |m, b| listed.push((m, b.clone())));
                let want = self.model.visible(&key, from, to);
                assert_eq!(
                    listed.iter().map(|x| x.0).collect::<Vec<_>>(),
                    want.iter().map(|x| x.0).collect::<Vec<_>>(),
                    "step {step} {op:?}: for_each keys of {key} over [{from}, {to})"
                );
                for ((m, a), (_, b)) in listed.iter().zip(&want) {
                    if let Some(d) = bucket_diff(a, b) {
                        panic!("step {step}: for_each bucket {m} of {key}: {d}");
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_model(
        small_wal in any::<bool>(),
        steps in prop::collection::vec(
            (op(), prop::collection::vec((-900i64..120, 0i64..400), 2)),
            1..40,
        ),
    ) {
        // A small WAL limit makes automatic snapshots happen mid-sequence.
        let mut h = Harness::new(if small_wal { 2048 } else { 1 << 30 });
        for (i, (op, ranges)) in steps.iter().enumerate() {
            h.apply(op);
            h.check(ranges, i, op);
        }
    }
}
