"""The public map of reports at any zoom: clusters counted in the database, points up close.

A million reports never become a million markers. Per request (bbox + zoom):

* zoom ≥ ``POINTS_ZOOM`` (street view): the reports themselves, through the same public
  filter and the same light fields as ``GET /api/v1/reports/geojson`` (``queries.as_points``),
  when the view holds at most ``POINTS_MAX`` of them (a count with a LIMIT); a denser view
  gets resolution-10 clusters first (66 m cells), and from ``ALWAYS_POINTS_ZOOM`` on the
  newest 5000 points whatever the density.
* otherwise clusters of H3 cells at a resolution picked from the zoom, so neighbouring
  clusters stay about a cluster marker apart on screen (``resolution_for_zoom``):

  - resolutions 5-8 come from the tally ``feedback_report_cells`` (``map_cells``, exact,
    kept by triggers): a coarser cluster is the H3 ancestor of the stored resolution-8
    cells, computed with bit operations on the 64-bit index. The tally is a few tens of
    thousands of rows whatever the number of reports: a district view costs ~10 ms at
    1,000,000 reports where grouping the reports themselves costs ~300 ms.
  - resolutions 9-10 (zoom 15-16) group the reports in the view by ``h3_r9``/``h3_r10``
    (GiST ``ix_feedback_reports_geom`` for the bbox), when the view holds at most
    ``LIVE_MAX`` reports; a denser view keeps the resolution-8 clusters.
  - a view holding at most ``FEW`` reports shows them as points at any zoom.

A cluster's position is the mean of its points (sums kept in the tally), not the cell
centre; a cluster is listed when that mean lies in the bbox. Grouping by the ancestor of
the resolution-8 cell means a point near a coarse cell's edge may count in the neighbouring
cluster (H3 cells are not exactly nested); every report is counted exactly once.

Public data only: counts by status and category, and for points the fields of the public
GeoJSON. Only ``status`` and ``category`` filter the tally (the filters it is keyed by).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text, tuple_
from sqlalchemy.orm import Session

from layers.errors import InvalidInput
from layers.feedback import queries
from layers.feedback.map_cells import BASE_RESOLUTION
from layers.feedback.models import Category, Report

MAX_ZOOM = 22
#: From this zoom on the map shows reports, not clusters, unless the view holds more than
#: ``POINTS_MAX`` (then resolution-10 clusters, until ``ALWAYS_POINTS_ZOOM``).
POINTS_ZOOM = 17
POINTS_MAX = 1000
ALWAYS_POINTS_ZOOM = 19
#: A view with at most this many reports shows them as points at any zoom.
FEW = 200
#: Most reports grouped live (resolutions 9-10); above it the tally's clusters are used.
LIVE_MAX = 6_000
#: Clusters should be about this far apart on screen (CSS px): a cluster marker's size.
SPACING_PX = 56
#: Average H3 hexagon edge length in metres by resolution (h3.average_hexagon_edge_length).
EDGE_M = {5: 8544.408, 6: 3229.483, 7: 1220.630, 8: 461.355, 9: 174.376, 10: 65.908}
METRES_PER_DEGREE = 111_320.0
#: Web Mercator metres per pixel at the equator at zoom 0 (256 px tiles).
MPP_Z0 = 156_543.034

# The resolution of an H3 index: 4 bits at bit 52; below them 15 digits of 3 bits.
_RES_SHIFT = 52
_KEEP = ~(0xF << _RES_SHIFT)  # a negative Python int that fits a signed BIGINT


def ancestor_bits(resolution: int) -> tuple[int, int]:
    """``(keep, set)`` so that ``(cell & keep) | set`` is the ancestor of a finer cell.

    The ancestor has the resolution field set to ``resolution`` and its unused digits
    (resolution+1 .. 15) all 7, as the H3 specification defines an index.
    """
    if not 0 <= resolution <= 15:
        raise ValueError(f"H3 resolution 0-15, not {resolution}")
    return _KEEP, (resolution << _RES_SHIFT) | ((1 << (3 * (15 - resolution))) - 1)


def resolution_for_zoom(zoom: int, lat: float = 12.5) -> int:
    """The finest resolution 5-10 whose cell centres are ≥ ``SPACING_PX`` apart at ``zoom``.

    At Đắk Mil's latitude: zoom ≤ 10 → 5, 11 → 6, 12-13 → 7, 14 → 8, 15-16 → 9.
    """
    metres_per_px = MPP_Z0 * math.cos(math.radians(lat)) / 2**zoom
    best = min(EDGE_M)
    for res, edge in sorted(EDGE_M.items()):
        if math.sqrt(3) * edge / metres_per_px >= SPACING_PX:
            best = res
    return best


@dataclass
class Cluster:
    cell: int
    count: int
    lon: float
    lat: float
    statuses: dict[str, int]
    categories: dict[str, int]


@dataclass
class MapView:
    """What the map draws: ``mode`` 'clusters' (with ``resolution`` and ``source``) or 'points'."""

    mode: str
    zoom: int
    total: int
    resolution: int | None = None
    source: str | None = None  # 'cells' (the tally) or 'reports' (grouped live)
    truncated: bool = False
    clusters: list[Cluster] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)


_TALLY_SQL = """
    SELECT (cell & :keep) | :set AS c, status, category_id,
           sum(n)::bigint AS n, sum(sum_lon) AS sx, sum(sum_lat) AS sy
    FROM feedback_report_cells
    WHERE n > 0 AND sum_lon BETWEEN :minx * n AND :maxx * n AND sum_lat BETWEEN :miny * n AND :maxy * n
      {where}
    GROUP BY GROUPING SETS ((1), (1, 2), (1, 3))
