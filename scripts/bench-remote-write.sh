#!/usr/bin/env bash
# Remote-write benchmark: the same pre-encoded load (lodestar-rw-load: 10 k
# series per request, 10 labels each, 100 k active series, ROUNDS samples per
# series) sent in one run to a release Lodestar (bench/specs-rw: 20 counter
# SLOs selecting a fifth of the series), VictoriaMetrics and Prometheus
# (remote-write receiver on), one after the other, each on a fresh data
# folder and alone on the machine while measured. Prints one table.
# Usage: scripts/bench-remote-write.sh [ROUNDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-30}
conns=${2:-5}
series=100000
for bin in victoria-metrics prometheus; do
  command -v "$bin" >/dev/null || {
    echo "$bin is not installed; install the Debian package $bin (apt-get install $bin)" >&2
    exit 1
  }
done
cargo build --release --bins -q
dir=$(mktemp -d)
pid=
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi
}
trap 'stop; rm -rf "$dir"' EXIT

# wait_for URL: polls (<= 60 s) until URL answers 2xx.
wait_for() {
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "no answer from $1 within 60 s" >&2
  return 1
}

# Every receiver gets byte-identical requests: same timestamps, same order.
start_ms=$(( $(date +%s%3N) - (rounds - 1) * 15000 ))
results="$dir/results"
: >"$results"
run_load() { # NAME URL
  ./target/release/lodestar-rw-load --name "$1" --url "$2" --pid "$pid" \
    --series "$series" --rounds "$rounds" --connections "$conns" --start-ms "$start_ms" \
    | tee "$dir/$1.out"
  grep '^RESULT ' "$dir/$1.out" >>"$results"
}

echo "== lodestar"
mkdir -p "$dir/lodestar"
./target/release/lodestar serve --config bench/specs-rw --data "$dir/lodestar" \
  --listen 127.0.0.1:18491 >"$dir/lodestar.log" 2>&1 &
pid=$!
wait_for http://127.0.0.1:18491/healthz
run_load lodestar http://127.0.0.1:18491/api/v1/write
stop

echo "== victoria-metrics"
victoria-metrics -httpListenAddr 127.0.0.1:18492 -storageDataPath "$dir/vm" \
  -loggerLevel ERROR >"$dir/vm.log" 2>&1 &
pid=$!
wait_for http://127.0.0.1:18492/health
run_load victoria-metrics http://127.0.0.1:18492/api/v1/write
stop

echo "== prometheus"
printf 'global:\n  scrape_interval: 1m\n' >"$dir/prometheus.yml"
prometheus --web.enable-remote-write-receiver --storage.tsdb.path "$dir/prom" \
  --config.file "$dir/prometheus.yml" --web.listen-address 127.0.0.1:18493 \
  --log.level warn >"$dir/prom.log" 2>&1 &
pid=$!
wait_for http://127.0.0.1:18493/-/ready
run_load prometheus http://127.0.0.1:18493/api/v1/write
stop

echo
echo "$(nproc) cores, $series active series, $rounds samples each, $conns connections"
awk -v series="$series" '
  BEGIN {
    printf "| %-16s | %12s | %18s | %9s | %15s | %21s |\n", "engine", "samples/s", "samples/CPU-second", "RSS MiB", "RSS/series (B)", "RSS growth/series (B)"
    printf "|%s|%s|%s|%s|%s|%s|\n", "------------------", "--------------", "--------------------", "-----------", "-----------------", "-----------------------"
  }
  {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "| %-16s | %12d | %18d | %9.1f | %15.0f | %21.0f |\n", v["name"], v["samples_per_s"], v["samples_per_cpu_s"], v["rss_bytes"] / 1048576, v["rss_bytes"] / series, v["rss_growth_per_series"]
  }' "$results"
