#!/usr/bin/env bash
# Copied from ../shared/bench/peers/00_install.sh (the team's peer-benchmark harness),
# without the pygeoapi venv, which the tile comparison does not need.
# Installs Debian packages (PostgreSQL 15, PostGIS 3, wrk) and two isolated venvs under $PB_ROOT.
# Idempotent: re-running only installs what is missing.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/env.sh"

need_apt=0
for p in postgresql-15 postgresql-15-postgis-3 postgresql-15-postgis-3-scripts wrk; do
  dpkg -s "$p" >/dev/null 2>&1 || need_apt=1
done
if [ "$need_apt" = 1 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    postgresql-15 postgresql-15-postgis-3 postgresql-15-postgis-3-scripts wrk
fi

mkvenv() {  # mkvenv NAME pkgs...   (interpreter: $VENV_PY, default $PB_PYTHON)
  local v="$PB_ROOT/$1"; shift
  if [ ! -x "$v/bin/python" ]; then "${VENV_PY:-$PB_PYTHON}" -m venv "$v"; fi
  "$v/bin/pip" install -q --upgrade pip
  "$v/bin/pip" install -q "$@"
  "$v/bin/pip" freeze > "$v/freeze.txt"
}

# H3 / data-generation venv (numpy, h3 4.x, h3ronpy, pyarrow, psycopg3)
mkvenv venv-h3 "numpy" "h3>=4,<5" "h3ronpy" "pyarrow" "psycopg[binary]>=3.1" "mercantile" "psutil"

# tipg venv (tipg + uvicorn)
mkvenv venv-tipg "tipg" "uvicorn[standard]"

echo "install done"
