"""Sends spans to Lodestar through the OpenTelemetry Python SDK.

Used by crates/lodestar/tests/it/otlp_grpc.rs to check that a real OTLP
client (BatchSpanProcessor + the official exporters) is understood. It
creates OK + ERRORS SERVER spans on the route /pay (OK answering 200, ERRORS
answering 500), flushes them in several small batches, and exits non-zero
unless every batch was exported successfully. It must not retry, sleep or
judge the server's figures: the Rust test checks those.

Usage: send_spans.py grpc|grpc-gzip|http ENDPOINT OK ERRORS
  ENDPOINT is http://HOST:PORT (the gRPC listener, or the HTTP base URL).
"""

import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import SpanKind

# Small batches, so one run is several export requests.
BATCH = 4


class Recording(SpanExporter):
    """Forwards to the real exporter and remembers every result."""

    def __init__(self, inner):
        self.inner = inner
        self.results = []

    def export(self, spans):
        result = self.inner.export(spans)
        self.results.append((len(spans), result))
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return self.inner.force_flush(timeout_millis)


def exporter(protocol, endpoint):
    if protocol in ("grpc", "grpc-gzip"):
        from grpc import Compression
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter,
        )

        compression = Compression.Gzip if protocol == "grpc-gzip" else Compression.NoCompression
        return OTLPSpanExporter(
            endpoint=endpoint, insecure=True, compression=compression, timeout=20
        )
    if protocol == "http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )

        return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces", timeout=20)
    sys.exit(f"unknown protocol {protocol!r}, expected grpc, grpc-gzip or http")


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    protocol, endpoint = sys.argv[1], sys.argv[2]
    ok, errors = int(sys.argv[3]), int(sys.argv[4])
    recording = Recording(exporter(protocol, endpoint))
    provider = TracerProvider(
        resource=Resource.create({"service.name": "shop", "region": "eu-west"})
    )
    provider.add_span_processor(
        BatchSpanProcessor(recording, max_export_batch_size=BATCH, schedule_delay_millis=60000)
    )
    tracer = provider.get_tracer("lodestar-test")
    for i in range(ok + errors):
        status = 200 if i < ok else 500
        with tracer.start_as_current_span(
            "POST /pay",
            kind=SpanKind.SERVER,
            attributes={"http.route": "/pay", "http.response.status_code": status},
        ):
            pass
    flushed = provider.force_flush(timeout_millis=60000)
    provider.shutdown()
    sent = sum(n for n, r in recording.results if r == SpanExportResult.SUCCESS)
    failed = [(n, r) for n, r in recording.results if r != SpanExportResult.SUCCESS]
    print(
        f"{protocol}: {sent} spans exported in {len(recording.results)} requests",
        file=sys.stderr,
    )
    if not flushed or failed or sent != ok + errors:
        sys.exit(
            f"{protocol}: flushed={flushed}, failed batches={failed}, "
            f"sent {sent} of {ok + errors} spans"
        )


if __name__ == "__main__":
    main()
