#!/usr/bin/env bash
# Refreshes the checked-in pgoutput captures (tests/data/pgoutput/capture_*.bin) from a throwaway
# PostgreSQL 15: starts a cluster (scripts/pg-cluster.sh), runs the live capture of the
# codecs.pgoutput_capture suite (which executes tests/data/pgoutput/capture.sql and streams one
# slot per protocol/format variant), and copies the captures in only if that test passed.
#   scripts/capture-pgoutput.sh [BUILD_DIR]    (default: build; the codecs_tests target must be built)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
bin=$build/tests/codecs_tests
[[ -x $bin ]] || { echo "capture-pgoutput: $bin not found; build the codecs_tests target first" >&2; exit 1; }

work=$(mktemp -d /tmp/pg2sr-capture.XXXXXX)
cleanup() {
  bash "$root/scripts/pg-cluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/out"

bash "$root/scripts/pg-cluster.sh" start "$work/pg"
PG2SR_TEST_PG_DIR=$work/pg PG2SR_TEST_DATA_DIR=$root/tests/data PG2SR_CAPTURE_WRITE=$work/out \
  "$bin" --run_test=pgoutput_capture/live_capture_from_postgres_has_every_feature --log_level=message

cp "$work"/out/capture_*.bin "$root/tests/data/pgoutput/"
ls -l "$root"/tests/data/pgoutput/capture_*.bin
