"""The map's layer catalogue and each layer's features."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from api.deps import PUBLIC, PrincipalDep, SessionDep
from api.geojson import GeoJSONResponse
from layers import catalog
from layers.models import Layer, LayerVersion

router = APIRouter(prefix="/api/v1/layers", tags=["layers"], dependencies=[Depends(PUBLIC)])
Slug = Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,64}$")]


class LayerPublic(BaseModel):
    """A catalogue entry: what the map needs to list, draw (GeoJSON or tiles) and label a layer."""

    slug: str
    title_vi: str
    title_en: str
    description_vi: str | None
    description_en: str | None
    group: str
    geometry_type: str
    visibility: str
    style: dict[str, Any]
    default_on: bool
    min_zoom: int
    max_zoom: int
    version: int
    source: str | None
    licence: str | None
    features_url: str
    feature_count: int
    bbox: list[float] | None
    attributes: list[dict[str, Any]]

    @classmethod
    def of(cls, layer: Layer, current: LayerVersion | None) -> LayerPublic:
        return cls(
            slug=layer.slug, title_vi=layer.title_vi, title_en=layer.title_en,
            description_vi=layer.description_vi, description_en=layer.description_en,
            group=layer.layer_group, geometry_type=layer.geometry_type,
            visibility=layer.visibility, style=layer.style, default_on=layer.default_on,
            min_zoom=layer.min_zoom, max_zoom=layer.max_zoom, version=layer.version,
            source=layer.source, licence=layer.licence,
            features_url=f"/api/v1/layers/{layer.slug}/features",
            feature_count=current.feature_count if current else 0,
            bbox=current.bbox if current else None,
            attributes=layer.attributes or [],
        )


def _role(principal: PrincipalDep) -> str | None:
    return principal.user.role if principal.user else None


@router.get("", response_model=list[LayerPublic],
            summary="Danh mục lớp bản đồ / layer catalogue",
            description="Public layers for everyone; internal layers for staff roles only.")
def list_layers(session: SessionDep, principal: PrincipalDep) -> list[LayerPublic]:
    layers = catalog.list_layers(session, _role(principal))
    current = catalog.current_versions(session, layers)
    return [LayerPublic.of(layer, current.get(layer.id)) for layer in layers]


@router.get("/{slug}", response_model=LayerPublic, summary="Một lớp / one layer",
            responses={404: {"description": "unknown or not visible to you"}})
def get_layer(slug: Slug, session: SessionDep, principal: PrincipalDep) -> LayerPublic:
    layer = catalog.get_layer(session, slug, _role(principal))
    return LayerPublic.of(layer, catalog.current_versions(session, [layer]).get(layer.id))


@router.get("/{slug}/features", response_class=GeoJSONResponse,
            summary="Đối tượng của lớp (GeoJSON) / layer features (GeoJSON)",
            responses={404: {"description": "unknown or not visible to you"}})
def layer_features(slug: Slug, session: SessionDep, principal: PrincipalDep) -> Any:
    return catalog.layer_features(session, slug, _role(principal))
