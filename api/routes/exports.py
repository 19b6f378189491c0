"""Download a layer (or a bbox of it) as GeoJSON, GeoPackage, CSV or zipped Shapefile."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.deps import PUBLIC, PrincipalDep, SessionDep
from layers import catalog, exports
from layers.ogc.params import parse_bbox

router = APIRouter(prefix="/api/v1/layers", tags=["layers"], dependencies=[Depends(PUBLIC)])
Slug = Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,64}$")]


@router.get(
    "/{slug}/export", response_class=FileResponse,
    summary="Tải lớp về (GeoJSON, GeoPackage, CSV, Shapefile) / download a layer",
    description="The layer's current version, or the features intersecting `bbox` "
                "(minx,miny,maxx,maxy in WGS84 longitude/latitude). CSV is UTF-8 with a BOM; its "
                "geometry is `lon`/`lat` columns for point layers or a `wkt` column (`geometry=`). "
                "The Shapefile zip holds .shp/.shx/.dbf/.prj and a .cpg saying UTF-8.",
    responses={404: {"description": "unknown or not visible to you"},
               422: {"description": "bad format, bbox or geometry option; too many features"}},
)
def export_layer(
    slug: Slug, session: SessionDep, principal: PrincipalDep,
    format: Annotated[Literal["geojson", "gpkg", "csv", "shp"], Query(
        description="geojson | gpkg | csv | shp (zipped Shapefile)")] = "geojson",
    bbox: Annotated[str | None, Query(max_length=200, description="minx,miny,maxx,maxy")] = None,
    geometry: Annotated[Literal["lonlat", "wkt"] | None, Query(
        description="CSV only: lon/lat columns (point layers) or WKT")] = None,
) -> FileResponse:
    role = principal.user.role if principal.user else None
    layer = catalog.get_layer(session, slug, role)
    box = parse_bbox(bbox) if bbox is not None else None
    export = exports.export_layer(session, layer, format, bbox=box, csv_geometry=geometry)
    return FileResponse(export.path, media_type=export.media_type, filename=export.filename,
                        background=BackgroundTask(export.cleanup))
