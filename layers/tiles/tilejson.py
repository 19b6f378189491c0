"""TileJSON 3.0.0 documents describing a layer's tiles."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy.orm import Session

from gis import tiles as tm
from layers.models import Layer, LayerVersion
from layers.tiles.plan import CLUSTER_LAYER, Mode, full_detail_zoom, is_point_layer, tile_attributes
from layers.tiles.settings import TileSettings

WORLD_BOUNDS = (-180.0, -tm.MAX_LAT, 180.0, tm.MAX_LAT)
# TileJSON vector_layers.fields: attribute name -> type, as tippecanoe and MapTiler write them.
FIELD_TYPES = {"integer": "Number", "number": "Number", "boolean": "Boolean"}


def _bounds(bbox: list[float] | None) -> tuple[float, float, float, float]:
    if not bbox or len(bbox) != 4:
        return WORLD_BOUNDS
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    return (max(minx, -180.0), max(miny, -tm.MAX_LAT), min(maxx, 180.0), min(maxy, tm.MAX_LAT))


def tilejson(session: Session, layer: Layer, *, base_url: str, mode: Mode,
             settings: TileSettings) -> dict[str, Any]:
    """The layer's TileJSON: URL template, zooms, bounds and center of the current version,
    and the MVT layers with their fields (see ``layers.tiles`` for product vs full)."""
    version = session.get(LayerVersion, (layer.id, layer.version)) if layer.version else None
    bounds = _bounds(version.bbox if version else None)
    minzoom = max(0, min(tm.MAX_ZOOM, layer.min_zoom))
    maxzoom = max(minzoom, min(tm.MAX_ZOOM, layer.max_zoom))
    center_zoom = tm.zoom_to_fit(bounds, minzoom, maxzoom) if bounds != WORLD_BOUNDS else minzoom
    query = "?detail=full" if mode == "full" else ""
    fields = {a.name: FIELD_TYPES.get(a.type, "String") for a in tile_attributes(layer, mode)}
    vector_layers: list[dict[str, Any]] = [{
        "id": layer.slug, "description": layer.title_en or layer.title_vi,
        "minzoom": minzoom, "maxzoom": maxzoom, "fields": fields,
    }]
    thin_below = full_detail_zoom(layer, settings) if mode == "product" and is_point_layer(layer) else None
    if thin_below is not None and thin_below > minzoom:
        vector_layers.append({
            "id": CLUSTER_LAYER, "minzoom": minzoom, "maxzoom": thin_below - 1,
            "description": "Points merged per 32-pixel cell below the full-detail zoom; "
                           "count = number of features (always > 1)",
            "fields": {"count": "Number"},
        })
    attribution = " — ".join(html.escape(s) for s in (layer.source, layer.licence) if s)
    return {
        "tilejson": "3.0.0",
        "name": layer.title_vi,
        "description": layer.description_vi or layer.title_en,
        "version": f"{layer.version}.0.0",
        "attribution": attribution,
        "scheme": "xyz",
        "tiles": [f"{base_url}/tiles/{layer.slug}/{{z}}/{{x}}/{{y}}.mvt{query}"],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": list(bounds),
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, center_zoom],
        "vector_layers": vector_layers,
        # Our own members (TileJSON allows extra keys): how to read the tiles.
        "iocmap": {
            "detail": mode,
            "layer_version": layer.version,
            "feature_count": version.feature_count if version else 0,
            "feature_id": "fid (the MVT feature id)",
            "thinned_below_zoom": thin_below,
            "cluster_layer": CLUSTER_LAYER if thin_below else None,
            "empty_tile_status": 204,
            "full_detail_url": f"{base_url}/tiles/{layer.slug}/{{z}}/{{x}}/{{y}}.mvt?detail=full",
        },
    }
