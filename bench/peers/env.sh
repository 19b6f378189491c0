# Common settings for the peer benchmarks. Source this file; do not execute it.
# Copied unchanged from ../shared/bench/peers/env.sh (the team's peer-benchmark harness).
# Everything lives under $PB_ROOT (default /tmp/peerbench) so nothing touches
# the system PostgreSQL cluster (port 5432) or any other service.

export PB_ROOT="${PB_ROOT:-/tmp/peerbench}"
export PB_PGDATA="$PB_ROOT/pg"
export PB_PGPORT="${PB_PGPORT:-55432}"
export PB_PGHOST=127.0.0.1
export PB_DB=bench
export PB_PGUSER=postgres          # superuser of the private cluster (trust auth on loopback)
export PB_PGBIN="${PB_PGBIN:-/usr/lib/postgresql/15/bin}"
export PB_RESULTS="$PB_ROOT/results"
export PB_PYTHON="${PB_PYTHON:-python3}"   # interpreter used to create the venvs (3.11 was used)

export PB_DSN="postgresql://$PB_PGUSER@$PB_PGHOST:$PB_PGPORT/$PB_DB"

# psql shortcut against the private cluster only
pbpsql() { psql -X -q -h "$PB_PGHOST" -p "$PB_PGPORT" -U "$PB_PGUSER" -d "$PB_DB" "$@"; }

# run a command as the OS user that owns the cluster (postgres refuses to run as root)
as_pg() { runuser -u postgres -- "$@"; }

mkdir -p "$PB_RESULTS"
