#!/usr/bin/env bash
# Install what iocmap needs and is missing. Idempotent and quick when nothing changed.
#   scripts/setup.sh run   - Python venv, front-end packages, PostgreSQL+PostGIS (unless DATABASE_URL)
#   scripts/setup.sh test  - the same, plus Chromium for browser tests
# As root, missing OS packages are installed with apt-get; as another user, a clear
# message says what to install (nothing is apt-installed when it is already there).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
root=0; [ "$(id -u)" = 0 ] && root=1
apt_updated=0
say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

apt_install() {
  if [ "$root" != 1 ]; then
    say "missing OS packages: $* — install them (e.g. sudo apt-get install $*) and retry"; exit 1
  fi
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"; apt-get update -qq; apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

have_postgis() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
    && ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1
}

# An external database named in .env (read by the app too) means no local PostgreSQL.
env_db_url() {
  [ -f .env ] && grep -Eq '^[[:space:]]*(IOCMAP_)?DATABASE_URL[[:space:]]*=[[:space:]]*[^[:space:]#]' .env
}

# --- PostgreSQL + PostGIS (the private cluster; tests always start a throwaway one) ---
if [ "$mode" = test ] || { [ -z "${DATABASE_URL:-}${IOCMAP_DATABASE_URL:-}" ] && ! env_db_url; }; then
  if [ -z "${IOCMAP_TEST_DATABASE_URL:-}" ] || [ "$mode" = run ]; then
    have_postgis || apt_install postgresql-15 postgresql-15-postgis-3
  fi
fi

# --- Python virtual environment with the pinned dependencies ---
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  if ! python3 -m venv .venv 2>/dev/null; then
    rm -rf .venv; apt_install python3-venv python3-dev; python3 -m venv .venv
  fi
fi
py_stamp=".venv/.stamp-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$py_stamp" ]; then
  say "installing Python dependencies (pinned by constraints.txt)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
  rm -f .venv/.stamp-*; touch "$py_stamp"
fi

# --- Front-end packages from npm (Leaflet, Chart.js, Swagger UI), pinned by web/package-lock.json; no install scripts (swagger-ui-dist pulls an analytics postinstall) ---
if ! command -v npm >/dev/null 2>&1; then apt_install nodejs npm; fi
js_stamp="web/node_modules/.stamp-$(sha256sum web/package-lock.json | cut -c1-16)"
if [ ! -f "$js_stamp" ]; then
  say "installing front-end packages (npm ci)"
  (cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  touch "$js_stamp"
fi

# --- Chromium for the browser tests ---
if [ "$mode" = test ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
exit 0
