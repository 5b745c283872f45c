//! Remote write into counter SLIs end to end on hand-encoded bodies:
//! baselines, increases, resets, duplicates, good/bad semantics, segments,
//! rejections, refusal without side effects, reloads, the state bound, and
//! a model-based property test of the increases.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::batch::SeriesKey;
use crate::counter::DEFAULT_IDLE;
use crate::plan::{PlanKind, SliPlan};
use crate::remote_write::WriteRequestEncoder;

const NOW_MS: i64 = 1_738_324_800_000; // 2025-01-31T12:00:00Z
const MINUTE: i64 = NOW_MS / 60_000;

fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(NOW_MS).unwrap()
}

fn limits() -> Limits {
    Limits::with_oldest_allowed(jiff::Timestamp::from_millisecond(NOW_MS - 86_400_000).unwrap())
}

fn counters(
    name: &str,
    total: &str,
    good: Option<&str>,
    bad: Option<&str>,
    segments: &[&str],
    cap: usize,
) -> SliPlan {
    SliPlan {
        name: name.to_owned(),
        kind: PlanKind::Counters {
            total: total.to_owned(),
            good: good.map(str::to_owned),
            bad: bad.map(str::to_owned),
        },
        segments: segments.iter().map(|s| s.to_string()).collect(),
        max_segment_values: cap,
        exemplar_threshold: None,
    }
}

/// `shop_requests_total{route, code}` samples at `ts`.
type Series<'a> = (&'a [(&'a str, &'a str)], &'a [(f64, i64)]);

