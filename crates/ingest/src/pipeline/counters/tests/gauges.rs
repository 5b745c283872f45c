//! Gauge SLIs over remote write and OTLP points: every accepted sample of a
//! selected series is one observation, resends are not, negative values are
//! refused only where a distribution would hold them, and counter SLIs over
//! the same series keep their increases.

use super::*;
use crate::points::{MetricPoint, MetricPoints, PointKind};

fn gauge(name: &str, metric: &str, segments: &[&str], cap: usize) -> SliPlan {
    SliPlan {
        name: name.to_owned(),
        kind: PlanKind::Gauge {
            metric: metric.to_owned(),
        },
        segments: segments.iter().map(|s| s.to_string()).collect(),
        max_segment_values: cap,
        exemplar_threshold: None,
    }
}

fn queue_depth() -> SliPlan {
    gauge("queue", r#"queue_depth{job="checkout"}"#, &["region"], 10)
}

const EU: &[(&str, &str)] = &[
    ("__name__", "queue_depth"),
    ("job", "checkout"),
    ("region", "eu"),
];
const US: &[(&str, &str)] = &[
    ("__name__", "queue_depth"),
    ("job", "checkout"),
    ("region", "us"),
];
const OTHER_JOB: &[(&str, &str)] = &[
    ("__name__", "queue_depth"),
    ("job", "search"),
    ("region", "eu"),
];

/// Per (sli, dimension, value, minute offset): (raw_total, count, sum, min,
/// max) of the observed values.
type Observed = BTreeMap<(String, String, String, i64), (u64, f64, f64, f64, f64)>;

fn observed(batch: &Batch) -> Observed {
    batch
        .deltas()
        .into_iter()
        .map(|(k, m, b)| {
            let sketch = b.values.as_deref().expect("a gauge bucket holds values");
            assert_eq!(b.good, 0.0, "observations count no good events");
            (
                (k.sli, k.dimension, k.value, m - MINUTE),
                (
                    b.raw_total,
                    sketch.count(),
                    sketch.sum(),
                    sketch.min().unwrap(),
                    sketch.max().unwrap(),
                ),
            )
        })
        .collect()
}

fn seg(sli: &str, dim: &str, value: &str, minute: i64) -> (String, String, String, i64) {
    (sli.to_owned(), dim.to_owned(), value.to_owned(), minute)
}

impl Rig {
    fn observe(&self, body: &[u8]) -> (RemoteWriteReport, Observed) {
        let mut batch = Batch::new();
        let report = self
            .pipeline
            .ingest_remote_write(body, &limits(), now(), &self.state, &mut batch)
            .unwrap();
        (report, observed(&batch))
    }

    fn observe_points(&self, p: &MetricPoints) -> (RemoteWriteReport, Observed) {
        let mut batch = Batch::new();
        let report = self
            .pipeline
            .ingest_points(p, &limits(), now(), &self.state, &mut batch);
        (report, observed(&batch))
    }
}

/// (labels with `__name__`, value, timestamp, kind) of one point.
type Point<'a> = (&'a [(&'a str, &'a str)], f64, i64, PointKind);

fn points(list: &[Point<'_>]) -> MetricPoints {
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
        let point = MetricPoint {
            value: *value,
            ts_ms: *ts_ms,
            kind: *kind,
        };
        p.point(name, None, point);
    }
    p
}

#[test]
fn every_remote_write_sample_of_a_selected_series_is_one_observation() {
    let rig = Rig::new(&[queue_depth()]);
    let t = NOW_MS - 5 * 60_000; // minute offset -5
    let (r, o) = rig.observe(&body(&[
        (EU, &[(50.0, t), (150.0, t + 10_000), (0.0, t + 60_000)]),
        (US, &[(20.0, t + 5_000)]),
        (OTHER_JOB, &[(999.0, t)]),
    ]));
    assert_eq!((r.accepted, r.rejected, r.matched_series), (5, 0, 2));
    assert_eq!(
        o,
        Observed::from([
            (whole("queue", -5), (3, 3.0, 220.0, 20.0, 150.0)),
            (whole("queue", -4), (1, 1.0, 0.0, 0.0, 0.0)),
            (
                seg("queue", "region", "eu", -5),
                (2, 2.0, 200.0, 50.0, 150.0)
            ),
            (seg("queue", "region", "eu", -4), (1, 1.0, 0.0, 0.0, 0.0)),
            (seg("queue", "region", "us", -5), (1, 1.0, 20.0, 20.0, 20.0)),
        ])
    );
}

