#!/usr/bin/env bash
# name: drain_vs_pg_recvlogical / description: drain 1,000,000 pgoutput update events
# (UPDATE pgbench_accounts SET abalance = abalance + 1, pgbench scale 10, in 100
# transactions of 10,000 rows) from a fresh slot: pg2sr (null sink) and pg_recvlogical
# (pgoutput, to a file) on the same server in the same run / group: live source
# Four slots are created before the updates; the drains run in the order pg_recvlogical,
# pg2sr, pg2sr, pg_recvlogical (so neither gets the warmer cache), and the means are
# compared. Prints wall times, the ratio and pg2sr's CPU seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pg2sr=${PG2SR_BINARY:-$root/build/engine/pg2sr}
bin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/pg2sr-drain.XXXXXX)
bash "$root/scripts/pg-cluster.sh" start "$work/pg" >/dev/null
trap 'bash "$root/scripts/pg-cluster.sh" stop "$work/pg" >/dev/null; rm -rf "$work"' EXIT
port=$(cat "$work/pg/port")
conn="host=127.0.0.1 port=$port user=postgres dbname=postgres"
sql() { psql "$conn" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
now() { date +%s.%N; }

"$bin/pgbench" -i -s 10 -q "$conn" >/dev/null 2>&1
sql "CREATE PUBLICATION drain FOR TABLE pgbench_accounts"
for s in recv_1 pg2sr_1 pg2sr_2 recv_2; do
  sql "SELECT pg_create_logical_replication_slot('drain_$s', 'pgoutput')" >/dev/null
done
for k in $(seq 0 99); do
  echo "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid > $((k * 10000)) AND aid <= $(((k + 1) * 10000));"
done | psql "$conn" -qX -v ON_ERROR_STOP=1
endpos=$(sql "SELECT pg_current_wal_insert_lsn()")

recv_drain() {  # slot -> wall seconds
  local start; start=$(now)
  "$bin/pg_recvlogical" -d "$conn" -S "drain_$1" --start --endpos "$endpos" --no-loop \
    -o proto_version=1 -o publication_names=drain -f "$work/$1.out"
  echo "$(now) - $start" | bc
}

pg2sr_drain() {  # slot -> "wall user sys rss_kib" and the done line in $work/$1.log
  sed -e "s/@SLOT@/drain_$1/" -e "s#@STATE@#$work/state_$1#" >"$work/$1.toml" <<TOML
[pipeline]
name = "drain"
state_dir = "@STATE@"
status_interval = "60s"
[source]
kind = "postgres"
host = "127.0.0.1"
port = $port
dbname = "postgres"
user = "postgres"
slot = "@SLOT@"
publication = "drain"
publication_mode = "disabled"
[snapshot]
mode = "never"
[tables]
include = ["public\\\\.pgbench_accounts"]
[sink]
kind = "null"
TOML
  ${PG2SR_WRAP:-} /usr/bin/time -f "%e %U %S %M" -o "$work/$1.time" \
    "$pg2sr" run -c "$work/$1.toml" --stop-at-lsn "$endpos" 2>"$work/$1.log"
  cat "$work/$1.time"
}

r1=$(recv_drain recv_1)
read -r w1 u1 s1 m1 <<<"$(pg2sr_drain pg2sr_1)"
read -r w2 u2 s2 m2 <<<"$(pg2sr_drain pg2sr_2)"
r2=$(recv_drain recv_2)
echo "pg2sr: $(grep -oP "done: .*" "$work/pg2sr_1.log")"
awk -v r1="$r1" -v r2="$r2" -v w1="$w1" -v w2="$w2" -v c1="$(echo "$u1 + $s1" | bc)" -v c2="$(echo "$u2 + $s2" | bc)" \
    -v m="$m1" 'BEGIN {
  rw = (r1 + r2) / 2; pw = (w1 + w2) / 2; cpu = (c1 + c2) / 2
  printf "drain_vs_pg_recvlogical / 1M pgoutput updates from a fresh slot, order R P P R / live source\n"
  printf "pg_recvlogical_wall_seconds %.2f and %.2f (mean %.2f)\n", r1, r2, rw
  printf "pg2sr_wall_seconds %.2f and %.2f (mean %.2f)\n", w1, w2, pw
  printf "ratio_pg2sr_to_pg_recvlogical %.3f (target <= 1.05)\n", pw / rw
  printf "pg2sr_cpu_seconds %.2f (%.0f%% of its wall time; target <= 50%%)\n", cpu, 100 * cpu / pw
  printf "pg2sr_events_per_sec %.0f, peak_rss_mib %.1f\n", 1000000 / pw, m / 1024
}'
