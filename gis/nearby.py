"""Degree margins around a point, for a bounding-box prefilter before exact distances.

A GiST index on a lon/lat geometry answers ``geom && box`` fast; the exact test on the
ellipsoid (``ST_DWithin(geography)``) is then run on the few rows inside the box. The box
must never be smaller than the circle, so the margins err on the large side.
"""

from __future__ import annotations

import math

#: Shortest length of one degree of latitude on WGS84 (at the equator), in metres.
_M_PER_DEG_LAT_MIN = 110_574.0
#: Length of one degree of longitude at the equator on WGS84, in metres.
_M_PER_DEG_LON_EQ = 111_320.0


def degree_margins(lat: float, metres: float) -> tuple[float, float]:
    """(dlon, dlat) in degrees that cover at least ``metres`` around a point at ``lat``.

    10 % slack covers the ellipsoid's flattening; near the poles the longitude margin
    grows without bound, so it is capped at 180°.
    """
    if metres < 0 or not math.isfinite(metres):
        raise ValueError(f"bad distance: {metres!r}")
    if not -90 <= lat <= 90:
        raise ValueError(f"bad latitude: {lat!r}")
    dlat = metres / _M_PER_DEG_LAT_MIN * 1.1
    cos = math.cos(math.radians(min(abs(lat) + dlat, 90.0)))
    dlon = 180.0 if cos < 1e-9 else min(180.0, metres / (_M_PER_DEG_LON_EQ * cos) * 1.1)
    return (dlon, dlat)
