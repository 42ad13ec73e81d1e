#!/usr/bin/env bash
# name: synthetic_to_starrocks / description: synthetic WAL -> pg2sr -> Stream Load over
# loopback into the StarRocks emulator in discard mode (it counts, stores nothing)
# / group: loader
# Prints, per body format: rows loaded, body bytes sent, wall and CPU seconds of pg2sr, and
# pg2sr's CPU seconds per GB of load bodies (the figure to compare targets by); the
# emulator's own CPU is reported apart (it stands in for StarRocks, not pg2sr).
# Usage: perf/synthetic_to_starrocks.sh [row_changes] (default 3,000,000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pg2sr=${PG2SR_BINARY:-$root/build/engine/pg2sr}
emulator=${PG2SR_EMULATOR:-$root/build/tests/emulator/starrocks_emulator}
changes=${1:-3000000}
work=$(mktemp -d /tmp/pg2sr-perf.XXXXXX)
emulator_pid=
cleanup() {
  [[ -n $emulator_pid ]] && kill "$emulator_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "synthetic_to_starrocks / synthetic -> Stream Load (emulator, discard) / loader"
echo "row_changes $changes"
for variant in json:none csv:none json:lz4; do
  format=${variant%%:*}
  compression=${variant##*:}
  "$emulator" --discard --password perf-secret >"$work/emulator.out" 2>"$work/emulator.err" &
  emulator_pid=$!
  for _ in $(seq 100); do grep -q fe_port "$work/emulator.out" 2>/dev/null && break; sleep 0.05; done
  fe_port=$(grep -oP 'fe_port=\K[0-9]+' "$work/emulator.out")
  cat >"$work/p.toml" <<TOML
[pipeline]
name = "perf"
state_dir = "$work/state-$format-$compression"
status_interval = "60s"
[source]
kind = "synthetic"
[source.synthetic]
max_events = $changes
[sink]
kind = "starrocks"
fe_url = "http://127.0.0.1:$fe_port"
database = "perf"
password_env = "PG2SR_PERF_STARROCKS_PASSWORD"
format = "$format"
compression = "$compression"
TOML
  PG2SR_PERF_STARROCKS_PASSWORD=perf-secret /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
    "$pg2sr" run -c "$work/p.toml" 2>"$work/log"
  read -r wall user sys rss_kib <"$work/time"
  # The emulator's CPU (utime + stime, in clock ticks) before SIGINT makes it print its counters.
  read -r emu_user emu_sys < <(awk '{print $14 / 100, $15 / 100}' "/proc/$emulator_pid/stat")
  kill -INT "$emulator_pid"
  wait "$emulator_pid" || true
  emulator_pid=
  loads=$(grep -oP 'stopped after \K[0-9]+(?= loads)' "$work/emulator.err")
  rows=$(grep -oP 'loads, \K[0-9]+(?= rows)' "$work/emulator.err")
  bytes=$(grep -oP 'rows, \K[0-9]+(?= bytes)' "$work/emulator.err")
  awk -v p="$format.$compression" -v l="$loads" -v r="$rows" -v b="$bytes" -v w="$wall" -v u="$user" -v s="$sys" \
      -v m="$rss_kib" -v eu="$emu_user" -v es="$emu_sys" 'BEGIN {
    cpu = u + s
    printf "%s.loads %d\n%s.rows_loaded %d\n%s.body_mb %.1f\n", p, l, p, r, p, b / 1e6
    printf "%s.wall_seconds %.2f\n%s.pg2sr_cpu_seconds %.2f\n", p, w, p, cpu
    printf "%s.rows_per_sec %.0f\n%s.body_mb_per_sec %.1f\n", p, r / w, p, b / w / 1e6
    printf "%s.pg2sr_cpu_seconds_per_gb %.2f\n", p, cpu / (b / 1e9)
    printf "%s.pg2sr_peak_rss_mib %.1f\n%s.emulator_cpu_seconds %.2f\n", p, m / 1024, p, eu + es
  }'
done
