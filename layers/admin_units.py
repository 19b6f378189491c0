"""Named queries on administrative units, always for a date (units change with reforms).

All spatial filters rely on the GiST index ``ix_admin_units_geom``; the query point is
built in SRID 4326, the stored SRID, so the index applies.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from sqlalchemy import RowMapping, text
from sqlalchemy.orm import Session

from gis.geojson import feature, feature_collection
from layers.errors import InvalidInput, NotFound

LEVELS = ("province", "district", "commune")

_VALID_ON = "(u.valid_from IS NULL OR u.valid_from <= :on) AND (u.valid_to IS NULL OR u.valid_to >= :on)"

_COLUMNS = """
    u.id, u.level, u.code, u.name, u.short_name, u.type, u.parent_code,
    u.pop_2019, u.pop_2019_urban, u.pop_2019_rural, u.area_km2,
    u.valid_from, u.valid_to, u.geometry_complete, u.note_vi, u.note_en, u.source,
    ST_AsGeoJSON(u.geom, 6) AS geometry,
    ST_X(ST_PointOnSurface(u.geom)) AS label_lon, ST_Y(ST_PointOnSurface(u.geom)) AS label_lat,
    (SELECT coalesce(json_agg(json_build_object('code', s.code, 'name', s.name,
                                                'valid_from', s.valid_from) ORDER BY s.code), '[]')
       FROM admin_unit_successions x JOIN admin_units s ON s.id = x.successor_id
      WHERE x.predecessor_id = u.id) AS successors,
    (SELECT coalesce(json_agg(json_build_object('code', p.code, 'name', p.name,
                                                'valid_to', p.valid_to) ORDER BY p.code), '[]')
       FROM admin_unit_successions x JOIN admin_units p ON p.id = x.predecessor_id
      WHERE x.successor_id = u.id) AS predecessors
"""


def _props(row: RowMapping) -> dict[str, Any]:
    props = {k: v for k, v in row.items() if k not in ("id", "geometry")}
    for key in ("valid_from", "valid_to"):
        props[key] = props[key].isoformat() if props[key] else None
    pop = row["pop_2019"]
    area = row["area_km2"]
    props["density_2019"] = round(pop / area, 1) if pop and area else None
    return props


def _to_feature(row: RowMapping) -> dict[str, Any]:
    geometry = orjson.loads(row["geometry"]) if row["geometry"] else None
    return feature(geometry, _props(row), feature_id=row["code"])


def units_on(session: Session, level: str, on: date) -> dict[str, Any]:
    """All units of a level valid on a date, as a GeoJSON FeatureCollection."""
    if level not in LEVELS:
        raise InvalidInput(f"Cấp hành chính không hợp lệ / unknown level: {level}", code="bad_level")
    rows = session.execute(
        text(f"SELECT {_COLUMNS} FROM admin_units u WHERE u.level = :level AND {_VALID_ON} "  # noqa: S608
             "ORDER BY u.code"),
        {"level": level, "on": on},
    ).mappings().all()
    return feature_collection([_to_feature(r) for r in rows], date=on.isoformat())


def commune_by_code(session: Session, code: str, on: date) -> dict[str, Any]:
    row = session.execute(
        text(f"SELECT {_COLUMNS} FROM admin_units u "  # noqa: S608
             f"WHERE u.level = 'commune' AND u.code = :code AND {_VALID_ON}"),
        {"code": code, "on": on},
    ).mappings().first()
    if row is None:
        raise NotFound(
            f"Không có xã mã {code} vào ngày {on.isoformat()} / "
            f"no commune with code {code} on {on.isoformat()}",
            code="commune_not_found",
        )
    return _to_feature(row)


def commune_containing(session: Session, lon: float, lat: float, on: date) -> dict[str, Any]:
    """The commune covering a point on a date; a point on a shared border gets the lower code."""
    row = session.execute(
        text(f"SELECT {_COLUMNS} FROM admin_units u "  # noqa: S608
             "WHERE u.level = 'commune' AND ST_Covers(u.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) "
             f"AND {_VALID_ON} ORDER BY u.code LIMIT 1"),
        {"lon": lon, "lat": lat, "on": on},
    ).mappings().first()
    if row is None:
        raise NotFound(
            "Điểm nằm ngoài địa bàn / the point is outside the district",
            code="outside_district",
        )
    return _to_feature(row)
