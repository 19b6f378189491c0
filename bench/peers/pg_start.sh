#!/usr/bin/env bash
# Copied unchanged from ../shared/bench/peers/pg_start.sh (the team's peer-benchmark harness).
# Creates (first time) and starts the private PostgreSQL 15 cluster on
# 127.0.0.1:$PB_PGPORT with data dir $PB_ROOT/pg, then ensures database
# `bench` with PostGIS. Never touches the system cluster.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/env.sh"

mkdir -p "$PB_ROOT"
chmod 755 "$PB_ROOT"
if [ ! -f "$PB_PGDATA/PG_VERSION" ]; then
  install -d -o postgres -g postgres -m 700 "$PB_PGDATA"
  as_pg "$PB_PGBIN/initdb" -D "$PB_PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # Benchmark settings (recorded in the results). fsync off only because the
  # data is synthetic and regenerable; it does not affect read benchmarks.
  cat >> "$PB_PGDATA/postgresql.conf" <<EOF
# ---- peerbench ----
listen_addresses = '127.0.0.1'
port = $PB_PGPORT
unix_socket_directories = '$PB_PGDATA'
max_connections = 200
shared_buffers = 2GB
effective_cache_size = 12GB
work_mem = 64MB
maintenance_work_mem = 1GB
max_parallel_workers_per_gather = 2
random_page_cost = 1.1
jit = off
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 8GB
checkpoint_timeout = 30min
logging_collector = off
EOF
fi

if as_pg "$PB_PGBIN/pg_ctl" -D "$PB_PGDATA" status >/dev/null 2>&1; then
  echo "private cluster already running (pid $(head -1 "$PB_PGDATA/postmaster.pid"))"
else
  install -d -o postgres -g postgres -m 755 "$PB_ROOT/pglog"
  as_pg "$PB_PGBIN/pg_ctl" -D "$PB_PGDATA" -l "$PB_ROOT/pglog/pg.log" -w start >/dev/null
  echo "private cluster started (pid $(head -1 "$PB_PGDATA/postmaster.pid")) on port $PB_PGPORT"
fi

if ! psql -X -qAt -h "$PB_PGHOST" -p "$PB_PGPORT" -U postgres -d postgres \
      -c "select 1 from pg_database where datname='$PB_DB'" | grep -q 1; then
  psql -X -q -h "$PB_PGHOST" -p "$PB_PGPORT" -U postgres -d postgres -c "create database $PB_DB"
fi
pbpsql -c "create extension if not exists postgis"
