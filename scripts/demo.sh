#!/usr/bin/env bash
# The main job on the embedded default, on a fresh Debian 12 machine: installs the packages,
# builds pg2sr, starts a throwaway local PostgreSQL 15, runs the live preflight, then
# snapshots and streams public.orders from it into a JSON-lines file while changes are
# made, stops pg2sr
# (SIGTERM: drain, checkpoint, exit 0) and shows what arrived. Then a short load test on
# synthetic WAL. Everything lives under ${PG2SR_DEMO_DIR:-/tmp/pg2sr-demo}; the PostgreSQL
# it started is stopped at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
demo=${PG2SR_DEMO_DIR:-/tmp/pg2sr-demo}

bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
pg2sr=$root/build/engine/pg2sr

mkdir -p "$demo"
bash "$root/scripts/pg-cluster.sh" start "$demo/pg"
trap 'bash "$root/scripts/pg-cluster.sh" stop "$demo/pg" >/dev/null' EXIT
port=$(cat "$demo/pg/port")

psql "host=127.0.0.1 port=$port user=postgres dbname=postgres" -qX -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE public.orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), placed_at timestamptz DEFAULT now());
INSERT INTO public.orders (id, customer, amount)
  SELECT g, 'customer ' || (g % 100), round((random() * 1000)::numeric, 2) FROM generate_series(1, 10000) g;
SQL

sed -e "s/@PORT@/$port/" -e "s#@DEMO@#$demo#" "$root/scripts/demo.toml" >"$demo/demo.toml"
rm -rf "$demo/state" "$demo/changes.jsonl"
echo "demo: configuration in $demo/demo.toml"
"$pg2sr" --version
"$pg2sr" check -c "$demo/demo.toml"

sql() { psql "host=127.0.0.1 port=$port user=postgres dbname=postgres" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
"$pg2sr" run -c "$demo/demo.toml" 2>"$demo/pg2sr.log" &
pg2sr_pid=$!
until [[ $(sql "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'pg2sr'") == 1 ]]; do sleep 0.2; done
echo "demo: pg2sr snapshots the 10,000 existing rows and streams (one walsender, slot pg2sr_demo); changing orders..."
sql "INSERT INTO orders (id, customer, amount) SELECT g, 'new customer ' || g, g FROM generate_series(10001, 11000) g"
sql "UPDATE orders SET amount = amount * 2 WHERE id BETWEEN 10001 AND 10100"
sql "DELETE FROM orders WHERE id BETWEEN 10901 AND 11000"
sql "ALTER TABLE orders ADD COLUMN note text"
sql "UPDATE orders SET note = 'added while streaming' WHERE id = 10001"
target=$(sql "SELECT pg_current_wal_insert_lsn()")
until [[ $(sql "SELECT confirmed_flush_lsn >= '$target' FROM pg_replication_slots WHERE slot_name = 'pg2sr_demo'") == t ]] &&
  grep -q "snapshot of public.orders done" "$demo/pg2sr.log"; do sleep 0.2; done
kill -TERM "$pg2sr_pid"
wait "$pg2sr_pid"
grep -E "streaming slot|snapshot of|done:" "$demo/pg2sr.log"
echo "demo: $(wc -l <"$demo/changes.jsonl") changes in $demo/changes.jsonl; the first and the last:"
head -n 1 "$demo/changes.jsonl"
tail -n 1 "$demo/changes.jsonl"
"$pg2sr" slot list -c "$demo/demo.toml"

sed -e "s#@DEMO@#$demo#" "$root/scripts/demo-synthetic.toml" >"$demo/demo-synthetic.toml"
rm -rf "$demo/state-synthetic" "$demo/synthetic.jsonl"
echo "demo: a load test on synthetic WAL ($demo/demo-synthetic.toml)"
"$pg2sr" run -c "$demo/demo-synthetic.toml" 2>&1 | tail -n 1
