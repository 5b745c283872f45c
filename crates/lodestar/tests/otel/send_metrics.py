"""Sends metrics to Lodestar through the OpenTelemetry Python SDK.

Used by crates/lodestar/tests/it/otlp_metrics.rs to check that a real OTLP
metrics client (the SDK's MeterProvider, a metric reader and the official
exporters) is understood. For OK + ERRORS requests on the route /pay it adds
1 to the counter `shop.requests` (attributes http.route and code, 200 or
500) and records a duration in the histogram `shop.request.duration` (unit
s): OK request i takes DURATIONS[i % 4], every error 1.2 s. Half of the
requests are recorded, then the reader collects and exports; then the rest,
and a second export. It exits non-zero unless every export succeeded. It
must not retry, sleep or judge the server's figures: the Rust test does.

Usage: send_metrics.py grpc|http ENDPOINT delta|cumulative explicit|exponential OK ERRORS
  ENDPOINT is http://HOST:PORT (the gRPC listener, or the HTTP base URL).
  explicit buckets have the bounds 0.1, 0.3 and 1.
"""

import sys

from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import (
    ExplicitBucketHistogramAggregation,
    ExponentialBucketHistogramAggregation,
    View,
)
from opentelemetry.sdk.resources import Resource

DURATIONS = [0.05, 0.1, 0.25, 0.5]
ERROR_DURATION = 1.2


class Recording(MetricExporter):
    """Forwards to the real exporter and remembers every result."""

    def __init__(self, inner):
        super().__init__(
            preferred_temporality=inner._preferred_temporality,
            preferred_aggregation=inner._preferred_aggregation,
        )
        self.inner = inner
        self.results = []

    def export(self, metrics_data, timeout_millis=10_000, **kwargs):
        result = self.inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        self.results.append(result)
        return result

    def force_flush(self, timeout_millis=10_000):
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis=30_000, **kwargs):
        self.inner.shutdown(timeout_millis=timeout_millis, **kwargs)


def exporter(protocol, endpoint, temporality):
    chosen = {
        "delta": AggregationTemporality.DELTA,
        "cumulative": AggregationTemporality.CUMULATIVE,
    }.get(temporality)
    if chosen is None:
        sys.exit(f"unknown temporality {temporality!r}, expected delta or cumulative")
    preferred = {Counter: chosen, Histogram: chosen}
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
            OTLPMetricExporter,
        )

        return OTLPMetricExporter(
            endpoint=endpoint, insecure=True, timeout=20, preferred_temporality=preferred
        )
    if protocol == "http":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
            OTLPMetricExporter,
        )

        return OTLPMetricExporter(
            endpoint=endpoint.rstrip("/") + "/v1/metrics",
            timeout=20,
            preferred_temporality=preferred,
        )
    sys.exit(f"unknown protocol {protocol!r}, expected grpc or http")


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    protocol, endpoint, temporality, buckets = sys.argv[1:5]
    ok, errors = int(sys.argv[5]), int(sys.argv[6])
    if buckets == "explicit":
        aggregation = ExplicitBucketHistogramAggregation(boundaries=[0.1, 0.3, 1.0])
    elif buckets == "exponential":
        aggregation = ExponentialBucketHistogramAggregation()
    else:
        sys.exit(f"unknown buckets {buckets!r}, expected explicit or exponential")
    recording = Recording(exporter(protocol, endpoint, temporality))
    # Exports only when asked (force_flush), never on a timer.
    reader = PeriodicExportingMetricReader(recording, export_interval_millis=3_600_000)
    provider = MeterProvider(
        resource=Resource.create({"service.name": "shop"}),
        metric_readers=[reader],
        views=[View(instrument_name="shop.request.duration", aggregation=aggregation)],
    )
    meter = provider.get_meter("lodestar-test")
    requests = meter.create_counter("shop.requests", unit="{request}")
    duration = meter.create_histogram("shop.request.duration", unit="s")
    calls = [(True, i) for i in range(ok)] + [(False, i) for i in range(errors)]
    # Interleaved, so that both halves hold OK and failed requests.
    calls.sort(key=lambda c: c[1])
    half = len(calls) // 2
    flushed = []
    for part in (calls[:half], calls[half:]):
        for is_ok, i in part:
            code = "200" if is_ok else "500"
            requests.add(1, {"http.route": "/pay", "code": code})
            seconds = DURATIONS[i % len(DURATIONS)] if is_ok else ERROR_DURATION
            duration.record(seconds, {"http.route": "/pay"})
        flushed.append(provider.force_flush(timeout_millis=60_000))
    provider.shutdown()
    failed = [r for r in recording.results if r != MetricExportResult.SUCCESS]
    print(
        f"{protocol} {temporality} {buckets}: {len(recording.results)} exports, "
        f"{len(failed)} failed",
        file=sys.stderr,
    )
    if not all(flushed) or failed or len(recording.results) < 2:
        sys.exit(
            f"{protocol}: flushed={flushed}, failed exports={failed}, "
            f"{len(recording.results)} exports"
        )


if __name__ == "__main__":
    main()
