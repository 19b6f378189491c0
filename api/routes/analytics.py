"""Analytics for staff: H3 heatmaps, Getis-Ord Gi* hotspots, KPIs and the cases behind them.

All staff roles (admin, leader, planner, officer) may read them: they are aggregates and
public facts of cases (codes, status, category, place), never reporters' data.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import AwareDatetime

from api.deps import RequireRoles, SessionDep
from api.geojson import GeoJSONResponse
from api.routes.web import vendor_packages
from layers.analytics import briefing, heatmap, hotspots, kpi, window
from layers.errors import InvalidInput
from layers.incidents.kinds import check_statuses

STAFF = RequireRoles("admin", "leader", "planner", "officer")
router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"], dependencies=[Depends(STAFF)])

#: Map zoom → H3 resolution, so a hexagon stays a few dozen screen pixels wide.
ZOOM_TO_RESOLUTION = {9: 5, 10: 6, 11: 6, 12: 7, 13: 8, 14: 9, 15: 9}


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """``minLon,minLat,maxLon,maxLat`` in WGS84."""
    if raw is None:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in raw.split(","))
    except ValueError:
        raise InvalidInput("bbox = minLon,minLat,maxLon,maxLat", code="bad_bbox") from None
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise InvalidInput("bbox ngoài phạm vi / bbox out of range", code="bad_bbox")
    return (minx, miny, maxx, maxy)


def resolution_for(resolution: int | None, zoom: int | None, default: int = 8) -> int:
    if resolution is not None:
        return window.check_resolution(resolution)
    if zoom is not None:
        if zoom <= 9:
            return 5
        return ZOOM_TO_RESOLUTION.get(zoom, 10)
    return default


def _window(
    session: SessionDep,
    layer: Annotated[str, Query(description="reports | incidents")] = "reports",
    resolution: Annotated[int | None, Query(description="H3 resolution 5-10 (overrides zoom)")] = None,
    zoom: Annotated[int | None, Query(ge=0, le=24, description="map zoom; picks the resolution")] = None,
    start: Annotated[AwareDatetime | None, Query(description="ISO 8601; default end - 90 days")] = None,
    end: Annotated[AwareDatetime | None, Query(description="ISO 8601, exclusive; default now")] = None,
    category: Annotated[
        list[str] | None,
        Query(max_length=20, description="category code (reports) or incident type; repeatable"),
    ] = None,
    status: Annotated[list[str] | None, Query(max_length=10)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    commune: Annotated[str | None, Query(pattern=r"^[0-9]{2,5}$")] = None,
    bbox: Annotated[str | None, Query(max_length=100, description="minLon,minLat,maxLon,maxLat")] = None,
) -> window.Window:
    lo, hi = window.period(start, end)
    w = window.Window(
        layer=layer,
        start=lo,
        end=hi,
        resolution=resolution_for(resolution, zoom),
        categories=tuple(category or ()),
        statuses=tuple(status or ()),
        agency=agency,
        commune=commune,
        bbox=parse_bbox(bbox),
    )
    return window.resolve(session, w)


WindowDep = Annotated[window.Window, Depends(_window)]


def _kpi_window(
    session: SessionDep,
    start: AwareDatetime | None,
    end: AwareDatetime | None,
    agency: str | None,
    commune: str | None,
    category: list[str] | None,
) -> window.Window:
    lo, hi = window.period(start, end, default=kpi.default_window_days())
    w = window.Window(
        layer="reports", start=lo, end=hi, agency=agency, commune=commune, categories=tuple(category or ())
    )
    return window.resolve(session, w)


def _kpi_params(
    session: SessionDep,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    commune: Annotated[str | None, Query(pattern=r"^[0-9]{2,5}$")] = None,
    category: Annotated[list[str] | None, Query(max_length=20)] = None,
) -> window.Window:
    return _kpi_window(session, start, end, agency, commune, category)


KpiWindowDep = Annotated[window.Window, Depends(_kpi_params)]


@router.get(
    "/h3",
    response_class=GeoJSONResponse,
    summary="Bản đồ nhiệt H3 / H3 heatmap",
    description="Hexagons with `h3`, `count`, `overdue_share` (reports; `active_share` for "
    "incidents), `top_categories`, `per_km2` and `per_1000_residents` (null where no "
    "population figure; see `meta.population`). Time field: received_at (reports) or "
    "occurred_at (incidents). `bbox` keeps the hexagons intersecting it.",
    responses={422: {"description": "resolution outside 5-10, unknown filter value"}},
)
def h3_heatmap(session: SessionDep, w: WindowDep) -> Response:
    # Serialised once by the layer (orjson, cached outlines): no response-model pass over
    # thousands of hexagons.
    return Response(heatmap.heatmap_json(session, w), media_type=GeoJSONResponse.media_type)


@router.get(
    "/hotspots",
    response_class=GeoJSONResponse,
    summary="Điểm nóng (Gi*) / hotspots",
    description="Getis-Ord Gi* over the district's H3 cells (default resolution 8): z, p, "
    "FDR-adjusted q and class hot/cold at 90/95/99 % confidence; `meta` states the method "
    "and significance levels. Cells neither significant nor holding data are left out.",
)
def hotspot_map(session: SessionDep, w: WindowDep) -> Response:
    # meta.summary is keyed by confidence (ints): serialised as "90", "95", "99".
    body = orjson.dumps(hotspots.hotspots(session, w), option=orjson.OPT_NON_STR_KEYS)
    return Response(body, media_type=GeoJSONResponse.media_type)


@router.get(
    "/kpi",
    summary="Chỉ số điều hành / KPIs",
    description="Reports: received, open, overdue, due this week, resolved, on-time rate, "
    "median handling hours, satisfaction; incidents by status and active; each with the "
    "previous period of the same length, by agency, commune and category, and a `link` to "
    "the cases behind it. Default period: the last 30 days.",
)
def kpis(session: SessionDep, w: KpiWindowDep) -> Any:
    return kpi.kpis(session, w)


@router.get(
    "/cases",
    response_class=GeoJSONResponse,
    summary="Các vụ việc sau một chỉ số / the cases behind a number",
    description="The cases a KPI counted (`metric` as in the KPI links), as "
    "GeoJSON points with code, status, category, agency, dates (at most 5000; `meta.truncated`).",
)
def kpi_cases(
    session: SessionDep,
    w: KpiWindowDep,
    metric: Annotated[str, Query(max_length=32)],
    status: Annotated[
        str | None, Query(max_length=16, description="incident status (metric=incidents)")
    ] = None,
    previous: bool = False,
    limit: Annotated[int, Query(ge=1, le=kpi.MAX_CASES)] = kpi.MAX_CASES,
) -> Any:
    if status is not None:
        check_statuses([status])
    return kpi.cases(session, metric, w, previous=previous, status=status, limit=limit)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/briefing.html",
    response_class=HTMLResponse,
    summary="Bản đồ báo cáo nhanh / briefing map",
    description="A standalone HTML page (folium, Leaflet inlined): report density on the H3 grid, "
    "Gi* hotspots, incidents by severity, commune boundaries, legend, title and date. Same filters "
    "as /h3 (`commune` or `bbox` choose the area); `map_layer` (repeatable) picks among heatmap, "
    "hotspots, incidents, boundaries.",
)
def briefing_map(
    session: SessionDep,
    w: WindowDep,
    title: Annotated[str | None, Query(max_length=200)] = None,
    map_layer: Annotated[list[str] | None, Query(max_length=4)] = None,
) -> Any:
    leaflet = vendor_packages().get("leaflet")
    page = briefing.briefing_map(
        session,
        w,
        title=title,
        layers=tuple(map_layer or briefing.MAP_LAYERS),
        leaflet_dir=leaflet / "dist" if leaflet else None,
    )
    return HTMLResponse(page, headers=_attachment(f"bao-cao-{w.end:%Y%m%d}.html"))


@router.get(
    "/kpi.csv",
    summary="Bảng chỉ số (CSV) / KPI table as CSV",
    description="`table`: totals, agency, commune, category or incidents. UTF-8 with BOM.",
)
def kpi_csv(
    session: SessionDep, w: KpiWindowDep, table: Annotated[str, Query(max_length=16)] = "totals"
) -> Any:
    body = briefing.kpi_csv(kpi.kpis(session, w), table)
    return Response(body, media_type="text/csv; charset=utf-8", headers=_attachment(f"kpi-{table}.csv"))


@router.get(
    "/kpi.xlsx",
    summary="Bảng chỉ số (Excel) / KPI tables as Excel",
    description="One sheet per table: totals, agency, commune, category, incidents.",
)
def kpi_xlsx(session: SessionDep, w: KpiWindowDep) -> Any:
    body = briefing.kpi_xlsx(kpi.kpis(session, w))
    return Response(
        body,
        headers=_attachment("kpi.xlsx"),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
