//! The OpenTelemetry-to-Prometheus names, against what Prometheus' own OTLP
//! receiver writes for the same metrics.

use super::*;

fn name(n: &str, unit: &str, shape: Shape) -> String {
    let mut out = String::new();
    metric_name(n, unit, shape, &mut out);
    out
}

#[test]
fn metric_names_get_underscores_units_and_total() {
    use Shape::*;
    let cases = [
        (
            "http.server.request.duration",
            "s",
            Histogram,
            "http_server_request_duration_seconds",
        ),
        ("shop.requests", "{request}", Counter, "shop_requests_total"),
        ("shop.requests.total", "1", Counter, "shop_requests_total"),
        (
            "process.cpu.time",
            "s",
            Counter,
            "process_cpu_time_seconds_total",
        ),
        ("disk.io", "By", Counter, "disk_io_bytes_total"),
        ("net.rate", "By/s", Gauge, "net_rate_bytes_per_second"),
        ("cpu.utilization", "1", Gauge, "cpu_utilization_ratio"),
        ("queue..depth", "", Gauge, "queue_depth"),
        ("latency_seconds", "s", Histogram, "latency_seconds"),
        ("2xx", "", Counter, "_2xx_total"),
        ("size", "furlongs", Gauge, "size_furlongs"),
        ("rps", "1/s", Gauge, "rps_per_second"),
        ("temp", "Cel", Gauge, "temp_celsius"),
    ];
    for (n, unit, shape, want) in cases {
        assert_eq!(name(n, unit, shape), want, "{n} [{unit}] {shape:?}");
    }
}

#[test]
fn label_names_are_sanitised() {
    let mut out = String::new();
    for (key, want) in [
        ("http.route", "http_route"),
        ("http.response.status_code", "http_response_status_code"),
        ("2fa", "key_2fa"),
        ("ok_name", "ok_name"),
        ("a-b/c", "a_b_c"),
    ] {
        label_name(key, &mut out);
        assert_eq!(out, want);
    }
}

#[test]
fn le_values_are_written_like_prometheus() {
    let mut out = String::new();
    for (bound, want) in [
        (0.3, "0.3"),
        (1.0, "1"),
        (2500.0, "2500"),
        (0.005, "0.005"),
        (f64::INFINITY, "+Inf"),
        (-1.5, "-1.5"),
    ] {
        le_value(bound, &mut out);
        assert_eq!(out, want);
    }
}

#[test]
fn jobs_carry_the_namespace() {
    let mut out = String::new();
    job("shop", "checkout", &mut out);
    assert_eq!(out, "shop/checkout");
    job("", "checkout", &mut out);
    assert_eq!(out, "checkout");
}
