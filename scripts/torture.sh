#!/usr/bin/env bash
# The torture harness (tests/torture, issue 13): per seed a random schema, workload and fault
# plan against pg2sr on a throwaway PostgreSQL 15, then every table compared row for row.
#   scripts/torture.sh --seeds 1-5 --minutes 1          CI-sized
#   scripts/torture.sh --seeds 1-200 --minutes 5        soak
#   scripts/torture.sh --seeds 3,7,12 --max-tables 20   other options go to pg2sr_torture
# Options: --seeds A-B|A,B,C (default 1-5), --minutes M (default 1), --no-build,
# --build-dir DIR (default build), --torture PATH (the driver), --work-dir DIR
# (default /tmp/pg2sr-torture; a failed seed keeps its state_dir and logs in DIR/seed-N).
# Prints PASS/FAIL per seed (and the driver's report for a failure), then the totals;
# exits 1 if any seed failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seeds=1-5
minutes=1
build=1
build_dir=$root/build
torture=
work_dir=/tmp/pg2sr-torture
extra=()
while (($#)); do
  case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --torture) torture=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done
torture=${torture:-$build_dir/tests/torture/pg2sr_torture}
if ((build)); then
  [[ -f $build_dir/CMakeCache.txt ]] || cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build_dir" -j2 --target pg2sr pg2sr_torture >/dev/null
fi
[[ -x $torture ]] || { echo "torture: $torture not built (drop --no-build)" >&2; exit 2; }

list=()
IFS=, read -ra parts <<<"$seeds"
for part in "${parts[@]}"; do
  if [[ $part == *-* ]]; then
    for ((s = ${part%-*}; s <= ${part#*-}; s++)); do list+=("$s"); done
  else
    list+=("$part")
  fi
done

mkdir -p "$work_dir"
# The driver cleans up on SIGINT/SIGTERM itself; then no further seed starts.
trap 'echo "torture: interrupted" >&2; exit 130' INT TERM
failed=()
declare -A total=()
start=$SECONDS
for seed in "${list[@]}"; do
  out=$work_dir/seed-$seed.out
  set +e
  "$torture" --seed "$seed" --minutes "$minutes" --work-dir "$work_dir" "${extra[@]}" >"$out" 2>&1
  rc=$?
  set -e
  result=$(grep '^TORTURE-RESULT' "$out" | tail -n 1 || true)
  if ((rc == 0)); then
    grep "^seed $seed: " "$out" | tail -n 1
  else
    failed+=("$seed")
    echo "---- seed $seed failed (exit $rc; full output in $out):"
    grep -v '^TORTURE-RESULT' "$out"
    echo "----"
  fi
  for field in $result; do
    key=${field%%=*}
    value=${field#*=}
    [[ $key == seed || $key == result || $key == TORTURE-RESULT ]] && continue
    total[$key]=$(( ${total[$key]:-0} + value ))
  done
done

summary="torture: ${#list[@]} seed(s), $(( ${#list[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed"
((${#failed[@]})) && summary+=" (seeds ${failed[*]})"
echo "$summary in $((SECONDS - start)) s"
echo "totals: rows compared ${total[rows]:-0} in ${total[tables]:-0} tables, ${total[commits]:-0} commits," \
  "${total[rollbacks]:-0} rollbacks; faults: kill9 ${total[kill9]:-0}," \
  "walsender_terminated ${total[walsender_terminated]:-0}, pg_restart ${total[pg_restart]:-0}," \
  "emulator ${total[emulator]:-0}, lost_slot_resync ${total[lost_slot_resync]:-0};" \
  "pg2sr ended on its own ${total[pg2sr_exits]:-0}x; differences ${total[differences]:-0}"
((${#failed[@]} == 0))