fn body(series: &[Series<'_>]) -> Vec<u8> {
    let mut enc = WriteRequestEncoder::new();
    for (labels, samples) in series {
        enc.push_series(labels, samples);
    }
    enc.to_snappy()
}

const OK: &[(&str, &str)] = &[
    ("__name__", "shop_requests_total"),
    ("code", "200"),
    ("region", "eu"),
    ("route", "/pay"),
];
const ERR: &[(&str, &str)] = &[
    ("__name__", "shop_requests_total"),
    ("code", "500"),
    ("region", "us"),
    ("route", "/pay"),
];
const OTHER_ROUTE: &[(&str, &str)] = &[
    ("__name__", "shop_requests_total"),
    ("code", "200"),
    ("route", "/cart"),
];

fn pay_availability() -> SliPlan {
    counters(
        "pay",
        r#"shop_requests_total{route="/pay"}"#,
        Some(r#"shop_requests_total{route="/pay",code!~"5.."}"#),
        None,
        &[],
        10,
    )
}

/// (good, total, raw_good, raw_total) per (sli, dimension, value, minute offset).
type Figures = BTreeMap<(String, String, String, i64), (f64, f64, u64, u64)>;

fn figures(batch: &Batch) -> Figures {
    batch
        .deltas()
        .into_iter()
        .map(
            |(
                SeriesKey {
                    sli,
                    dimension,
                    value,
                },
                m,
                b,
            )| {
                (
                    (sli, dimension, value, m - MINUTE),
                    (b.good, b.total, b.raw_good, b.raw_total),
                )
            },
        )
        .collect()
}

fn whole(sli: &str, minute: i64) -> (String, String, String, i64) {
    (sli.to_owned(), String::new(), String::new(), minute)
}

struct Rig {
    pipeline: Pipeline,
    state: CounterState,
}

impl Rig {
    fn new(plans: &[SliPlan]) -> Rig {
        Rig {
            pipeline: Pipeline::compile(plans).unwrap(),
            state: CounterState::new(),
        }
    }

    fn send(&self, body: &[u8]) -> (RemoteWriteReport, Figures) {
        let mut batch = Batch::new();
        let report = self
            .pipeline
            .ingest_remote_write(body, &limits(), now(), &self.state, &mut batch)
            .unwrap();
        (report, figures(&batch))
    }
}

#[test]
fn increases_follow_baselines_and_resets() {
    let rig = Rig::new(&[pay_availability()]);
    let t = NOW_MS - 10 * 60_000;
    // First sight: baselines only.
    let (r, f) = rig.send(&body(&[
        (OK, &[(100.0, t)]),
        (ERR, &[(5.0, t)]),
        (OTHER_ROUTE, &[(9.0, t)]),
    ]));
    assert_eq!(
        (
            r.series,
            r.samples,
            r.accepted,
            r.rejected,
            r.matched_series
        ),
        (3, 3, 3, 0, 2)
    );
    assert!(f.is_empty(), "{f:?}");
    // +10 good, +2 bad, in the minute of the samples.
    let (_, f) = rig.send(&body(&[
        (OK, &[(110.0, t + 60_000)]),
        (ERR, &[(7.0, t + 60_000)]),
        (OTHER_ROUTE, &[(19.0, t + 60_000)]),
    ]));
    assert_eq!(f, Figures::from([(whole("pay", -9), (10.0, 12.0, 10, 12))]));
    // The ok counter restarts at 3: its increase is 3, not 3 - 110.
    let (_, f) = rig.send(&body(&[
        (OK, &[(3.0, t + 120_000)]),
        (ERR, &[(7.0, t + 120_000)]),
    ]));
    assert_eq!(f, Figures::from([(whole("pay", -8), (3.0, 3.0, 3, 3))]));
    // Several samples of one series in one body, across a minute boundary.
    let (r, f) = rig.send(&body(&[(
        OK,
        &[(4.0, t + 170_000), (6.5, t + 185_000), (8.0, t + 240_000)],
    )]));
    assert_eq!(r.accepted, 3);
    assert_eq!(
        f,
        Figures::from([
            (whole("pay", -8), (1.0, 1.0, 1, 1)),
            (whole("pay", -7), (2.5, 2.5, 3, 3)),
            (whole("pay", -6), (1.5, 1.5, 2, 2)),
        ])
    );
}

#[test]
fn resent_bodies_and_older_samples_change_nothing() {
    let rig = Rig::new(&[pay_availability()]);
    let t = NOW_MS - 60_000;
    rig.send(&body(&[(OK, &[(1.0, t)])]));
    let second = body(&[(OK, &[(5.0, t + 15_000)])]);
    let (_, f) = rig.send(&second);
    assert_eq!(f, Figures::from([(whole("pay", -1), (4.0, 4.0, 4, 4))]));
    // A retry of the same body, and a late sample from before.
    let (r, f) = rig.send(&second);
    assert_eq!((r.accepted, r.duplicates), (1, 1));
    assert!(f.is_empty());
    let (r, f) = rig.send(&body(&[(OK, &[(3.0, t + 5_000)])]));
    assert_eq!((r.accepted, r.duplicates), (1, 1));
    assert!(f.is_empty());
    // The next new sample counts from the newest baseline.
    let (_, f) = rig.send(&body(&[(OK, &[(6.0, t + 30_000)])]));
    assert_eq!(f, Figures::from([(whole("pay", -1), (1.0, 1.0, 1, 1))]));
}

#[test]
fn bad_selectors_subtract_among_total_series() {
    let errors_total: &[(&str, &str)] = &[("__name__", "shop_errors_total"), ("route", "/pay")];
    let rig = Rig::new(&[
        counters(
            "errors",
            "shop_requests_total",
            None,
            Some(r#"shop_requests_total{code=~"5.."}"#),
            &[],
            10,
        ),
        counters(
            "outside",
            "shop_requests_total",
            None,
            Some("shop_errors_total"),
            &[],
            10,
        ),
    ]);
    let t = NOW_MS - 60_000;
    let (r, _) = rig.send(&body(&[
        (OK, &[(0.0, t)]),
        (ERR, &[(0.0, t)]),
        (errors_total, &[(0.0, t)]),
    ]));
    assert_eq!(
        r.errors,
        [
            r#"series shop_errors_total{route="/pay"}: matches the bad selector of sli "outside" but not its total selector; its increases are ignored there (bad must select among total's series)"#
        ]
    );
    assert_eq!(r.matched_series, 2);
    let (_, f) = rig.send(&body(&[
        (OK, &[(90.0, t + 1000)]),
        (ERR, &[(10.0, t + 1000)]),
        (errors_total, &[(10.0, t + 1000)]),
    ]));
    assert_eq!(
        f,
        Figures::from([
            (whole("errors", -1), (90.0, 100.0, 90, 100)),
            (whole("outside", -1), (100.0, 100.0, 100, 100)),
        ])
    );
}

#[test]
fn good_series_need_not_be_total_series() {
    // A classic histogram: the bucket under 300 ms over the count.
    let bucket: &[(&str, &str)] = &[
        ("__name__", "http_request_duration_seconds_bucket"),
        ("le", "0.3"),
    ];
    let slow_bucket: &[(&str, &str)] = &[
        ("__name__", "http_request_duration_seconds_bucket"),
        ("le", "1"),
    ];
    let count: &[(&str, &str)] = &[("__name__", "http_request_duration_seconds_count")];
    let rig = Rig::new(&[counters(
        "latency",
        "http_request_duration_seconds_count",
        Some(r#"http_request_duration_seconds_bucket{le="0.3"}"#),
        None,
        &[],
        10,
    )]);
    let t = NOW_MS - 60_000;
    rig.send(&body(&[
        (bucket, &[(10.0, t)]),
        (slow_bucket, &[(12.0, t)]),
        (count, &[(12.0, t)]),
    ]));
    let (_, f) = rig.send(&body(&[
        (bucket, &[(25.0, t + 1)]),
        (slow_bucket, &[(30.0, t + 1)]),
        (count, &[(30.0, t + 1)]),
    ]));
    assert_eq!(
        f,
        Figures::from([(whole("latency", -1), (15.0, 18.0, 15, 18))])
    );
}

#[test]
fn segments_are_label_values_capped_into_other() {
    let rig = Rig::new(&[counters(
        "pay",
        "shop_requests_total",
        Some(r#"shop_requests_total{code!~"5.."}"#),
        None,
        &["region"],
        1,
    )]);
    let t = NOW_MS - 60_000;
    rig.send(&body(&[
        (OK, &[(0.0, t)]),
        (ERR, &[(0.0, t)]),
        (OTHER_ROUTE, &[(0.0, t)]),
    ]));
    let (r, f) = rig.send(&body(&[
        (OK, &[(4.0, t + 1)]),
        (ERR, &[(1.0, t + 1)]),
        (OTHER_ROUTE, &[(2.0, t + 1)]),
    ]));
    let seg = |v: &str| ("pay".to_owned(), "region".to_owned(), v.to_owned(), -1);
    assert_eq!(
        f,
        Figures::from([
            (whole("pay", -1), (6.0, 7.0, 6, 7)),
            (seg("eu"), (4.0, 4.0, 4, 4)),
            // The cap is one value: us and the missing region fold.
            (seg("other"), (2.0, 3.0, 2, 3)),
        ])
    );
    assert_eq!(r.folded_segments, [("pay".to_owned(), "region".to_owned())]);
}

#[test]
fn missing_segment_labels_are_none() {
    let rig = Rig::new(&[counters(
        "pay",
        "shop_requests_total",
        Some(r#"shop_requests_total{code="200"}"#),
        None,
        &["region"],
        5,
    )]);
    let t = NOW_MS - 60_000;
    rig.send(&body(&[(OTHER_ROUTE, &[(0.0, t)])]));
    let (_, f) = rig.send(&body(&[(OTHER_ROUTE, &[(2.0, t + 1)])]));
    let none = ("pay".to_owned(), "region".to_owned(), "none".to_owned(), -1);
    assert_eq!(f.get(&none), Some(&(2.0, 2.0, 2, 2)));
}

#[test]
fn bad_samples_are_rejected_one_by_one_and_stale_markers_skipped() {
    let rig = Rig::new(&[pay_availability()]);
    let t = NOW_MS - 60_000;
    let stale = f64::from_bits(crate::remote_write::STALE_NAN_BITS);
    let (r, _) = rig.send(&body(&[(OK, &[(1.0, t)])]));
    assert_eq!(r.accepted, 1);
    let (r, f) = rig.send(&body(&[(
        OK,
        &[
            (stale, t + 1_000),
            (f64::NAN, t + 2_000),
            (-1.0, t + 3_000),
            (f64::INFINITY, t + 4_000),
            (2.0, NOW_MS - 86_400_001),
            (2.0, NOW_MS + 300_001),
            (3.0, t + 5_000),
        ],
    )]));
    assert_eq!(
        (r.samples, r.accepted, r.rejected, r.stale_markers),
        (7, 1, 5, 1)
    );
    assert_eq!(
        r.errors,
        [
            r#"series shop_requests_total{code="200", region="eu", route="/pay"}: sample value NaN is not a counter value; expected a finite number >= 0"#,
            r#"series shop_requests_total{code="200", region="eu", route="/pay"}: sample value -1 is not a counter value; expected a finite number >= 0"#,
            r#"series shop_requests_total{code="200", region="eu", route="/pay"}: sample value inf is not a counter value; expected a finite number >= 0"#,
            r#"series shop_requests_total{code="200", region="eu", route="/pay"}: sample timestamp 2025-01-30T11:59:59.999Z is older than the retention limit 2025-01-30T12:00:00Z"#,
            r#"series shop_requests_total{code="200", region="eu", route="/pay"}: sample timestamp 2025-01-31T12:05:00.001Z is more than 300 s after the server time 2025-01-31T12:00:00Z"#,
        ]
    );
    // The stale marker and the rejections did not move the baseline.
    assert_eq!(f, Figures::from([(whole("pay", -1), (2.0, 2.0, 2, 2))]));
}

#[test]
fn errors_are_listed_up_to_the_limit_but_all_counted() {
    let rig = Rig::new(&[pay_availability()]);
    let samples: Vec<(f64, i64)> = (0..150).map(|i| (-1.0, NOW_MS - i)).collect();
    let (r, _) = rig.send(&body(&[(OK, &samples)]));
    assert_eq!((r.rejected, r.errors.len()), (150, 100));
}

#[test]
fn undecodable_bodies_are_refused_without_side_effects() {
    let rig = Rig::new(&[pay_availability()]);
    let mut batch = Batch::new();
    let mut send = |b: &[u8], limits: &Limits| {
        rig.pipeline
            .ingest_remote_write(b, limits, now(), &rig.state, &mut batch)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        send(b"\xff\xff\xff\xff\xff\xff", &limits()),
        "request body is not snappy block format: snappy: corrupt input (invalid header); expected a snappy-compressed remote-write WriteRequest"
    );
    // A valid first series, then garbage: nothing of it may be applied.
    let mut enc = WriteRequestEncoder::new();
    enc.push_series(OK, &[(1.0, NOW_MS - 1000)]);
    enc.push_raw(&[0x0a, 0x09, 0x0a]);
    assert_eq!(
        send(&enc.to_snappy(), &limits()),
        "request body is not a remote-write WriteRequest: at byte 97 of the decompressed protobuf: a length-delimited field of 9 bytes runs past the end of its message (1 bytes left)"
    );
    let big = body(&[(OK, &[(1.0, NOW_MS)])]);
    let tight = Limits {
        max_decoded_bytes: 10,
        ..limits()
    };
    assert_eq!(
        send(&big, &tight),
        "request body decompresses to 95 bytes; expected at most 10 bytes"
    );
    assert!(batch.is_empty());
    assert!(rig.state.is_empty());
}

#[test]
fn a_reload_keeps_baselines_and_rematches_series() {
    let state = CounterState::new();
    let first = Pipeline::compile(&[pay_availability()]).unwrap();
    let t = NOW_MS - 60_000;
    let mut batch = Batch::new();
    first
        .ingest_remote_write(
            &body(&[(OK, &[(10.0, t)]), (OTHER_ROUTE, &[(5.0, t)])]),
            &limits(),
            now(),
            &state,
            &mut batch,
        )
        .unwrap();
    // The new set adds an SLI over every route.
    let second = Pipeline::compile(&[
        pay_availability(),
        counters(
            "all",
            "shop_requests_total",
            Some(r#"shop_requests_total{code="200"}"#),
            None,
            &[],
            10,
        ),
    ])
    .unwrap();
    let mut batch = Batch::new();
    let r = second
        .ingest_remote_write(
            &body(&[(OK, &[(12.0, t + 1)]), (OTHER_ROUTE, &[(8.0, t + 1)])]),
            &limits(),
            now(),
            &state,
            &mut batch,
        )
        .unwrap();
    assert_eq!(r.matched_series, 2);
    assert_eq!(
        figures(&batch),
        Figures::from([
            (whole("all", -1), (5.0, 5.0, 5, 5)),
            (whole("pay", -1), (2.0, 2.0, 2, 2)),
        ])
    );
}

#[test]
fn a_full_state_rejects_only_series_an_sli_needs() {
    let rig = Rig {
        pipeline: Pipeline::compile(&[pay_availability()]).unwrap(),
        state: CounterState::with_limits(1, DEFAULT_IDLE),
    };
    let codes: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    let labels: Vec<Vec<(&str, &str)>> = codes
        .iter()
        .map(|c| {
            vec![
                ("__name__", "shop_requests_total"),
                ("code", c.as_str()),
                ("route", "/pay"),
            ]
        })
        .collect();
    let others: Vec<Vec<(&str, &str)>> = codes
        .iter()
        .map(|c| vec![("__name__", "unrelated_total"), ("code", c.as_str())])
        .collect();
    let sample = [(1.0, NOW_MS - 1000)];
    let series: Vec<Series<'_>> = labels
        .iter()
        .chain(&others)
        .map(|l| (l.as_slice(), &sample[..]))
        .collect();
    let (r, _) = rig.send(&body(&series));
    assert_eq!(rig.state.len(), 64, "one series per shard");
    assert_eq!(r.accepted + r.rejected, 600);
    assert!(r.rejected > 0 && r.rejected <= 300, "{r:?}");
    assert!(
        r.errors[0].ends_with(
            "counter state is full (64 series); the series is not tracked until idle series expire"
        ),
        "{}",
        r.errors[0]
    );
}

#[test]
fn event_and_counter_slis_ignore_each_other() {
    let pipeline = Pipeline::compile(&[
        pay_availability(),
        SliPlan {
            name: "events".to_owned(),
            kind: PlanKind::Ratio {
                total: "true".to_owned(),
                good: Some(r#"status == "ok""#.to_owned()),
                bad: None,
            },
            segments: vec![],
            max_segment_values: 10,
            exemplar_threshold: None,
        },
    ])
    .unwrap();
    let mut batch = Batch::new();
    let line = format!(r#"{{"timestamp":{},"name":"x"}}"#, NOW_MS - 1000);
    pipeline.ingest_ndjson(line.as_bytes(), &limits(), now(), &mut batch);
    assert_eq!(
        figures(&batch)
            .keys()
            .map(|k| k.0.as_str())
            .collect::<Vec<_>>(),
        ["events"]
    );
    let state = CounterState::new();
    let mut batch = Batch::new();
    for (v, t) in [(1.0, NOW_MS - 2000), (2.0, NOW_MS - 1000)] {
        pipeline
            .ingest_remote_write(
                &body(&[(OK, &[(v, t)])]),
                &limits(),
                now(),
                &state,
                &mut batch,
            )
            .unwrap();
    }
    assert_eq!(
        figures(&batch)
            .keys()
            .map(|k| k.0.as_str())
            .collect::<Vec<_>>(),
        ["pay"]
    );
}

#[test]
fn selector_errors_name_the_sli_and_role() {
    let errs = Pipeline::compile(&[
        counters("a", "x{", Some("y"), None, &[], 1),
        counters("b", "x", None, None, &[], 1),
        counters("c", "x", Some("y"), Some("z"), &[], 1),
        counters("d", "x", None, Some(r#"x{code=~"("}"#), &[], 1),
    ])
    .unwrap_err();
    let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        msgs,
        [
            r#"sli "a": total selector: column 3: unterminated {; expected a label matcher or }"#,
            r#"sli "b": a ratio needs exactly one of a good or a bad filter, found neither"#,
            r#"sli "c": a ratio needs exactly one of a good or a bad filter, found both"#,
            r#"sli "d": bad selector: column 9: invalid regular expression "(": error: unclosed group"#,
        ]
    );
}

/// One step of the model test: a series gets a new cumulative value
/// (`reset` restarts it from `add`), or an old sample is sent again.
#[derive(Clone, Debug)]
enum Step {
    Add {
        series: usize,
        add: u32,
        reset: bool,
    },
    Resend {
        series: usize,
    },
    Cut,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..4usize, 0..50u32, prop::bool::weighted(0.1)).prop_map(|(series, add, reset)| Step::Add { series, add, reset }),
        1 => (0..4usize).prop_map(|series| Step::Resend { series }),
        1 => Just(Step::Cut),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Summed deltas equal the increases a naive per-series model computes:
    /// the first sample is a baseline, a drop is a reset, repeats add nothing.
    #[test]
    fn summed_deltas_match_a_naive_model(steps in prop::collection::vec(step(), 1..80)) {
        const LABELS: [&[(&str, &str)]; 4] = [
            &[("__name__", "m_total"), ("code", "200")],
            &[("__name__", "m_total"), ("code", "500")],
            &[("__name__", "m_total"), ("code", "204")],
            &[("__name__", "other_total"), ("code", "200")],
        ];
        let rig = Rig::new(&[counters("m", "m_total", Some(r#"m_total{code=~"2.."}"#), None, &[], 10)]);
        let mut value = [0u64; 4];
        let mut seen = [false; 4];
        let mut last_sent: [Option<(f64, i64)>; 4] = [None; 4];
        let (mut model_total, mut model_good) = (0u64, 0u64);
        let mut pending: Vec<(usize, f64, i64)> = Vec::new();
        let (mut sum_total, mut sum_good) = (0.0, 0.0);
        let mut ts = NOW_MS - 3_000_000;
        let mut flush = |pending: &mut Vec<(usize, f64, i64)>| {
            let mut enc = WriteRequestEncoder::new();
            for (s, v, t) in pending.drain(..) {
                enc.push_series(LABELS[s], &[(v, t)]);
            }
            let (_, f) = rig.send(&enc.to_snappy());
            for (g, t, _, _) in f.values() {
                sum_good += g;
                sum_total += t;
            }
        };
        for st in steps {
            match st {
                Step::Add { series, add, reset } => {
                    ts += 7_000;
                    let before = value[series];
                    value[series] = if reset { u64::from(add) } else { before + u64::from(add) };
                    if seen[series] && series != 3 {
                        let inc = if value[series] >= before { value[series] - before } else { value[series] };
                        model_total += inc;
                        if series != 1 {
                            model_good += inc;
                        }
                    }
                    seen[series] = true;
                    let sample = (value[series] as f64, ts);
                    last_sent[series] = Some(sample);
                    pending.push((series, sample.0, sample.1));
                }
                Step::Resend { series } => {
                    if let Some((v, t)) = last_sent[series] {
                        pending.push((series, v, t));
                    }
                }
                Step::Cut => flush(&mut pending),
            }
        }
        flush(&mut pending);
        prop_assert_eq!(sum_total, model_total as f64);
        prop_assert_eq!(sum_good, model_good as f64);
    }
}

#[test]
fn without_counter_slis_samples_are_validated_but_not_tracked() {
    let rig = Rig::new(&[]);
    let (r, f) = rig.send(&body(&[(
        OK,
        &[(1.0, NOW_MS - 1000), (-1.0, NOW_MS - 500)],
    )]));
    assert_eq!((r.accepted, r.rejected, r.matched_series), (1, 1, 0));
    assert!(f.is_empty());
    assert!(rig.state.is_empty());
}

/// OTLP-style points through `ingest_points`, the remote-write path's twin.
mod points {
    use super::*;
    use crate::points::{MetricPoint, MetricPoints, PointKind};

    /// (labels with `__name__`, value, timestamp, kind) of one point.
    type Spec<'a> = (&'a [(&'a str, &'a str)], f64, i64, PointKind);

    fn points(list: &[Spec<'_>]) -> MetricPoints {
        let mut p = MetricPoints::new();
        for (labels, value, ts_ms, kind) in list {
            p.clear_labels();
            let mut name = "";
            for (n, v) in labels.iter() {
                if *n == "__name__" {
                    name = v;
                } else {
                    p.label(n, v);
                }
            }
            p.point(
                name,
                None,
                MetricPoint {
                    value: *value,
                    ts_ms: *ts_ms,
                    kind: *kind,
                },
            );
        }
        p
    }

    impl Rig {
        fn send_points(&self, p: &MetricPoints, at_ms: i64) -> (RemoteWriteReport, Figures) {
            let mut batch = Batch::new();
            let at = jiff::Timestamp::from_millisecond(at_ms).unwrap();
            let report = self
                .pipeline
                .ingest_points(p, &limits(), at, &self.state, &mut batch);
            (report, figures(&batch))
        }
    }

    fn cumulative(start_ms: i64) -> PointKind {
        PointKind::Cumulative { start_ms }
    }

    #[test]
    fn a_counter_started_while_tracking_counts_its_first_value() {
        let rig = Rig::new(&[pay_availability()]);
        // The first call marks since when counters are tracked.
        rig.send_points(&MetricPoints::new(), NOW_MS - 30_000);
        let start = NOW_MS - 20_000;
        let (r, f) = rig.send_points(
            &points(&[(OK, 7.0, NOW_MS - 10_000, cumulative(start))]),
            NOW_MS,
        );
        assert_eq!((r.accepted, r.rejected, r.matched_series), (1, 0, 1));
        assert_eq!(f[&whole("pay", -1)], (7.0, 7.0, 7, 7));
        let (_, f) = rig.send_points(
            &points(&[(OK, 10.0, NOW_MS - 5_000, cumulative(start))]),
            NOW_MS,
        );
        assert_eq!(f[&whole("pay", -1)], (3.0, 3.0, 3, 3));
    }

    #[test]
    fn a_counter_older_than_tracking_sets_a_baseline() {
        let rig = Rig::new(&[pay_availability()]);
        let (_, f) = rig.send_points(
            &points(&[(OK, 7.0, NOW_MS - 10_000, cumulative(NOW_MS - 3_600_000))]),
            NOW_MS,
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn a_new_start_time_is_a_reset_even_when_the_value_grows() {
        let rig = Rig::new(&[pay_availability()]);
        let old = NOW_MS - 3_600_000;
        rig.send_points(
            &points(&[(OK, 100.0, NOW_MS - 30_000, cumulative(old))]),
            NOW_MS,
        );
        // Restarted 15 s ago and already past the old value.
        let (_, f) = rig.send_points(
            &points(&[(OK, 120.0, NOW_MS - 10_000, cumulative(NOW_MS - 15_000))]),
            NOW_MS,
        );
        assert_eq!(f[&whole("pay", -1)], (120.0, 120.0, 120, 120));
        // A drop without start time change is a reset too.
        let (_, f) = rig.send_points(
            &points(&[(OK, 4.0, NOW_MS - 5_000, cumulative(NOW_MS - 15_000))]),
            NOW_MS,
        );
        assert_eq!(f[&whole("pay", -1)], (4.0, 4.0, 4, 4));
        // A resend of an older point changes nothing.
        let (r, f) = rig.send_points(
            &points(&[(OK, 4.0, NOW_MS - 5_000, cumulative(NOW_MS - 15_000))]),
            NOW_MS,
        );
        assert_eq!((r.duplicates, f.len()), (1, 0));
    }

    #[test]
    fn deltas_are_increases_without_state_and_gauges_feed_nothing() {
        let rig = Rig {
            pipeline: Pipeline::compile(&[pay_availability()]).unwrap(),
            state: CounterState::with_limits(1, DEFAULT_IDLE),
        };
        let codes: Vec<String> = (0..100).map(|i| (200 + i).to_string()).collect();
        let labels: Vec<Vec<(&str, &str)>> = codes
            .iter()
            .map(|c| {
                vec![
                    ("__name__", "shop_requests_total"),
                    ("code", c.as_str()),
                    ("route", "/pay"),
                ]
            })
            .collect();
        let list: Vec<Spec<'_>> = labels
            .iter()
            .map(|l| (l.as_slice(), 2.0, NOW_MS - 1000, PointKind::Delta))
            .chain([
                (ERR, 5.0, NOW_MS - 1000, PointKind::Gauge),
                (ERR, -1.0, NOW_MS - 1000, PointKind::Gauge),
            ])
            .collect();
        let (r, f) = rig.send_points(&points(&list), NOW_MS);
        // Most delta series found no room in the state, and still counted.
        assert!(rig.state.len() < 100);
        assert_eq!((r.accepted, r.rejected, r.gauges), (102, 0, 2));
        assert_eq!(f[&whole("pay", -1)], (200.0, 200.0, 200, 200));
        let (r, _) = rig.send_points(&points(&[(OK, -1.0, NOW_MS, PointKind::Delta)]), NOW_MS);
        assert_eq!(r.rejected, 1);
        assert!(
            r.errors[0].contains("expected a finite number >= 0"),
            "{:?}",
            r.errors
        );
    }

    #[test]
    fn otlp_and_remote_write_share_a_series() {
        let rig = Rig::new(&[pay_availability()]);
        rig.send_points(
            &points(&[(OK, 10.0, NOW_MS - 30_000, cumulative(0))]),
            NOW_MS,
        );
        let (_, f) = rig.send(&body(&[(OK, &[(15.0, NOW_MS - 20_000)])]));
        assert_eq!(f[&whole("pay", -1)], (5.0, 5.0, 5, 5));
    }

    #[test]
    fn decoder_rejections_are_counted_and_listed_first() {
        let rig = Rig::new(&[pay_availability()]);
        let mut p = points(&[(OK, 1.0, NOW_MS - 86_400_000 * 2, PointKind::Delta)]);
        p.reject(|| "metric \"x\": data point is a summary".to_owned());
        let (r, _) = rig.send_points(&p, NOW_MS);
        assert_eq!((r.samples, r.rejected, r.accepted), (2, 2, 0));
        assert_eq!(r.rejected_points, 2);
        assert_eq!(r.errors[0], "metric \"x\": data point is a summary");
        assert!(
            r.errors[1].contains("older than the retention limit"),
            "{:?}",
            r.errors
        );
    }

    #[test]
    fn le_bounds_come_from_the_selectors() {
        let pipeline = Pipeline::compile(&[
            counters(
                "lat",
                "rpc_seconds_count",
                Some(r#"rpc_seconds_bucket{le="0.30"}"#),
                None,
                &[],
                10,
            ),
            counters(
                "lat2",
                "rpc_seconds_count",
                Some(r#"rpc_seconds_bucket{le="0.1",job="x"}"#),
                None,
                &[],
                10,
            ),
            counters(
                "inf",
                "a_count",
                Some(r#"a_bucket{le="+Inf"}"#),
                None,
                &[],
                10,
            ),
        ])
        .unwrap();
        assert_eq!(
            pipeline.le_bounds(),
            vec![(0.1, "0.1".to_owned()), (0.3, "0.30".to_owned())]
        );
    }
}

mod gauges;
