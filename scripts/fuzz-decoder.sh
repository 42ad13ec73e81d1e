#!/usr/bin/env bash
# Builds the pgoutput decoder fuzz target (tests/fuzz/pgoutput_decoder_fuzz.cpp) with clang-14's
# libFuzzer + AddressSanitizer + UBSan straight from the codecs sources it needs, and runs it for a
# bounded time on the seed corpus tests/data/fuzz/pgoutput/ (read only; new inputs go to a work
# folder). Exits non-zero when the fuzzer finds a crash, leak, sanitizer report or timeout; the
# reproducer is left in the work folder's artifacts/ and printed.
#   scripts/fuzz-decoder.sh [SECONDS=60]
# PG2SR_FUZZ_DIR=<dir> keeps the build and the grown corpus there between runs (default: a
# fresh temporary folder, removed afterwards unless the run failed).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: fuzz-decoder.sh [SECONDS]" >&2; exit 2; }
cxx=${CXX_FUZZ:-clang++-14}
command -v "$cxx" >/dev/null || { echo "fuzz-decoder: $cxx not found (apt install clang-14 libfuzzer-14-dev)" >&2; exit 1; }

if [[ -n ${PG2SR_FUZZ_DIR:-} ]]; then
  work=$PG2SR_FUZZ_DIR
  keep=1
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/pg2sr-fuzz.XXXXXX")
  keep=0
fi
mkdir -p "$work/corpus" "$work/artifacts"

bin=$work/pgoutput_decoder_fuzz
echo "fuzz-decoder: building $bin"
"$cxx" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I"$root" \
  "$root/tests/fuzz/pgoutput_decoder_fuzz.cpp" \
  "$root/codecs/pgoutput/pgoutput_decoder.cpp" "$root/codecs/pgoutput/relation_cache.cpp" "$root/codecs/pgoutput/change_event.cpp" \
  -o "$bin"

echo "fuzz-decoder: running for ${seconds}s (seeds: tests/data/fuzz/pgoutput, work: $work)"
status=0
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "$root/tests/data/fuzz/pgoutput" || status=$?

if [[ $status -ne 0 ]]; then
  echo "fuzz-decoder: FAILED (exit $status); reproducers:" >&2
  ls -l "$work/artifacts" >&2 || true
  echo "fuzz-decoder: replay with: $bin <file>" >&2
  exit "$status"
fi
[[ $keep -eq 1 ]] || rm -rf "$work"
echo "fuzz-decoder: no findings"