#[test]
fn resent_and_older_samples_are_not_observed_twice() {
    let rig = Rig::new(&[queue_depth()]);
    let t = NOW_MS - 60_000;
    let sent = body(&[(EU, &[(7.0, t), (9.0, t + 1_000)])]);
    let (_, o) = rig.observe(&sent);
    assert_eq!(o[&whole("queue", -1)].0, 2);
    let (r, o) = rig.observe(&sent);
    assert_eq!((r.accepted, r.duplicates), (2, 2));
    assert!(o.is_empty(), "{o:?}");
    let (r, o) = rig.observe(&body(&[(EU, &[(3.0, t + 500), (4.0, t + 2_000)])]));
    assert_eq!(r.duplicates, 1);
    assert_eq!(o[&whole("queue", -1)], (1, 1.0, 4.0, 4.0, 4.0));
}

#[test]
fn otlp_points_of_every_kind_are_observed_and_gauges_deduplicated() {
    let rig = Rig::new(&[queue_depth()]);
    let t = NOW_MS - 60_000;
    let (r, o) = rig.observe_points(&points(&[
        (EU, 30.0, t, PointKind::Gauge),
        (EU, 30.0, t, PointKind::Gauge),
        (US, 5.0, t, PointKind::Delta),
        (US, 6.0, t + 1_000, PointKind::Cumulative { start_ms: 0 }),
        (OTHER_JOB, -4.0, t, PointKind::Gauge),
    ]));
    assert_eq!(
        (r.accepted, r.rejected, r.gauges, r.duplicates),
        (5, 0, 3, 1)
    );
    assert_eq!(o[&whole("queue", -1)], (3, 3.0, 41.0, 5.0, 30.0));
}

#[test]
fn negative_values_of_selected_series_are_refused() {
    let rig = Rig::new(&[queue_depth()]);
    let t = NOW_MS - 60_000;
    let (r, o) = rig.observe_points(&points(&[
        (EU, -1.0, t, PointKind::Gauge),
        (OTHER_JOB, -1.0, t, PointKind::Gauge),
    ]));
    assert_eq!((r.accepted, r.rejected), (1, 1));
    assert!(o.is_empty(), "{o:?}");
    assert_eq!(
        r.errors,
        [
            r#"series queue_depth{job="checkout", region="eu"}: sample value -1 cannot be observed by a gauge sli; expected a finite number >= 0"#
        ]
    );
    let (r, _) = rig.observe(&body(&[(US, &[(f64::INFINITY, t)])]));
    assert_eq!(r.rejected, 1);
}

