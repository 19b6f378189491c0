"""The point-thinning pyramid: per zoom, the points of each 32-pixel cell merged into one.

Counting the points of a low-zoom tile means visiting all of them (300,000 in one zoom-12
tile of the 1M-point benchmark layer, ~0.3 s), far too slow per request. So, once per
layer version, one SQL statement bins every point into the cells of zoom
CLUSTER_TOP + 5 (= the 32 x 32 grid of each zoom-15 tile), then merges four cells into
their parent for each zoom below: every point is counted in exactly one cell per zoom, so
the counts of a tile always sum to its true number of points. A cell keeps the mean
position of its points, already in MVT units of its tile, and, when it holds one point,
that feature's fid. About 1 s per
million points for the binning plus the insert; rows of other versions of the layer are
removed at the same time (a restore rebuilds them).

Built on demand by the first thinned tile of a version (under an advisory lock, so
concurrent requests wait for one build), or ahead of time with ``ensure_clusters`` after
an import.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import CursorResult, text
from sqlalchemy.orm import Session

from gis import tiles as tm
from layers.tiles.plan import CLUSTER_TOP
from layers.tiles.render import int4

log = logging.getLogger(__name__)

# First key of the two-int advisory lock (the second is the layer id): "ti"les.
_LOCK_NAMESPACE = 0x7469
_TOP_CELL_ZOOM = CLUSTER_TOP + tm.CLUSTER_SHIFT


def _build_sql() -> str:
    """The pyramid INSERT; only integer constants of this module are formatted in."""
    top = _TOP_CELL_ZOOM
    # OFFSET 0 keeps each step a separate subquery: flattened, PostgreSQL would evaluate
    # the point expression once per use (5x slower).
    levels = [f"""l{CLUSTER_TOP} AS (
    SELECT cx, cy, count(*)::int AS n, sum(px) AS sx, sum(py) AS sy,
           CASE WHEN count(*) = 1 THEN min(fid) END AS fid
    FROM (SELECT fid, px, py,
                 least(greatest(floor((px + :origin) / :cell)::int, 0), {(1 << top) - 1}) AS cx,
                 least(greatest(floor((:origin - py) / :cell)::int, 0), {(1 << top) - 1}) AS cy
          FROM (SELECT fid, ST_X(p) AS px, ST_Y(p) AS py
                FROM (SELECT fid, CASE WHEN GeometryType(geom_3857) = 'POINT' THEN geom_3857
                                       ELSE ST_PointOnSurface(geom_3857) END AS p
                      FROM layer_features WHERE layer_id = :layer AND version = :version
                      OFFSET 0) s0
                OFFSET 0) s1
          WHERE px IS NOT NULL) s
    GROUP BY cx, cy)"""]  # noqa: S608
    for z in range(CLUSTER_TOP - 1, -1, -1):
        levels.append(f"""l{z} AS (
    SELECT cx >> 1 AS cx, cy >> 1 AS cy, sum(n)::int AS n, sum(sx) AS sx, sum(sy) AS sy,
           CASE WHEN sum(n) = 1 THEN min(fid) END AS fid
    FROM l{z + 1} GROUP BY 1, 2)""")  # noqa: S608
    shift, last = tm.CLUSTER_SHIFT, tm.EXTENT - 1
    # Mean position in MVT units of the cell's tile (y down): (mean - tile corner) / unit.
    px = "least(greatest(round((sx / n + :origin) / {u}) - (cx >> {s})::float8 * {e}, 0), {last})"
    py = "least(greatest(round((:origin - sy / n) / {u}) - (cy >> {s})::float8 * {e}, 0), {last})"
    cells = "\n    UNION ALL ".join(
        f"SELECT {z} AS z, cx >> {shift} AS tx, cy >> {shift} AS ty, n, fid, "  # noqa: S608
        f"{px.format(u=repr(tm.unit_m(z)), s=shift, e=tm.EXTENT, last=last)}::smallint AS px, "
        f"{py.format(u=repr(tm.unit_m(z)), s=shift, e=tm.EXTENT, last=last)}::smallint AS py FROM l{z}"
        for z in range(CLUSTER_TOP, -1, -1)
    )
    return ("INSERT INTO layer_point_clusters (layer_id, version, z, tx, ty, n, fid, px, py)\n"
            "WITH " + ",\n".join(levels) + "\n"
            "SELECT :layer, :version, z, tx, ty, array_agg(n), array_agg(fid), array_agg(px), array_agg(py)\n"
            f"FROM (\n    {cells}) c\nGROUP BY z, tx, ty")


_BUILD_SQL = _build_sql()


def clusters_exist(session: Session, layer_id: int, version: int) -> bool:
    """Zoom 0 has a row for any non-empty version, so this is one primary-key probe."""
    return bool(session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM layer_point_clusters "
        "WHERE layer_id = :layer AND version = :version AND z = 0)"),
        {"layer": int4(layer_id), "version": int4(version)}).scalar())


def ensure_clusters(session: Session, layer_id: int, version: int) -> int:
    """Build the pyramid of a version unless it exists; returns the tile rows written (0 if none).

    Runs in the caller's transaction; the advisory lock is held until it ends, so a
    concurrent caller waits and then finds the rows.
    """
    session.execute(text("SELECT pg_advisory_xact_lock(:ns, :layer)"),
                    {"ns": int4(_LOCK_NAMESPACE), "layer": int4(layer_id)})
    if clusters_exist(session, layer_id, version):
        return 0
    started = time.perf_counter()
    session.execute(text("DELETE FROM layer_point_clusters WHERE layer_id = :layer AND version <> :version"),
                    {"layer": int4(layer_id), "version": int4(version)})
    result: CursorResult[Any] = session.execute(text(_BUILD_SQL), {  # type: ignore[assignment]
        "layer": int4(layer_id), "version": int4(version), "origin": tm.ORIGIN,
        "cell": tm.tile_size_m(_TOP_CELL_ZOOM),
    })
    rows = result.rowcount
    log.info("thinning pyramid of layer %s v%s: %s tiles in %.1f s", layer_id, version, rows,
             time.perf_counter() - started)
    return int(rows or 0)
