#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of pg2sr from Debian 12's apt.
# Idempotent: packages already present are skipped; a missing package fails loudly.
set -euo pipefail

packages=(
  # build
  build-essential cmake ccache pkg-config git curl
  # libraries linked by pg2sr
  libcaf-dev libpq-dev libcurl4-openssl-dev libconcurrentqueue-dev libmimalloc-dev
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libcpp-httplib-dev liblz4-dev libzstd-dev zlib1g-dev
  # tests: unit framework, real PostgreSQL 15, fuzzing
  libboost-test-dev postgresql-15 postgresql-contrib clang-14 libfuzzer-14-dev libclang-rt-14-dev
  openssl  # a real TLS server for the Stream Load client test
  # benchmark peers
  pgcopydb time
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}; run this script as root (or install them with apt-get)" >&2
  exit 1
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian's postgresql-common would create and start a default cluster; the tests
# use their own throwaway clusters instead.
mkdir -p /etc/postgresql-common
if ! grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
  echo "create_main_cluster = false" >> /etc/postgresql-common/createcluster.conf
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for p in "${missing[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || { echo "install-deps: package $p did not install" >&2; exit 1; }
done
echo "install-deps: done"