#[test]
fn counter_and_gauge_slis_over_one_series_each_get_their_share() {
    let rig = Rig::new(&[
        queue_depth(),
        counters(
            "seen",
            "queue_depth",
            None,
            Some(r#"queue_depth{region="us"}"#),
            &[],
            10,
        ),
    ]);
    let t = NOW_MS - 60_000;
    rig.observe(&body(&[(EU, &[(10.0, t)])]));
    let mut batch = Batch::new();
    let more = body(&[(EU, &[(15.0, t + 1_000)])]);
    rig.pipeline
        .ingest_remote_write(&more, &limits(), now(), &rig.state, &mut batch)
        .unwrap();
    let deltas = batch.deltas();
    let find = |sli: &str, dim: &str| {
        deltas
            .iter()
            .find(|(k, _, _)| k.sli == sli && k.dimension == dim)
            .map(|(_, _, b)| b.clone())
            .unwrap()
    };
    let counted = find("seen", "");
    assert_eq!((counted.good, counted.total), (5.0, 5.0));
    assert!(counted.values.is_none());
    let seen = find("queue", "");
    assert_eq!(seen.raw_total, 1);
    assert_eq!(seen.values.unwrap().max(), Some(15.0));
}

#[test]
fn a_full_state_still_observes_gauge_series() {
    let rig = Rig {
        pipeline: Pipeline::compile(&[gauge("all", "queue_depth", &[], 10)]).unwrap(),
        state: CounterState::with_limits(1, DEFAULT_IDLE),
    };
    let jobs: Vec<String> = (0..200).map(|i| format!("j{i}")).collect();
    let labels: Vec<Vec<(&str, &str)>> = jobs
        .iter()
        .map(|j| vec![("__name__", "queue_depth"), ("job", j.as_str())])
        .collect();
    let sample = [(2.0, NOW_MS - 1_000)];
    let series: Vec<Series<'_>> = labels.iter().map(|l| (l.as_slice(), &sample[..])).collect();
    let (r, o) = rig.observe(&body(&series));
    assert!(rig.state.len() < 200);
    assert_eq!((r.accepted, r.rejected, r.matched_series), (200, 0, 200));
    assert_eq!(o[&whole("all", -1)], (200, 200.0, 400.0, 2.0, 2.0));
}

#[test]
fn gauge_selector_errors_name_the_sli() {
    let errs = Pipeline::compile(&[gauge("q", "queue_depth{", &[], 1)]).unwrap_err();
    let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        msgs,
        [
            r#"sli "q": threshold selector: column 13: unterminated {; expected a label matcher or }"#
        ]
    );
}

#[test]
fn event_ingest_leaves_gauge_slis_alone() {
    let rig = Rig::new(&[queue_depth()]);
    let mut batch = Batch::new();
    let line = format!(
        "{{\"timestamp\":{},\"name\":\"queue_depth\",\"duration_ms\":5}}\n",
        NOW_MS - 1_000
    );
    let report = rig
        .pipeline
        .ingest_ndjson(line.as_bytes(), &limits(), now(), &mut batch);
    assert_eq!(report.accepted, 1);
    assert!(batch.deltas().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// However samples are split across bodies and resent, the observations
    /// are exactly the samples newer than their series' newest sent before:
    /// their count, sum, and the count meeting `< 100`.
    #[test]
    fn observations_match_a_naive_model(
        steps in prop::collection::vec((0..3usize, 0..200u32, 0..3u8, prop::bool::ANY), 1..60),
    ) {
        const LABELS: [&[(&str, &str)]; 3] = [EU, US, OTHER_JOB];
        let rig = Rig::new(&[queue_depth()]);
        let mut newest = [i64::MIN; 3];
        let (mut count, mut sum, mut under) = (0u64, 0.0, 0.0);
        let mut model = (0u64, 0.0, 0.0);
        let mut pending: Vec<(usize, f64, i64)> = Vec::new();
        let mut ts = NOW_MS - 3_000_000;
        let mut flush = |pending: &mut Vec<(usize, f64, i64)>| {
            let mut enc = WriteRequestEncoder::new();
            for (s, v, t) in pending.drain(..) {
                enc.push_series(LABELS[s], &[(v, t)]);
            }
            let mut batch = Batch::new();
            rig.pipeline
                .ingest_remote_write(&enc.to_snappy(), &limits(), now(), &rig.state, &mut batch)
                .unwrap();
            for (k, _, b) in batch.deltas() {
                if k.dimension.is_empty() {
                    let sketch = b.values.unwrap();
                    count += b.raw_total;
                    sum += sketch.sum();
                    under += sketch.weight_below(100.0);
                }
            }
        };
        for (series, value, back, cut) in steps {
            // Mostly new timestamps; sometimes one at or before the newest.
            let t = if back == 0 { ts - 3_000 } else { ts += 2_000; ts };
            let value = f64::from(value);
            if series != 2 && t > newest[series] {
                model.0 += 1;
                model.1 += value;
                if value < 100.0 {
                    model.2 += 1.0;
                }
            }
            if series != 2 {
                newest[series] = newest[series].max(t);
            }
            pending.push((series, value, t));
            if cut {
                flush(&mut pending);
            }
        }
        flush(&mut pending);
        prop_assert_eq!((count, sum, under), model);
    }
}
