#!/usr/bin/env bash
# name: big_transaction / description: one transaction of ROWS rows (default 10,000,000):
# an INSERT ... SELECT generate_series, then an UPDATE of every row, each streamed live into
# the null sink and into the postgres sink, beside pg_recvlogical draining the same
# transaction from its own slot in the same run / group: live source
# Per case: pg2sr's peak RSS (target <= max_in_flight_bytes + 128 MiB, whatever ROWS is) and
# the seconds from the source's COMMIT to the slot confirming the transaction's end (pg2sr:
# every row durable in the target; pg_recvlogical: written and fsynced to its file), and
# their ratio. STREAMING=on|off (default: pg2sr's default, off) sets pg2sr's [source]
# streaming; pg_recvlogical always lets the walsender spill (what it does without it).
# SINKS (default "null postgres") picks the sinks whose cases run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pg2sr=${PG2SR_BINARY:-$root/build/engine/pg2sr}
rows=${ROWS:-10000000}
streaming=${STREAMING:-off}
in_flight_mib=${IN_FLIGHT_MIB:-256}
sinks=${SINKS:-null postgres}  # e.g. SINKS=postgres for that sink's cases alone
bin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/pg2sr-bigtxn.XXXXXX)
bash "$root/scripts/pg-cluster.sh" start "$work/pg" >/dev/null
cleanup() {
  [[ -n ${pg2sr_pid:-} ]] && pkill -TERM -P "$pg2sr_pid" 2>/dev/null || true
  [[ -n ${recv_pid:-} ]] && kill "$recv_pid" 2>/dev/null || true
  bash "$root/scripts/pg-cluster.sh" stop "$work/pg" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
port=$(cat "$work/pg/port")
conn="host=127.0.0.1 port=$port user=postgres"
sql() { psql "$conn dbname=${2:-postgres}" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
now() { date +%s.%N; }

sql "CREATE DATABASE target"
sql "CREATE TABLE big (id bigint PRIMARY KEY, v int NOT NULL, pad text NOT NULL)"
sql "CREATE PUBLICATION bigpub FOR TABLE big"

# Waits until `slot` has confirmed `lsn`; prints the time it did.
confirmed_at() {
  while [[ $(sql "SELECT coalesce(confirmed_flush_lsn >= '$2'::pg_lsn, false) FROM pg_replication_slots WHERE slot_name = '$1'") != t ]]; do
    sleep 0.05
  done
  now
}

start_pg2sr() {  # sink case -> background pg2sr on slot pg2sr_<case>
  local sink_toml
  if [[ $1 == null ]]; then
    sink_toml=$'[sink]\nkind = "null"'
  else
    sink_toml=$'[sink]\nkind = "postgres"\nhost = "127.0.0.1"\nport = '"$port"$'\ndbname = "target"\nuser = "postgres"\ncreate_tables = true'
  fi
  cat >"$work/$2.toml" <<TOML
[pipeline]
name = "$2"
state_dir = "$work/state_$2"
status_interval = "600s"
max_in_flight_bytes = "${in_flight_mib}MiB"
[source]
kind = "postgres"
host = "127.0.0.1"
port = $port
dbname = "postgres"
user = "postgres"
slot = "pg2sr_$2"
publication = "bigpub"
publication_mode = "disabled"
streaming = $([[ $streaming == on ]] && echo true || echo false)
status_interval = "500ms"
[snapshot]
mode = "never"
[tables]
include = ["public\\\\.big"]
$sink_toml
TOML
  /usr/bin/time -f "%e %U %S %M" -o "$work/$2.time" "$pg2sr" run -c "$work/$2.toml" 2>"$work/$2.log" &
  pg2sr_pid=$!
  until grep -q "streaming slot" "$work/$2.log" 2>/dev/null; do sleep 0.1; done
}

start_recv() {  # case -> background pg_recvlogical on slot recv_<case>
  "$bin/pg_recvlogical" -d "$conn dbname=postgres" -S "recv_$1" --create-slot -P pgoutput >/dev/null
  "$bin/pg_recvlogical" -d "$conn dbname=postgres" -S "recv_$1" --start -o proto_version=1 -o publication_names=bigpub \
    -F 1 -s 1 -f "$work/recv_$1.out" &
  recv_pid=$!
  sleep 0.5
}

# One case: the transaction `$3` with both drains running; prints the figures.
run_case() {  # sink op sql
  local name="$1_$2"
  start_recv "$name"
  start_pg2sr "$1" "$name"
  local began committed end_lsn
  began=$(now)
  # The last LSN before the commit record: a slot confirms past it only once the whole
  # transaction is through (pg2sr: durable; pg_recvlogical: its commit message written).
  end_lsn=$(sql "BEGIN; $3; SELECT pg_current_wal_insert_lsn(); COMMIT")
  committed=$(now)
  local recv_done pg2sr_done
  recv_done=$(confirmed_at "recv_$name" "$end_lsn")
  pg2sr_done=$(confirmed_at "pg2sr_$name" "$end_lsn")
  pkill -TERM -P "$pg2sr_pid"  # pg2sr, under /usr/bin/time
  wait "$pg2sr_pid" || { echo "pg2sr failed:"; tail -20 "$work/$name.log"; exit 1; }
  pg2sr_pid=
  kill -TERM "$recv_pid"; wait "$recv_pid" 2>/dev/null || true; recv_pid=
  read -r _ _ _ rss_kib <"$work/$name.time"
  sql "SELECT pg_drop_replication_slot('recv_$name')" >/dev/null
  sql "SELECT pg_drop_replication_slot('pg2sr_$name')" >/dev/null
  awk -v s="$1" -v o="$2" -v n="$rows" -v b="$began" -v c="$committed" -v r="$recv_done" -v p="$pg2sr_done" \
      -v m="$rss_kib" -v cap="$in_flight_mib" -v st="$streaming" 'BEGIN {
    rl = r - c; pl = p - c; if (rl < 0.05) rl = 0.05
    printf "%s sink, %s of %d rows (streaming %s): transaction %.1f s\n", s, o, n, st, c - b
    printf "  commit_to_durable_seconds pg2sr %.2f, pg_recvlogical %.2f, ratio %.2f\n", pl, rl, pl / rl
    printf "  pg2sr_peak_rss_mib %.0f (target <= max_in_flight_bytes %d MiB + 128 MiB: %s)\n", m / 1024, cap,
           m / 1024 <= cap + 128 ? "met" : "MISSED"
  }'
}

echo "big_transaction / $rows rows in one transaction, live, pg2sr streaming=$streaming, max_in_flight_bytes ${in_flight_mib}MiB / live source"
for sink in $sinks; do
  sql "TRUNCATE big"
  sql "DROP TABLE IF EXISTS big" target
  run_case "$sink" insert "INSERT INTO big SELECT g, 0, 'row ' || g FROM generate_series(1, $rows) g"
  run_case "$sink" update "UPDATE big SET v = v + 1"
  if [[ $sink == postgres ]]; then
    echo "  target rows: $(sql "SELECT count(*) || ' rows, sum(v) ' || sum(v) FROM big" target) (source: $rows rows, sum(v) $rows)"
  fi
done
