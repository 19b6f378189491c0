"""The layer catalogue and layer features, filtered by what the caller's role may see."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from layers import admin_units
from layers.errors import NotFound
from layers.models import Layer

STAFF_ROLES = frozenset({"admin", "leader", "planner", "officer"})


def visible_to(role: str | None) -> tuple[str, ...]:
    """Internal layers are for staff only; citizens and visitors see public layers."""
    return ("public", "internal") if role in STAFF_ROLES else ("public",)


def list_layers(session: Session, role: str | None) -> list[Layer]:
    return list(session.scalars(
        select(Layer).where(Layer.visibility.in_(visible_to(role)))
        .order_by(Layer.sort_order, Layer.slug)
    ))


def get_layer(session: Session, slug: str, role: str | None) -> Layer:
    """A hidden layer answers exactly like a missing one, so its existence does not leak."""
    layer = session.scalar(
        select(Layer).where(Layer.slug == slug, Layer.visibility.in_(visible_to(role)))
    )
    if layer is None:
        raise NotFound(f"Không có lớp dữ liệu / no such layer: {slug}", code="layer_not_found")
    return layer


def layer_features(session: Session, slug: str, role: str | None) -> dict[str, Any]:
    layer = get_layer(session, slug, role)
    if layer.kind == "admin_units":
        on = date.fromisoformat(layer.options["date"])
        return admin_units.units_on(session, layer.options["level"], on)
    raise NotFound(f"Lớp chưa có dữ liệu / layer has no features: {slug}", code="layer_empty")
