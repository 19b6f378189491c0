#!/usr/bin/env bash
# Copied unchanged from ../shared/bench/peers/pg_stop.sh (the team's peer-benchmark harness).
# Stops only the private cluster (via pg_ctl on its own data dir, i.e. by its postmaster PID).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/env.sh"
if [ -f "$PB_PGDATA/postmaster.pid" ]; then
  pid=$(head -1 "$PB_PGDATA/postmaster.pid")
  as_pg "$PB_PGBIN/pg_ctl" -D "$PB_PGDATA" -m fast -w stop >/dev/null && echo "stopped private cluster pid $pid"
else
  echo "private cluster not running"
fi
