#!/usr/bin/env bash
# name: snapshot_vs_copy / description: incremental snapshot of pgbench_accounts at scale 50
# (5M rows) into the null sink, parallelism 1 and 2, beside `psql -c "\copy
# pgbench_accounts to /dev/null"` on the same server in the same run / group: snapshot
# Prints wall times, rows/s and the ratios (target <= 1.2 at default settings).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pg2sr=${PG2SR_BINARY:-$root/build/engine/pg2sr}
scale=${1:-50}
bin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/pg2sr-snapperf.XXXXXX)
bash "$root/scripts/pg-cluster.sh" start "$work/pg" >/dev/null
trap 'bash "$root/scripts/pg-cluster.sh" stop "$work/pg" >/dev/null; rm -rf "$work"' EXIT
port=$(cat "$work/pg/port")
conn="host=127.0.0.1 port=$port user=postgres dbname=postgres"
now() { date +%s.%N; }
"$bin/pgbench" -i -s "$scale" -q "$conn" >/dev/null 2>&1
psql "$conn" -qAtX -c "VACUUM ANALYZE pgbench_accounts"
rows=$(psql "$conn" -qAtX -c "SELECT count(*) FROM pgbench_accounts")

copy_run() {
  local start; start=$(now)
  psql "$conn" -qAtX -c "\\copy pgbench_accounts to /dev/null"
  echo "$(now) - $start" | bc
}

pg2sr_run() {  # parallelism -> wall seconds
  rm -rf "$work/state_$1"
  cat >"$work/p$1.toml" <<TOML
[pipeline]
name = "snapperf$1"
state_dir = "$work/state_$1"
status_interval = "60s"
[source]
kind = "postgres"
port = $port
dbname = "postgres"
user = "postgres"
[snapshot]
mode = "snapshot_only"
parallelism = $1
[tables]
include = ["public\\\\.pgbench_accounts"]
[sink]
kind = "null"
TOML
  /usr/bin/time -f "%e %U %S %M" -o "$work/time$1" "$pg2sr" run -c "$work/p$1.toml" 2>"$work/log$1"
  psql "$conn" -qAtX -c "SELECT pg_drop_replication_slot('pg2sr_snapperf$1')" >/dev/null
  cut -d' ' -f1 "$work/time$1"
}

c1=$(copy_run)
p1=$(pg2sr_run 1)
p2=$(pg2sr_run 2)
c2=$(copy_run)
loaded=$(grep -oP 'done: [0-9]+ events, \K[0-9]+' "$work/log2")
awk -v rows="$rows" -v loaded="$loaded" -v c1="$c1" -v c2="$c2" -v p1="$p1" -v p2="$p2" \
    -v cpu2="$(awk '{print $2 + $3}' "$work/time2")" -v rss="$(awk '{print $4}' "$work/time2")" 'BEGIN {
  c = (c1 + c2) / 2
  printf "snapshot_vs_copy / pgbench_accounts %d rows, order copy, p1, p2, copy / snapshot\n", rows
  printf "copy_wall_seconds %.2f and %.2f (mean %.2f, %.0f rows/s)\n", c1, c2, c, rows / c
  printf "pg2sr_parallelism_1_seconds %.2f (%.0f rows/s), ratio %.2f\n", p1, rows / p1, p1 / c
  printf "pg2sr_parallelism_2_seconds %.2f (%.0f rows/s), ratio %.2f (default settings; target <= 1.2)\n", p2, rows / p2, p2 / c
  printf "pg2sr_parallelism_2_cpu_seconds %.2f, peak_rss_mib %.1f, rows_loaded %d\n", cpu2, rss / 1024, loaded
}'
