"""Places and shapes in Đắk Mil for the incident and analytics tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text

TOWN = (107.62237, 12.44957)  # Thị trấn Đắk Mil, commune 24664
OUTSIDE = (105.85, 21.03)  # Hà Nội
BEFORE_2025 = date(2025, 6, 1)


def square(lon: float, lat: float, half: float = 0.005) -> dict[str, Any]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def border_point(db: Any, a: str, b: str, on: date = BEFORE_2025) -> tuple[float, float]:
    """A point on the shared border of two communes valid on ``on``."""
    row = db.execute(
        text("""
        SELECT ST_X(p), ST_Y(p) FROM (
          SELECT ST_PointOnSurface(ST_Buffer(ST_Intersection(ST_Boundary(x.geom), ST_Boundary(y.geom)), 1e-6)) p
          FROM admin_units x, admin_units y
          WHERE x.level = 'commune' AND y.level = 'commune' AND x.code = :a AND y.code = :b
            AND (x.valid_to IS NULL OR x.valid_to >= :on) AND (x.valid_from IS NULL OR x.valid_from <= :on)
            AND (y.valid_to IS NULL OR y.valid_to >= :on) AND (y.valid_from IS NULL OR y.valid_from <= :on)) t
    """),
        {"a": a, "b": b, "on": on},
    ).one()
    return float(row[0]), float(row[1])


def commune_pairs(db: Any, on: date) -> list[tuple[str, str]]:
    rows = db.execute(
        text("""
        SELECT x.code, y.code FROM admin_units x JOIN admin_units y
          ON x.code < y.code AND ST_Touches(x.geom, y.geom)
        WHERE x.level = 'commune' AND y.level = 'commune'
          AND (x.valid_to IS NULL OR x.valid_to >= :on) AND (x.valid_from IS NULL OR x.valid_from <= :on)
          AND (y.valid_to IS NULL OR y.valid_to >= :on) AND (y.valid_from IS NULL OR y.valid_from <= :on)
        ORDER BY 1, 2"""),
        {"on": on},
    ).all()
    return [(r[0], r[1]) for r in rows]
