#!/usr/bin/env bash
# The main job on the embedded default, on a fresh Debian 12 machine: installs the packages,
# builds pg2sr, starts a throwaway local PostgreSQL 15, fills a demo table and checks the
# pipeline configuration that points at it; then runs the actor pipeline end to end on
# synthetic WAL into a JSON-lines file (the live PostgreSQL reader is not built yet).
# Everything lives under ${PG2SR_DEMO_DIR:-/tmp/pg2sr-demo}; the PostgreSQL it started is
# stopped at the end.
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
echo "demo: configuration in $demo/demo.toml"
"$pg2sr" --version
"$pg2sr" check -c "$demo/demo.toml"

sed -e "s#@DEMO@#$demo#" "$root/scripts/demo-synthetic.toml" >"$demo/demo-synthetic.toml"
rm -rf "$demo/state-synthetic" "$demo/changes.jsonl"
echo "demo: running the pipeline on synthetic WAL ($demo/demo-synthetic.toml)"
"$pg2sr" run -c "$demo/demo-synthetic.toml"
echo "demo: $(wc -l <"$demo/changes.jsonl") changes in $demo/changes.jsonl, the first three:"
head -n 3 "$demo/changes.jsonl"
echo "demo: checkpoint $(cat "$demo/state-synthetic/checkpoint.json" | tr -d ' \n')"
