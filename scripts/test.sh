#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs the packages, builds, and runs
# every test with ctest (which starts and stops a throwaway PostgreSQL 15 itself).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure --timeout 1200 "$@"
