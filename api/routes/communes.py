"""Administrative boundaries as RFC 7946 GeoJSON, for a validity date."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from api.deps import PUBLIC, DateDep, SessionDep
from api.geojson import GeoJSONResponse
from layers import admin_units

router = APIRouter(prefix="/api/v1", tags=["administrative units"], dependencies=[Depends(PUBLIC)])

Lon = Annotated[float, Query(ge=-180, le=180, description="Kinh độ WGS84 / longitude")]
Lat = Annotated[float, Query(ge=-90, le=90, description="Vĩ độ WGS84 / latitude")]
Code = Annotated[str, Path(pattern=r"^[0-9]{2,5}$", description="Mã GSO / GSO code")]


@router.get(
    "/communes", response_class=GeoJSONResponse,
    summary="Ranh giới xã / commune boundaries",
    description="Communes valid on `date` (default today). Before 1 July 2025 Đắk Mil had "
    "10 communes; from then on 4 merged communes of Lâm Đồng.",
)
def communes(session: SessionDep, on: DateDep) -> Any:
    return admin_units.units_on(session, "commune", on)


@router.get(
    "/communes/containing", response_class=GeoJSONResponse,
    summary="Xã chứa một điểm / commune containing a point",
    responses={404: {"description": "outside the district"}, 422: {"description": "bad coordinates"}},
)
def commune_containing(session: SessionDep, on: DateDep, lon: Lon, lat: Lat) -> Any:
    return admin_units.commune_containing(session, lon, lat, on)


@router.get(
    "/communes/{code}", response_class=GeoJSONResponse,
    summary="Một xã theo mã / one commune by code",
    responses={404: {"description": "no commune with that code on that date"}},
)
def commune(session: SessionDep, on: DateDep, code: Code) -> Any:
    return admin_units.commune_by_code(session, code, on)


@router.get(
    "/district", response_class=GeoJSONResponse,
    summary="Ranh giới huyện / district outline",
    description="The district outline valid on `date`; the district level was abolished on "
    "1 July 2025, so later dates give an empty collection.",
)
def district(session: SessionDep, on: DateDep) -> Any:
    return admin_units.units_on(session, "district", on)
