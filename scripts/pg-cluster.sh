#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for tests, benchmarks and the demo.
#   pg-cluster.sh start DIR [extra postgres.conf lines...]  -> initdb + start on a free port
#   pg-cluster.sh stop DIR                                  -> stop and delete DIR
#   pg-cluster.sh restart DIR                               -> stop and start, same port
#   pg-cluster.sh resetwal DIR [pg_resetwal options...]     -> stop, pg_resetwal, start (tests
#                                                              that need another xid epoch)
# It listens on 127.0.0.1 only, with wal_level=logical and trust auth for local users.
# DIR/port holds the port, DIR/conninfo a libpq connection string, DIR/pgroot where the
# cluster lives (under /tmp, so that the `postgres` user can reach it even when DIR is in a
# root-only home). Run as root, the server runs as `postgres` (it refuses to run as root).
set -euo pipefail

cmd=${1:?usage: pg-cluster.sh start|stop|restart DIR}
dir=${2:?usage: pg-cluster.sh start|stop|restart DIR}
shift 2
bindir=/usr/lib/postgresql/15/bin
[[ -x $bindir/postgres ]] || { echo "pg-cluster: PostgreSQL 15 not found in $bindir; run scripts/install-deps.sh" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pgroot=$(cat "$dir/pgroot" 2>/dev/null || true)
pgdata=${pgroot:-/nonexistent}/data
case $cmd in
  start)
    if [[ -f $dir/port ]] && as_owner "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
      echo "pg-cluster: already running on port $(cat "$dir/port")"
      exit 0
    fi
    [[ -n $pgroot ]] && rm -rf "$pgroot"
    rm -rf "$dir"
    mkdir -p "$dir"
    pgroot=$(mktemp -d /tmp/pg2sr-pg.XXXXXX)
    pgdata=$pgroot/data
    echo "$pgroot" >"$dir/pgroot"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$pgroot"
    as_owner "$bindir/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$pgroot/initdb.log" 2>&1 \
      || { cat "$pgroot/initdb.log" >&2; exit 1; }
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "unix_socket_directories = '$pgroot'"
      echo "wal_level = logical"
      echo "max_wal_senders = 10"
      echo "max_replication_slots = 10"
      echo "max_connections = 100"
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
      echo "shared_buffers = 256MB"
      echo "max_wal_size = 4GB"
      echo "wal_sender_timeout = 60s"
      echo "logging_collector = off"
      for line in "$@"; do echo "$line"; done
    } >>"$pgdata/postgresql.conf"
    echo "host replication all 127.0.0.1/32 trust" >>"$pgdata/pg_hba.conf"
    # Try ports until one binds: the only race-free way to find a free one.
    base=$(( 20000 + (RANDOM % 20000) ))
    for ((try = 0; try < 20; try++)); do
      port=$((base + try))
      if as_owner "$bindir/pg_ctl" -D "$pgdata" -o "-p $port" -l "$pgroot/server.log" -w -t 30 start >/dev/null 2>&1; then
        echo "$port" >"$dir/port"
        echo "host=127.0.0.1 port=$port user=postgres dbname=postgres" >"$dir/conninfo"
        echo "pg-cluster: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') listening on 127.0.0.1:$port (data in $pgdata)"
        exit 0
      fi
    done
    echo "pg-cluster: could not start PostgreSQL; last log lines:" >&2
    tail -n 20 "$pgroot/server.log" >&2
    exit 1
    ;;
  stop)
    if [[ -d $pgdata ]]; then
      as_owner "$bindir/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    [[ -n $pgroot ]] && rm -rf "$pgroot"
    rm -rf "$dir"
    echo "pg-cluster: stopped and removed $dir"
    ;;
  restart)
    port=$(cat "$dir/port")
    # A source server waits for its walsenders to be confirmed: pg2sr under load may need
    # longer than pg_ctl's default minute on a 2-core machine.
    as_owner "$bindir/pg_ctl" -D "$pgdata" -m fast -w -t 180 stop >/dev/null
    as_owner "$bindir/pg_ctl" -D "$pgdata" -o "-p $port" -l "$pgroot/server.log" -w -t 30 start >/dev/null
    echo "pg-cluster: restarted on port $port"
    ;;
  resetwal)
    port=$(cat "$dir/port")
    as_owner "$bindir/pg_ctl" -D "$pgdata" -m fast -w -t 180 stop >/dev/null
    as_owner "$bindir/pg_resetwal" "$@" -D "$pgdata" >/dev/null
    as_owner "$bindir/pg_ctl" -D "$pgdata" -o "-p $port" -l "$pgroot/server.log" -w -t 30 start >/dev/null
    echo "pg-cluster: pg_resetwal $* and restarted on port $port"
    ;;
  *)
    echo "pg-cluster: unknown command '$cmd' (start, stop, restart or resetwal)" >&2
    exit 2
    ;;
esac
