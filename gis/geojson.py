"""GeoJSON (RFC 7946) building blocks: lon/lat order, 6 decimals, plain dicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MEDIA_TYPE = "application/geo+json"


def feature(
    geometry: Mapping[str, Any] | None,
    properties: Mapping[str, Any],
    feature_id: str | int | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "Feature", "geometry": geometry, "properties": dict(properties)}
    if feature_id is not None:
        out["id"] = feature_id
    return out


def feature_collection(features: Iterable[Mapping[str, Any]], **members: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features), **members}
