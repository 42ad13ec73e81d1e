#!/usr/bin/env bash
# name: pg_clone_vs_pgcopydb / description: clone pgbench scale 50 (5M accounts) from one
# database to another on the same server: `pgcopydb clone --table-jobs 2 --index-jobs 2`
# and pg2sr (snapshot_only, sink postgres with create_tables: keys built after the rows, as
# pgcopydb does), order C P K P C Q, where P runs at the default parallelism (2 chunk
# readers, 2 target sessions; PG2SR_PARALLELISM), Q with one reader for reference, and K is
# one psql \copy piped into the table with its key already there (the floor of a loader
# that keeps the key during the load). Each tool's runs sit at the same mean position (this
# VM slows down as a run writes: one C P P K C P run read pgcopydb's copy 6.3 s first, 10.0 s
# last). Then 1,000,000 updates (100 transactions of 10,000 rows) streamed through the
# last pg2sr pipeline / group: postgres sink
# Prints wall times, each tool's copy phase, the ratios, the catch-up time after the
# updates (from their end until the target applied the last one) and pg2sr's peak RSS;
# fails when a target's row counts differ from the source's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pg2sr=${PG2SR_BINARY:-$root/build/engine/pg2sr}
scale=${1:-50}
parallelism=${PG2SR_PARALLELISM:-2}
bin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/pg2sr-clone.XXXXXX)
bash "$root/scripts/pg-cluster.sh" start "$work/pg" >/dev/null
pg2sr_pid=
cleanup() {
  [[ -n $pg2sr_pid ]] && kill -9 "$(pgrep -P "$pg2sr_pid")" 2>/dev/null
  bash "$root/scripts/pg-cluster.sh" stop "$work/pg" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
port=$(cat "$work/pg/port")
conn="host=127.0.0.1 port=$port user=postgres"
uri="postgres://postgres@127.0.0.1:$port"
sql() { psql "$conn dbname=$1" -qAtX -v ON_ERROR_STOP=1 -c "$2"; }
now() { date +%s.%N; }
tables="pgbench_accounts pgbench_branches pgbench_tellers pgbench_history"
# Untimed, after each step: autovacuum of a 5M-row target (its inserts trigger it) would
# otherwise run into the next step; pgcopydb vacuums its own inside its run.
quiet() { sql "$1" "VACUUM"; }
counts() { for t in $tables; do echo -n "${t#pgbench_} $(sql "$1" "SELECT count(*) FROM $t"), "; done; }

sql postgres "CREATE DATABASE src"
"$bin/pgbench" -i -s "$scale" -q "$conn dbname=src" >/dev/null 2>&1
sql src "VACUUM ANALYZE"
source_counts=$(counts src)
accounts=$((scale * 100000))

copydb_run() {  # n -> "wall copy_seconds data_phase_seconds" (pgcopydb's summary: COPY, and COPY+INDEX+VACUUM)
  sql postgres "CREATE DATABASE copydb_$1"
  sql postgres "CHECKPOINT" && sync  # each step starts with nothing left to write
  /usr/bin/time -f "%e" -o "$work/copydb_$1.time" pgcopydb clone --source "$uri/src" --target "$uri/copydb_$1" \
    --table-jobs 2 --index-jobs 2 --no-owner --no-acl --dir "$work/copydb_$1" >"$work/copydb_$1.out" 2>"$work/copydb_$1.log"
  quiet "copydb_$1"
  # Durations read "10s", "3s403", "299ms", "1m12s".
  awk -v wall="$(cat "$work/copydb_$1.time")" '
    function seconds(d,  s) {
      s = 0
      if (match(d, /[0-9]+m[0-9]/)) { s += 60 * substr(d, RSTART, RLENGTH - 2); d = substr(d, RSTART + RLENGTH - 1) }
      if (d ~ /ms$/) return s + d / 1000
      if (match(d, /^[0-9]+s[0-9]+$/)) { split(d, p, "s"); return s + p[1] + p[2] / 1000 }
      return s + d
    }
    /COPY \(cumulative\)/ { copy = seconds($(NF - 1)) }
    /COPY, INDEX, CONSTRAINTS, VACUUM \(wall clock\)/ { phase = seconds($(NF - 3)) }
    END { print wall, copy, phase }' "$work/copydb_$1.out"
}

pg2sr_config() {  # pipeline target snapshot_mode [parallelism]
  cat <<TOML
[pipeline]
name = "$1"
state_dir = "$work/state_$1"
status_interval = "60s"
[source]
kind = "postgres"
host = "127.0.0.1"
port = $port
dbname = "src"
user = "postgres"
[snapshot]
mode = "$3"
parallelism = ${4:-$parallelism}
[tables]
include = ["public\\\\.pgbench_.*"]
[sink]
kind = "postgres"
host = "127.0.0.1"
port = $port
dbname = "$2"
user = "postgres"
create_tables = true
TOML
}

log_seconds() { date -d "$(cut -c1-23 <<<"$1")" +%s.%N; }

pg2sr_run() {  # n [parallelism] -> "wall copy_seconds key_seconds cpu_seconds rss_kib"
  local start done_at wall user sys rss
  sql postgres "CREATE DATABASE pg2sr_$1"
  sql postgres "CHECKPOINT" && sync  # each step starts with nothing left to write
  pg2sr_config "clone$1" "pg2sr_$1" snapshot_only "${2:-}" >"$work/clone$1.toml"
  start=$(now)
  /usr/bin/time -f "%e %U %S %M" -o "$work/clone$1.time" "$pg2sr" run -c "$work/clone$1.toml" 2>"$work/clone$1.log"
  # The copy phase ends when the last chunk is durable in the target; the keys follow.
  done_at=$(log_seconds "$(grep "snapshot of .* done:" "$work/clone$1.log" | tail -n 1)")
  key=$(grep -o "primary key of public.pgbench_accounts built in [0-9.]*" "$work/clone$1.log" | awk '{print $NF}')
  read -r wall user sys rss <"$work/clone$1.time"
  quiet "pg2sr_$1"
  echo "$wall $(echo "$done_at - $start" | bc) ${key:-0} $(echo "$user + $sys" | bc) $rss"
}

read -r c1_wall c1_copy c1_phase <<<"$(copydb_run 1)"
read -r p1_wall p1_snap p1_key p1_cpu p1_rss <<<"$(pg2sr_run 1)"
sql src "SELECT pg_drop_replication_slot('pg2sr_clone1')" >/dev/null
sql src "DROP PUBLICATION pg2sr_clone1"
# The floor of a loader that keeps the key during the load: one COPY stream from the source
# into the table with its primary key already there, in key order.
sql postgres "CREATE DATABASE keyed_copy"
pg_dump -s -t pgbench_accounts "$conn dbname=src" | psql "$conn dbname=keyed_copy" -qX -v ON_ERROR_STOP=1 >/dev/null
sql postgres "CHECKPOINT" && sync
keyed_start=$(now)
psql "$conn dbname=src" -qAtX -c "\\copy pgbench_accounts to stdout" |
  psql "$conn dbname=keyed_copy" -qAtX -v ON_ERROR_STOP=1 -c "\\copy pgbench_accounts from stdin"
keyed_copy=$(echo "$(now) - $keyed_start" | bc)
quiet keyed_copy
read -r p2_wall p2_snap p2_key p2_cpu p2_rss <<<"$(pg2sr_run 2)"
sql src "SELECT pg_drop_replication_slot('pg2sr_clone2')" >/dev/null
sql src "DROP PUBLICATION pg2sr_clone2"
read -r c2_wall c2_copy c2_phase <<<"$(copydb_run 2)"
read -r q_wall q_snap q_key q_cpu q_rss <<<"$(pg2sr_run 3 1)"
for db in copydb_1 pg2sr_1 copydb_2 pg2sr_2 pg2sr_3; do
  got=$(counts "$db")
  [[ $got == "$source_counts" ]] || { echo "row counts of $db: $got, source: $source_counts" >&2; exit 1; }
done

# 1M updates streamed through the last pipeline (its snapshot is done: it only streams).
pg2sr_config clone3 pg2sr_3 initial >"$work/stream.toml"
/usr/bin/time -f "%e %U %S %M" -o "$work/stream.time" "$pg2sr" run -c "$work/stream.toml" 2>"$work/stream.log" &
pg2sr_pid=$!
until grep -q "streaming slot" "$work/stream.log"; do sleep 0.1; done
updates_start=$(now)
# The last transaction reads the WAL insert position before its commit: its commit record
# comes after it, every earlier one before it.
last_commit_after=$(
  for k in $(seq 0 99); do
    (( k == 99 )) && echo "BEGIN;"
    first=$(((k * 10000) % accounts))
    echo "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid > $first AND aid <= $((first + 10000));"
  done | cat - <(echo "SELECT pg_current_wal_insert_lsn(); COMMIT;") | psql "$conn dbname=src" -qAtX -v ON_ERROR_STOP=1)
updates_end=$(now)
sql pg2sr_3 "SET statement_timeout = '5min'; DO \$\$ BEGIN
  WHILE coalesce((SELECT commit_lsn FROM pg2sr.applied WHERE pipeline = 'clone3'
                  AND table_name = 'public.pgbench_accounts'), '0/0') < '$last_commit_after' LOOP
    PERFORM pg_sleep(0.01);
  END LOOP; END \$\$" || { tail -n 20 "$work/stream.log" >&2; exit 1; }
applied_at=$(now)
kill -TERM "$(pgrep -P "$pg2sr_pid")"  # pg2sr itself, not /usr/bin/time
wait "$pg2sr_pid"
pg2sr_pid=
read -r _ s_user s_sys s_rss <"$work/stream.time"
checksum="SELECT count(*), sum(abalance), sum(hashtext(t::text)::bigint) FROM pgbench_accounts t"
[[ $(sql src "$checksum") == $(sql pg2sr_3 "$checksum") ]] ||
  { echo "pgbench_accounts differs after the updates" >&2; exit 1; }

awk -v scale="$scale" -v accounts="$accounts" -v rows="${source_counts%, }" -v par="$parallelism" \
    -v c1w="$c1_wall" -v c1c="$c1_copy" -v c1p="$c1_phase" -v c2w="$c2_wall" -v c2c="$c2_copy" -v c2p="$c2_phase" \
    -v p1w="$p1_wall" -v p1s="$p1_snap" -v p1k="$p1_key" -v p1cpu="$p1_cpu" -v p1m="$p1_rss" \
    -v p2w="$p2_wall" -v p2s="$p2_snap" -v p2k="$p2_key" -v p2cpu="$p2_cpu" -v p2m="$p2_rss" \
    -v qw="$q_wall" -v qs="$q_snap" -v qk="$q_key" -v qm="$q_rss" \
    -v kc="$keyed_copy" -v us="$updates_start" -v ue="$updates_end" -v ua="$applied_at" \
    -v scpu="$(echo "$s_user + $s_sys" | bc)" -v sm="$s_rss" 'BEGIN {
  cw = (c1w + c2w) / 2; cc = (c1c + c2c) / 2; cp = (c1p + c2p) / 2; pw = (p1w + p2w) / 2; ps = (p1s + p2s) / 2
  printf "pg_clone_vs_pgcopydb / pgbench scale %d (%s), same server, order C P K P C Q / postgres sink\n", scale, rows
  printf "pgcopydb_wall_seconds %.2f and %.2f (mean %.2f)\n", c1w, c2w, cw
  printf "pgcopydb_copy_seconds %.2f and %.2f (COPY, cumulative; its summary rounds to 1 s above 10 s; mean %.2f)\n", c1c, c2c, cc
  printf "pgcopydb_data_phase_seconds %.2f and %.2f (COPY + CREATE INDEX + VACUUM, wall clock; mean %.2f)\n", c1p, c2p, cp
  printf "pg2sr_wall_seconds %.2f and %.2f (parallelism %d; mean %.2f)\n", p1w, p2w, par, pw
  printf "pg2sr_copy_seconds %.2f and %.2f (start to the last chunk durable in the target; mean %.2f)\n", p1s, p2s, ps
  printf "pg2sr_key_seconds %.2f and %.2f (primary key of pgbench_accounts built after the copy)\n", p1k, p2k
  printf "ratio_wall_pg2sr_to_pgcopydb %.2f (target <= 1)\n", pw / cw
  printf "ratio_copy_pg2sr_to_pgcopydb %.2f (copy phases: pg2sr start to last chunk / pgcopydb COPY)\n", ps / cc
  printf "ratio_copy_and_key_pg2sr_to_pgcopydb_data_phase %.2f\n", (ps + (p1k + p2k) / 2) / cp
  printf "pg2sr_parallelism_1 wall %.2f, copy %.2f, key %.2f, peak_rss_mib %.1f (ratio wall %.2f)\n", qw, qs, qk, qm / 1024, qw / cw
  printf "keyed_copy_seconds %.2f (psql \\copy piped into the table with its key: the floor of keeping the key during the load)\n", kc
  printf "pg2sr_rows_per_sec %.0f, cpu_seconds %.2f and %.2f, peak_rss_mib %.1f and %.1f\n",
    accounts / pw, p1cpu, p2cpu, p1m / 1024, p2m / 1024
  printf "updates_seconds %.2f (1,000,000 updates in 100 transactions, pg2sr streaming)\n", ue - us
  printf "catch_up_seconds %.2f (end of the updates until the target applied the last one)\n", ua - ue
  printf "stream_updates_per_sec %.0f (start of the updates until applied), cpu_seconds %.2f, peak_rss_mib %.1f\n",
    1000000 / (ua - us), scpu, sm / 1024
}'
