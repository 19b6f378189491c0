"""Versioned features of catalogue layers: write a whole new version, list, restore.

A new version is written inside the caller's transaction with COPY, then the layer's
``version`` pointer moves to it; a failure anywhere rolls back to exactly the old state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from layers.errors import NotFound
from layers.models import Layer, LayerFeature, LayerVersion
from layers.tiles import store

_TO_3857 = Transformer.from_crs(4326, 3857, always_xy=True)
# Web Mercator is undefined at the poles; clamp latitudes before projecting.
_MAX_LAT = 85.05112878


@dataclass
class FeatureRow:
    geometry: BaseGeometry
    properties: dict[str, Any]
    dt: datetime | None = None


@dataclass
class VersionSource:
    filename: str | None = None
    format: str | None = None
    crs: str | None = None
    encoding: str | None = None
    report: dict[str, Any] = field(default_factory=dict)


def _to_3857(geoms: Any) -> Any:
    def project(coords: np.ndarray) -> np.ndarray:
        x, y = _TO_3857.transform(coords[:, 0], coords[:, 1].clip(-_MAX_LAT, _MAX_LAT))
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), project)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def write_version(
    session: Session,
    layer: Layer,
    rows: Iterable[FeatureRow],
    *,
    attributes: list[dict[str, Any]],
    user_id: int | None = None,
    source: VersionSource | None = None,
    batch: int = 20_000,
) -> LayerVersion:
    """Store ``rows`` as the next version of ``layer`` and make it current."""
    source = source or VersionSource()
    latest = session.scalar(
        select(func.max(LayerVersion.version)).where(LayerVersion.layer_id == layer.id)
    )
    number = (latest or 0) + 1
    version = LayerVersion(
        layer_id=layer.id, version=number, created_by=user_id, source_filename=source.filename,
        source_format=source.format, source_crs=source.crs, source_encoding=source.encoding,
        feature_count=0, bbox=None, attributes=attributes, report=source.report,
    )
    session.add(version)
    session.flush()

    raw = session.connection().connection.driver_connection
    assert raw is not None
    fid = 0
    buffer: list[FeatureRow] = []

    def flush_buffer() -> None:
        nonlocal fid
        if not buffer:
            return
        geoms: Any = np.asarray([r.geometry for r in buffer], dtype=object)
        wkb4326 = shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True,
                                 output_dimension=2)
        wkb3857 = shapely.to_wkb(shapely.set_srid(_to_3857(geoms), 3857), hex=True,
                                 include_srid=True, output_dimension=2)
        with raw.cursor() as cur, cur.copy(
            "COPY layer_features (layer_id, version, fid, properties, dt, geom, geom_3857) FROM STDIN"
        ) as copy:
            for row, g4326, g3857 in zip(buffer, wkb4326, wkb3857, strict=True):
                fid += 1
                props = orjson.dumps(row.properties, default=_json_default,
                                     option=orjson.OPT_NON_STR_KEYS).decode()
                copy.write_row((layer.id, number, fid, props, row.dt, g4326, g3857))
        buffer.clear()

    for row in rows:
        buffer.append(row)
        if len(buffer) >= batch:
            flush_buffer()
    flush_buffer()

    extent = session.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ("
        "  SELECT ST_Extent(geom) AS e FROM layer_features WHERE layer_id = :l AND version = :v) s"),
        {"l": layer.id, "v": number}).one()
    version.feature_count = fid
    version.bbox = list(extent) if fid else None
    previous = layer.version
    layer.version = number
    layer.attributes = attributes
    layer.updated_by = user_id
    layer.updated_at = datetime.now(UTC)
    session.flush()
    store.after_switch(session, layer.id, number, previous, attributes)
    return version


def infer_attributes(
    rows: Sequence[dict[str, Any]], labels: dict[str, tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    """An attribute schema from the values: integer, number, boolean, datetime, json or string."""
    labels = labels or {}
    names: dict[str, set[str]] = {}
    for props in rows:
        for key, value in props.items():
            names.setdefault(key, set()).add(_value_type(value))
    out = []
    for name, types in names.items():
        types.discard("null")
        if not types:
            kind = "string"
        elif len(types) == 1:
            kind = types.pop()
        elif types <= {"integer", "number"}:
            kind = "number"
        else:
            kind = "string"
        vi, en = labels.get(name, (name, name))
        out.append({"name": name, "type": kind, "label_vi": vi, "label_en": en,
                    "popup": name in labels or not labels})
    return out


def _value_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, dict | list):
        return "json"
    return "string"


def list_versions(session: Session, layer: Layer) -> list[LayerVersion]:
    return list(session.scalars(
        select(LayerVersion).where(LayerVersion.layer_id == layer.id)
        .order_by(LayerVersion.version.desc())
    ))


def restore_version(session: Session, layer: Layer, number: int, user_id: int | None = None) -> LayerVersion:
    """Make an earlier version current again (its rows were kept)."""
    version = session.get(LayerVersion, (layer.id, number))
    if version is None:
        raise NotFound(f"Không có phiên bản {number} / no version {number}", code="version_not_found")
    previous = layer.version
    layer.version = number
    layer.attributes = version.attributes
    layer.updated_by = user_id
    layer.updated_at = datetime.now(UTC)
    session.flush()
    store.after_switch(session, layer.id, number, previous, version.attributes)
    return version


def current_count(session: Session, layer: Layer) -> int:
    return int(session.scalar(
        select(func.count()).select_from(LayerFeature)
        .where(LayerFeature.layer_id == layer.id, LayerFeature.version == layer.version)
    ) or 0)
