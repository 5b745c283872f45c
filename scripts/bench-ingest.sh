#!/usr/bin/env bash
# End-to-end NDJSON ingest benchmark: a release server over bench/specs (20
# SLOs) on a fresh data folder, loaded by lodestar-load over loopback.
# Usage: scripts/bench-ingest.sh [EVENTS] [CONNECTIONS] [SPREAD_SECS]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-5000000}
conns=${2:-4}
spread=${3:-60}
cargo build --release --bins -q
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
./target/release/lodestar serve --config bench/specs --data "$dir" --listen 127.0.0.1:18480 >"$dir/out.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$dir/out.log" 2>/dev/null && break
  sleep 0.1
done
./target/release/lodestar-load --server http://127.0.0.1:18480 --pid "$pid" --events "$events" --connections "$conns" --spread-secs "$spread"
echo "data folder: $(du -sb "$dir" | cut -f1) bytes"
