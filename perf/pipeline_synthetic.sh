#!/usr/bin/env bash
# name: pipeline_synthetic / description: synthetic WAL -> decoder -> batcher -> null
# loader, end to end in one pg2sr process, default settings, narrow rows (4 columns)
# / group: pipeline
# Prints events/s (pgoutput messages decoded, and row changes), events per CPU-second and
# peak RSS. Usage: perf/pipeline_synthetic.sh [row_changes] (default 5,000,000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pg2sr=${PG2SR_BINARY:-$root/build/engine/pg2sr}
changes=${1:-5000000}
work=$(mktemp -d /tmp/pg2sr-perf.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat >"$work/p.toml" <<TOML
[pipeline]
name = "perf"
state_dir = "$work/state"
status_interval = "60s"
[source]
kind = "synthetic"
[source.synthetic]
max_events = $changes
[sink]
kind = "null"
TOML

/usr/bin/time -f "%e %U %S %M" -o "$work/time" "$pg2sr" run -c "$work/p.toml" 2>"$work/log"
read -r wall user sys rss_kib <"$work/time"
events=$(grep -oP 'done: \K[0-9]+(?= events)' "$work/log")
awk -v e="$events" -v c="$changes" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss_kib" 'BEGIN {
  cpu = u + s
  printf "pipeline_synthetic / synthetic -> null, 4 columns, default settings / pipeline\n"
  printf "row_changes %d\nevents_decoded %d (incl. begin/commit/keepalive)\n", c, e
  printf "wall_seconds %.2f\ncpu_seconds %.2f\n", w, cpu
  printf "events_per_sec %.0f\nrow_changes_per_sec %.0f\n", e / w, c / w
  printf "events_per_cpu_sec %.0f\n", e / cpu
  printf "peak_rss_mib %.1f\n", r / 1024
}'
