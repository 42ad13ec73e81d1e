#!/usr/bin/env bash
# The main job on the embedded default, on a fresh Debian 12 machine: installs the packages,
# builds pg2sr, starts a throwaway local PostgreSQL 15 and, as the target, the StarRocks
# Stream Load emulator (tests/emulator: StarRocks' HTTP protocol on loopback, since
# StarRocks itself is not in apt). Runs the live preflight, prints the DDL, then snapshots
# and streams public.orders into StarRocks while changes are made, stops pg2sr (SIGTERM:
# drain, checkpoint, exit 0) and compares the target table with the source row for row.
# Then a short load test on synthetic WAL. Everything lives under
# ${PG2SR_DEMO_DIR:-/tmp/pg2sr-demo}; what it started is stopped at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
demo=${PG2SR_DEMO_DIR:-/tmp/pg2sr-demo}

bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
pg2sr=$root/build/engine/pg2sr
emulator=$root/build/tests/emulator/starrocks_emulator

mkdir -p "$demo"
bash "$root/scripts/pg-cluster.sh" start "$demo/pg"
export PG2SR_DEMO_STARROCKS_PASSWORD=demo-secret
"$emulator" --password "$PG2SR_DEMO_STARROCKS_PASSWORD" >"$demo/emulator.out" 2>"$demo/emulator.log" &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null || true; bash "$root/scripts/pg-cluster.sh" stop "$demo/pg" >/dev/null' EXIT
until grep -q fe_port "$demo/emulator.out" 2>/dev/null; do sleep 0.1; done
fe_port=$(grep -oP 'fe_port=\K[0-9]+' "$demo/emulator.out")
port=$(cat "$demo/pg/port")

psql "host=127.0.0.1 port=$port user=postgres dbname=postgres" -qX -v ON_ERROR_STOP=1 <<'SQL'
DROP TABLE IF EXISTS public.orders;
CREATE TABLE public.orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), placed_at timestamptz DEFAULT now());
INSERT INTO public.orders (id, customer, amount)
  SELECT g, 'customer ' || (g % 100), round((random() * 1000)::numeric, 2) FROM generate_series(1, 10000) g;
SQL

sed -e "s/@PORT@/$port/" -e "s/@FE_PORT@/$fe_port/" -e "s#@DEMO@#$demo#" "$root/scripts/demo.toml" >"$demo/demo.toml"
rm -rf "$demo/state"
echo "demo: configuration in $demo/demo.toml"
"$pg2sr" --version
"$pg2sr" check -c "$demo/demo.toml"
echo "demo: the StarRocks table pg2sr ddl prints:"
"$pg2sr" ddl -c "$demo/demo.toml"
# The emulator takes no SQL: the same table, as its admin endpoint reads it.
curl -fsS -X POST "http://127.0.0.1:$fe_port/_emulator/create_table" -d '{"db": "shop", "table": "orders",
  "columns": [{"name": "id", "type": "BIGINT"}, {"name": "customer", "type": "VARCHAR(1048576)"},
              {"name": "amount", "type": "DECIMAL(12,2)"}, {"name": "placed_at", "type": "DATETIME"}],
  "key": ["id"], "model": "primary"}' >/dev/null

sql() { psql "host=127.0.0.1 port=$port user=postgres dbname=postgres" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
"$pg2sr" run -c "$demo/demo.toml" 2>"$demo/pg2sr.log" &
pg2sr_pid=$!
until [[ $(sql "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'pg2sr'") == 1 ]]; do sleep 0.2; done
echo "demo: pg2sr snapshots the 10,000 existing rows and streams (one walsender, slot pg2sr_demo); changing orders..."
sql "INSERT INTO orders (id, customer, amount) SELECT g, 'new customer ' || g, g FROM generate_series(10001, 11000) g"
sql "UPDATE orders SET amount = amount * 2 WHERE id BETWEEN 10001 AND 10100"
sql "DELETE FROM orders WHERE id BETWEEN 10901 AND 11000"
sql "UPDATE orders SET customer = 'it''s \"quoted\", é 日本' WHERE id = 10001"
target=$(sql "SELECT pg_current_wal_insert_lsn()")
until [[ $(sql "SELECT confirmed_flush_lsn >= '$target' FROM pg_replication_slots WHERE slot_name = 'pg2sr_demo'") == t ]] &&
  grep -q "snapshot of public.orders done" "$demo/pg2sr.log"; do sleep 0.2; done
kill -TERM "$pg2sr_pid"
wait "$pg2sr_pid"
grep -E "streaming slot|snapshot of|done:" "$demo/pg2sr.log"
"$pg2sr" slot list -c "$demo/demo.toml"

# What StarRocks holds, compared in SQL with the source (timestamps in UTC, as loaded).
curl -fsS "http://127.0.0.1:$fe_port/_emulator/dump?db=shop&table=orders" >"$demo/orders-in-starrocks.json"
psql "host=127.0.0.1 port=$port user=postgres dbname=postgres" -qAtX -v ON_ERROR_STOP=1 \
  -v dump="$demo/orders-in-starrocks.json" <<'SQL'
CREATE TEMP TABLE in_starrocks AS
  SELECT r->>0 AS id, r->>1 AS customer, r->>2 AS amount, r->>3 AS placed_at
  FROM jsonb_array_elements(pg_read_file(:'dump')::jsonb->'rows') r;
CREATE TEMP TABLE in_postgres AS
  SELECT id::text, customer, amount::text,
         regexp_replace(to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), '\.?0+$', '') AS placed_at
  FROM orders;
SELECT format('demo: StarRocks (emulator) has %s rows of shop.orders; source has %s; rows that differ: %s',
  (SELECT count(*) FROM in_starrocks), (SELECT count(*) FROM in_postgres),
  (SELECT count(*) FROM ((TABLE in_starrocks EXCEPT TABLE in_postgres) UNION ALL
                         (TABLE in_postgres EXCEPT TABLE in_starrocks)) d));
SQL

sed -e "s#@DEMO@#$demo#" "$root/scripts/demo-synthetic.toml" >"$demo/demo-synthetic.toml"
rm -rf "$demo/state-synthetic" "$demo/synthetic.jsonl"
echo "demo: a load test on synthetic WAL ($demo/demo-synthetic.toml)"
"$pg2sr" run -c "$demo/demo-synthetic.toml" 2>&1 | tail -n 1
