#!/usr/bin/env bash
# End-to-end OTLP trace ingest benchmark: a release server over bench/specs
# (20 SLOs) on a fresh data folder, loaded by lodestar-otlp-load over
# loopback with protobuf exports of 8192 SERVER spans, first over OTLP/HTTP,
# then over OTLP/gRPC (a fresh server each). Decoding, CEL matching,
# aggregation and the fdatasync before each answer are all in the figures.
# Usage: scripts/bench-otlp.sh [SPANS] [CONNECTIONS] [SPREAD_SECS]
set -euo pipefail
cd "$(dirname "$0")/.."
spans=${1:-5000000}
conns=${2:-4}
spread=${3:-60}
[ -n "${NO_BUILD:-}" ] || cargo build --release --bins -q
dir=$(mktemp -d)
pid=
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi
}
trap 'stop; rm -rf "$dir"' EXIT
for transport in http grpc; do
  echo "== OTLP/$transport"
  mkdir -p "$dir/$transport"
  ./target/release/lodestar serve --config bench/specs --data "$dir/$transport" \
    --listen 127.0.0.1:18481 --otlp-grpc-listen 127.0.0.1:18482 >"$dir/$transport.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$dir/$transport.log" 2>/dev/null && break
    sleep 0.1
  done
  ./target/release/lodestar-otlp-load --transport "$transport" --server http://127.0.0.1:18481 \
    --grpc 127.0.0.1:18482 --pid "$pid" --spans "$spans" --connections "$conns" --spread-secs "$spread"
  echo "data folder: $(du -sb "$dir/$transport" | cut -f1) bytes"
  stop
done
