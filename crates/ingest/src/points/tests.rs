//! The series buffer: canonical, sorted labels whatever the push order, the
//! name and `le` placed among them, and later labels replacing earlier ones.

use super::*;

fn point(value: f64) -> MetricPoint {
    MetricPoint {
        value,
        ts_ms: 60_000,
        kind: PointKind::Delta,
    }
}

fn labels(p: &MetricPoints, i: usize) -> Vec<(String, String)> {
    p.describe()[i].0.clone()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn labels_are_sorted_with_the_name_and_le_among_them() {
    let mut p = MetricPoints::new();
    p.label("route", "/pay");
    p.label("job", "shop");
    p.label("Zone", "a");
    p.point("rpc_seconds_bucket", Some("0.3"), point(2.0));
    p.point("rpc_seconds_count", None, point(3.0));
    assert_eq!(
        labels(&p, 0),
        owned(&[
            ("Zone", "a"),
            ("__name__", "rpc_seconds_bucket"),
            ("job", "shop"),
            ("le", "0.3"),
            ("route", "/pay"),
        ])
    );
    assert_eq!(
        labels(&p, 1),
        owned(&[
            ("Zone", "a"),
            ("__name__", "rpc_seconds_count"),
            ("job", "shop"),
            ("route", "/pay"),
        ])
    );
    assert_eq!(p.describe()[1].1, point(3.0));
}

#[test]
fn a_later_label_with_the_same_name_wins() {
    let mut p = MetricPoints::new();
    p.label("job", "from-attribute");
    p.label("code", "200");
    p.label("job", "from-resource");
    p.point("x_total", None, point(1.0));
    assert_eq!(
        labels(&p, 0),
        owned(&[
            ("__name__", "x_total"),
            ("code", "200"),
            ("job", "from-resource")
        ])
    );
}

#[test]
fn the_encoding_is_the_remote_write_one() {
    let mut p = MetricPoints::new();
    p.label("job", "shop");
    p.point("x_total", None, point(1.0));
    let mut rw = crate::remote_write::WriteRequestEncoder::new();
    rw.push_series(&[("__name__", "x_total"), ("job", "shop")], &[]);
    // A WriteRequest is `0a len TimeSeries`; the series body is our buffer.
    assert_eq!(&rw.protobuf()[2..], &p.buf[..]);
}

#[test]
fn clear_forgets_series_labels_and_rejections() {
    let mut p = MetricPoints::new();
    p.label("job", "shop");
    p.point("x_total", None, point(1.0));
    p.reject(|| "bad".to_owned());
    assert_eq!((p.len(), p.rejected()), (1, 1));
    p.clear();
    assert!(p.is_empty());
    assert_eq!(p.rejected(), 0);
    p.point("y_total", None, point(1.0));
    assert_eq!(labels(&p, 0), owned(&[("__name__", "y_total")]));
}
