"""The layer catalogue and layer features, filtered by what the caller's role may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.geojson import feature_collection
from layers.errors import NotFound
from layers.models import Layer, LayerVersion

STAFF_ROLES = frozenset({"admin", "leader", "planner", "officer"})


def visible_to(role: str | None) -> tuple[str, ...]:
    """Internal layers are for staff only; citizens and visitors see public layers."""
    return ("public", "internal") if role in STAFF_ROLES else ("public",)


def list_layers(session: Session, role: str | None) -> list[Layer]:
    return list(session.scalars(
        select(Layer).where(Layer.visibility.in_(visible_to(role)))
        .order_by(Layer.sort_order, Layer.slug)
    ))


def current_versions(session: Session, layers: list[Layer]) -> dict[int, LayerVersion]:
    """Each layer's current version row (feature count, extent), by layer id: the web map
    draws small layers as GeoJSON and large ones from vector tiles. Uses the primary key."""
    ids = [layer.id for layer in layers if layer.version]
    if not ids:
        return {}
    rows = session.execute(
        select(LayerVersion)
        .join(Layer, (Layer.id == LayerVersion.layer_id) & (Layer.version == LayerVersion.version))
        .where(Layer.id.in_(ids))
    ).scalars()
    return {v.layer_id: v for v in rows}


def get_layer(session: Session, slug: str, role: str | None) -> Layer:
    """A hidden layer answers exactly like a missing one, so its existence does not leak."""
    layer = session.scalar(
        select(Layer).where(Layer.slug == slug, Layer.visibility.in_(visible_to(role)))
    )
    if layer is None:
        raise NotFound(f"Không có lớp dữ liệu / no such layer: {slug}", code="layer_not_found")
    return layer


# Small layers only: large ones are drawn from vector tiles. Relies on the unique
# (layer_id, version, fid) index.
_FEATURES_SQL = text("""
    SELECT coalesce(json_agg(json_build_object(
               'type', 'Feature', 'id', fid,
               'geometry', ST_AsGeoJSON(geom, 6)::json,
               'properties', properties) ORDER BY fid), '[]'::json)
    FROM layer_features WHERE layer_id = :layer AND version = :version
""")


def layer_features(session: Session, slug: str, role: str | None) -> dict[str, Any]:
    """The current version of a layer as a GeoJSON FeatureCollection."""
    layer = get_layer(session, slug, role)
    features = session.execute(_FEATURES_SQL, {"layer": layer.id, "version": layer.version}).scalar_one()
    return feature_collection(features, version=layer.version)
