#!/usr/bin/env bash
# Vector tiles side by side with tipg, on the peer harness's data (bench/peers, copied from
# ../shared/bench/peers), in one run on one machine state:
#
#   1. install PostgreSQL/PostGIS/wrk + the tipg venv (bench/peers/00_install.sh, idempotent),
#      start the private cluster (127.0.0.1:55432, /tmp/peerbench), generate 1,000,000 report
#      points + 100,000 parcels and the 200-tile list if missing;
#   2. copy both tables into an iocmap database in the same cluster as catalogue layers
#      `reports` and `parcels` (bench/tiles_load.py: INSERT ... SELECT, then the thinning
#      pyramid of `reports`);
#   3. wrk (bench/peers/bench_http.py): tipg, then our server (2 uvicorn workers each) as
#        ours-full     ?detail=full tiles (every feature, the same attributes as tipg), tile
#                      cache off, plus items by bbox (/ogc);
#        tipg-complete / ours-full-complete   the same, on the 163 of the 200 tiles where
#                      tipg does not stop at 10,000 features: exactly equal work
#                      (bench/tiles_complete.py picks them);
#        ours-product  the web map's tiles (thinned points, popup attributes), cache off;
#        ours-cached   the same tiles with the in-process tile cache on (repeat tiles);
#   4. bench/tiles_summary.py: ratio tables -> $PB_RESULTS/tiles_summary.md.
#
#   bash bench/tiles_peers.sh                       # ~30 min (20 s x 3 wrk runs per case)
#   DUR=5 REPS=1 bash bench/tiles_peers.sh          # quick look (~10 min)
#   TARGETS="ours-product ours-cached" bash bench/tiles_peers.sh   # a subset (tipg = peer)
#   KEEP_PG=1 ...                                   # leave the cluster running afterwards
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
source "$HERE/peers/env.sh"
DUR="${DUR:-20}"; REPS="${REPS:-3}"
TARGETS="${TARGETS:-tipg ours-full tipg-complete ours-full-complete ours-product ours-cached}"
PORT="${PORT:-8090}"
PY="$ROOT/.venv/bin/python"

[ "${SKIP_INSTALL:-0}" = 1 ] || bash "$HERE/peers/00_install.sh"
bash "$HERE/peers/pg_start.sh"
[ "${KEEP_PG:-0}" = 1 ] || trap 'bash "$HERE/peers/pg_stop.sh"' EXIT

have=$(pbpsql -At -c "select count(*) from pg_tables where tablename in ('reports','parcels')")
if [ "${REGEN:-0}" = 1 ] || [ "$have" != 2 ]; then
  "$PB_ROOT/venv-h3/bin/python" "$HERE/peers/gen_data.py" "$PB_DSN" | tee "$PB_RESULTS/gen_data.log"
fi
[ -s "$PB_RESULTS/tiles.txt" ] || "$PB_ROOT/venv-h3/bin/python" "$HERE/peers/gen_tiles.py" "$PB_DSN" "$PB_RESULTS/tiles.txt"
"$PY" "$HERE/tiles_complete.py" "$PB_DSN" "$PB_RESULTS/tiles.txt" "$PB_RESULTS/tiles_complete.txt" \
  | tee "$PB_RESULTS/tiles_complete.log"

loaded=$(psql -X -qAt -h "$PB_PGHOST" -p "$PB_PGPORT" -U postgres -d postgres \
  -c "select 1 from pg_database where datname = 'iocmap'")
if [ "${RELOAD:-0}" = 1 ] || [ "$loaded" != 1 ]; then
  "$PY" "$HERE/tiles_load.py" | tee "$PB_RESULTS/tiles_load.log"
else  # loaded by an earlier run: only bring the schema to the current migration head
  "$PY" "$HERE/tiles_load.py" --migrate-only
fi
IOCMAP_URL="postgresql://postgres@$PB_PGHOST:$PB_PGPORT/iocmap"

{
  echo "date: $(date -u +%FT%TZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
  echo "mem: $(free -g | awk '/Mem:/{print $2}') GiB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "postgres: $(pbpsql -At -c 'select version()')"
  echo "postgis: $(pbpsql -At -c 'select postgis_lib_version()')"
  echo "tipg: $(grep -iE '^(tipg|uvicorn|asyncpg)==' "$PB_ROOT/venv-tipg/freeze.txt" | tr '\n' ' ')"
  echo "ours: $("$ROOT/.venv/bin/pip" freeze 2>/dev/null | grep -iE '^(fastapi|uvicorn|sqlalchemy|psycopg)==' | tr '\n' ' ')"
  echo "wrk: $DUR s x $REPS runs, 2 threads, 16 connections, after a 5 s warm-up"
} > "$PB_RESULTS/tiles_machine.txt"
cat "$PB_RESULTS/tiles_machine.txt"

ours() {  # ours NAME CACHE_MB SCENARIOS QUERY [TILES_FILE]
  local name=$1 cache=$2 scenarios=$3 query=$4 tiles=${5:-$PB_RESULTS/tiles.txt}
  IOCMAP_DATABASE_URL="$IOCMAP_URL" IOCMAP_TILE_CACHE_MB="$cache" IOCMAP_LOG_LEVEL=warning \
  python3 "$HERE/peers/bench_http.py" --target custom --name "$name" --port "$PORT" --workers 2 \
    --duration "$DUR" --reps "$REPS" --scenarios "$scenarios" --ready-path /healthz --tiles-file "$tiles" \
    --start-cmd "$ROOT/.venv/bin/uvicorn iocmap.asgi:create --factory --host 127.0.0.1 --port $PORT --workers 2 --log-level warning --no-access-log" \
    --items-path "/ogc/collections/reports/items?bbox={bbox}&limit=1000" \
    --tile-path "/tiles/reports/{z}/{x}/{y}.mvt$query" \
    --tile-parcels-path "/tiles/parcels/{z}/{x}/{y}.mvt$query" 2>&1 | tee "$PB_RESULTS/run-$name.log"
}

cd "$ROOT"  # uvicorn imports iocmap from here
: > "$PB_RESULTS/tiles_loadavg.txt"
loadavg() { echo "$1 $(date -u +%T) load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$PB_RESULTS/tiles_loadavg.txt"; }
for t in $TARGETS; do
  loadavg "before $t:"
  case $t in
    tipg) python3 "$HERE/peers/bench_http.py" --target tipg --workers 2 --duration "$DUR" --reps "$REPS" \
            --scenarios tiles_reports,tiles_parcels,items_1km2,items_100km2 2>&1 | tee "$PB_RESULTS/run-tipg-w2.log" ;;
    tipg-complete) python3 "$HERE/peers/bench_http.py" --target tipg --name tipg-complete --workers 2 \
            --duration "$DUR" --reps "$REPS" --tiles-file "$PB_RESULTS/tiles_complete.txt" \
            --scenarios tiles_reports,tiles_parcels 2>&1 | tee "$PB_RESULTS/run-tipg-complete.log" ;;
    ours-full) ours ours-full 0 tiles_reports,tiles_parcels,items_1km2,items_100km2 "?detail=full" ;;
    ours-full-complete) ours ours-full-complete 0 tiles_reports,tiles_parcels "?detail=full" \
            "$PB_RESULTS/tiles_complete.txt" ;;
    ours-product) ours ours-product 0 tiles_reports,tiles_parcels "" ;;
    ours-cached) ours ours-cached 64 tiles_reports,tiles_parcels "" ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
done
loadavg "after all:"
"$PY" "$HERE/tiles_summary.py" | tee "$PB_RESULTS/tiles_summary.md"