"""  # the filter is built from constants; values are bound
#: The tally's rows are read from the bbox grown by this many edges of the cluster's cell:
#: every row of a cluster lies within about one cell diameter (two edges, plus the finer
#: cells' overhang) of its mean, so a cluster whose mean is in the bbox is read whole, and
#: a cluster cut by the grown edge has its partial mean outside the bbox and is dropped.
PAD_EDGES = 6


def _tally(session: Session, resolution: int, bbox: tuple[float, float, float, float],
           statuses: tuple[str, ...], category_id: int | None) -> list[Any]:
    """Totals, per-status and per-category rows (NULL = all) of the clusters near bbox."""
    where, params = "", dict[str, Any]()
    if statuses:
        where += " AND status IN :statuses"
        params["statuses"] = list(statuses)
    if category_id is not None:
        where += " AND category_id = :category"
        params["category"] = category_id
    keep, set_ = ancestor_bits(resolution)
    stmt = text(_TALLY_SQL.format(where=where))
    if statuses:
        stmt = stmt.bindparams(bindparam("statuses", expanding=True))
    minx, miny, maxx, maxy = bbox
    pad_lat = PAD_EDGES * EDGE_M[resolution] / METRES_PER_DEGREE
    pad_lon = pad_lat / max(0.01, math.cos(math.radians(max(abs(miny), abs(maxy)))))
    return list(session.execute(stmt, {
        **params, "keep": keep, "set": set_, "minx": minx - pad_lon, "maxx": maxx + pad_lon,
        "miny": miny - pad_lat, "maxy": maxy + pad_lat}).all())


def _live(session: Session, resolution: int, f: queries.Filters, now: datetime) -> list[Any]:
    """The same rows grouped from the reports in the bbox (public filter, GiST bbox)."""
    column = {9: Report.h3_r9, 10: Report.h3_r10}[resolution]
    stmt = queries.filtered(session, f, now).with_only_columns(
        column, Report.status, Report.category_id, func.count(),
        func.sum(func.ST_X(Report.geom)), func.sum(func.ST_Y(Report.geom)),
    ).group_by(func.grouping_sets(tuple_(column), tuple_(column, Report.status),
                                  tuple_(column, Report.category_id)))
    return list(session.execute(stmt).all())


Bbox = tuple[float, float, float, float]


def _clusters(rows: list[Any], codes: dict[int, str], bbox: Bbox) -> list[Cluster]:
    """Clusters whose mean lies in bbox, biggest first, from grouping-set rows."""
    minx, miny, maxx, maxy = bbox
    found: dict[int, Cluster] = {}
    parts = []
    for cell, status, category_id, n, sx, sy in rows:
        if status is None and category_id is None:
            if n > 0 and minx <= sx / n <= maxx and miny <= sy / n <= maxy:
                found[cell] = Cluster(cell=cell, count=int(n), lon=sx / n, lat=sy / n,
                                      statuses={}, categories={})
        else:
            parts.append((cell, status, category_id, int(n)))
    for cell, status, category_id, n in sorted(parts, key=lambda p: -p[3]):
        cluster = found.get(cell)
        if cluster is None or n == 0:
            continue
        if status is not None:
            cluster.statuses[status] = n
        else:
            cluster.categories[codes.get(category_id, str(category_id))] = n
    return sorted(found.values(), key=lambda c: (-c.count, c.cell))


def map_view(session: Session, bbox: tuple[float, float, float, float], zoom: int, *,
             statuses: tuple[str, ...] = (), category: str | None = None,
             now: datetime | None = None) -> MapView:
    """Clusters or points of the public reports in ``bbox`` (lon/lat) at ``zoom``."""
    now = now or datetime.now(UTC)
    if not 0 <= zoom <= MAX_ZOOM:
        raise InvalidInput(f"zoom 0-{MAX_ZOOM}", code="bad_zoom", min=0, max=MAX_ZOOM)
    f = queries.Filters(statuses=statuses, category=category, bbox=bbox, limit=queries.MAX_LIMIT)
    queries.filtered(session, f, now)  # validates status and category (422) as the lists do
    if zoom >= POINTS_ZOOM:
        if zoom >= ALWAYS_POINTS_ZOOM or _at_most(session, f, now, POINTS_MAX):
            return _points(session, f, zoom, now)
        found = _clusters(_live(session, 10, f, now), _codes(session), bbox)
        return MapView(mode="clusters", zoom=zoom, total=sum(c.count for c in found), resolution=10,
                       source="reports", clusters=found)
    category_id = session.scalar(select(Category.id).where(Category.code == category)) if category else None
    codes = _codes(session)
    resolution = resolution_for_zoom(zoom, (bbox[1] + bbox[3]) / 2)
    coarse = min(resolution, BASE_RESOLUTION)
    clusters = _clusters(_tally(session, coarse, bbox, statuses, category_id), codes, bbox)
    total = sum(c.count for c in clusters)
    if total <= FEW:
        view = _points(session, f, zoom, now)
        if not view.truncated:
            return view
    if resolution > BASE_RESOLUTION and total <= LIVE_MAX:
        clusters = _clusters(_live(session, resolution, f, now), codes, bbox)
        return MapView(mode="clusters", zoom=zoom, total=sum(c.count for c in clusters),
                       resolution=resolution, source="reports", clusters=clusters)
    return MapView(mode="clusters", zoom=zoom, total=total, resolution=coarse, source="cells",
                   clusters=clusters)


def _codes(session: Session) -> dict[int, str]:
    return {cid: code for cid, code in session.execute(select(Category.id, Category.code))}


def _at_most(session: Session, f: queries.Filters, now: datetime, n: int) -> bool:
    """Whether the view holds at most ``n`` matching reports (reads n + 1 at most)."""
    ids = queries.filtered(session, f, now).with_only_columns(Report.id).limit(n + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(ids)) or 0) <= n


def _points(session: Session, f: queries.Filters, zoom: int, now: datetime) -> MapView:
    rows = queries.as_points(session, f, now)
    return MapView(mode="points", zoom=zoom, total=len(rows), points=rows,
                   truncated=len(rows) >= queries.MAX_FEATURES)
