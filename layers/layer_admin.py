"""Planners' management of catalogue layers: create, edit, delete; versions, diff, restore.

Default layers (kind ``admin_units``) are generated from the administrative units by
``layers.defaults``; their metadata and style may be edited, but uploading over them,
restoring an old version or deleting them would break that link, so those are refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, TIMESTAMP
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from layers.errors import Conflict, InvalidInput, NotFound
from layers.features import list_versions, restore_version
from layers.ingest.attributes import parse_datetime
from layers.models import Layer, LayerVersion, User
from layers.tiles import store

SLUG_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
GROUPS: Final = ("infrastructure", "incidents", "feedback", "boundaries", "planning", "other")
VISIBILITIES: Final = ("public", "internal")
MAX_ZOOM: Final = 24
MAX_STYLE_BYTES: Final = 20_000
EDITABLE: Final = frozenset({
    "title_vi", "title_en", "description_vi", "description_en", "layer_group", "source", "licence",
    "visibility", "min_zoom", "max_zoom", "style", "default_on", "sort_order", "time_field", "attributes",
})  # fmt: skip
NULLABLE: Final = frozenset({"description_vi", "description_en", "source", "licence", "time_field"})


def managed_layer(session: Session, slug: str, *, for_update: bool = False) -> Layer:
    """Any layer by slug (planners and admins see internal ones too)."""
    query = select(Layer).where(Layer.slug == slug)
    layer = session.scalar(query.with_for_update() if for_update else query)
    if layer is None:
        raise NotFound(f"Không có lớp dữ liệu / no such layer: {slug}", code="layer_not_found")
    return layer


def ensure_uploadable(layer: Layer) -> None:
    if layer.kind == "admin_units":
        raise Conflict("Lớp mặc định (ranh giới hành chính) không thể tải lại, khôi phục hay xóa / "
                       "default administrative-boundary layers cannot be re-uploaded, restored or deleted",
                       code="default_layer_locked", slug=layer.slug)


def _bad(field: str, vi: str, en: str) -> InvalidInput:
    return InvalidInput(f"{field}: {vi} / {en}", code="invalid_layer_field", field=field)


def _check(layer: Layer, changes: dict[str, Any]) -> None:
    """Domain rules on top of the API's type checks (the CLI comes through here too)."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise _bad(sorted(unknown)[0], "không sửa được", "not editable")
    for key, value in changes.items():
        if value is None and key not in NULLABLE:
            raise _bad(key, "không được để trống", "cannot be empty")
    for key in ("title_vi", "title_en"):
        if key in changes and not (isinstance(changes[key], str) and 0 < len(changes[key].strip()) <= 200):
            raise _bad(key, "cần 1–200 ký tự", "needs 1–200 characters")
    if "layer_group" in changes and changes["layer_group"] not in GROUPS:
        raise _bad("group", "nhóm không hợp lệ", f"must be one of {', '.join(GROUPS)}")
    if "visibility" in changes and changes["visibility"] not in VISIBILITIES:
        raise _bad("visibility", "phải là public hoặc internal", "must be public or internal")
    lo, hi = changes.get("min_zoom", layer.min_zoom), changes.get("max_zoom", layer.max_zoom)
    if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi <= MAX_ZOOM):
        raise _bad("min_zoom", f"cần 0 ≤ min_zoom ≤ max_zoom ≤ {MAX_ZOOM}",
                   f"needs 0 ≤ min_zoom ≤ max_zoom ≤ {MAX_ZOOM}")
    if "style" in changes:
        style = changes["style"]
        if not isinstance(style, dict) or len(orjson.dumps(style)) > MAX_STYLE_BYTES:
            raise _bad("style", f"phải là đối tượng JSON ≤ {MAX_STYLE_BYTES} byte",
                       f"must be a JSON object of at most {MAX_STYLE_BYTES} bytes")
    names = {a["name"] for a in layer.attributes or []}
    field = changes.get("time_field")
    if field is not None and names and field not in names:
        raise _bad("time_field", f"không có thuộc tính {field!r}", f"no attribute {field!r}")


def _merge_attributes(layer: Layer, edits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    current = {a["name"]: dict(a) for a in layer.attributes or []}
    for edit in edits:
        name = edit.get("name")
        if name not in current:
            raise _bad("attributes", f"không có thuộc tính {name!r}", f"no attribute {name!r}")
        for key in ("label_vi", "label_en", "popup"):
            if edit.get(key) is not None:
                current[name][key] = edit[key]
    return list(current.values())


def create_layer(session: Session, slug: str, fields: dict[str, Any], user_id: int | None) -> Layer:
    if not SLUG_RE.fullmatch(slug):
        raise InvalidInput("Mã lớp chỉ gồm a-z, 0-9, _ và -, dài 2–64, bắt đầu bằng chữ/số / slug must "
                           "match ^[a-z0-9][a-z0-9_-]{1,63}$", code="bad_slug", slug=slug[:100])
    if session.scalar(select(Layer.id).where(Layer.slug == slug)) is not None:
        raise Conflict(f"Mã lớp đã tồn tại / slug already taken: {slug}", code="slug_taken", slug=slug)
    fields = {"title_en": fields.get("title_vi"), **{k: v for k, v in fields.items() if v is not None}}
    layer = Layer(slug=slug, kind="upload", geometry_type="Geometry", layer_group="other",
                  visibility="internal", style={}, options={}, default_on=False, sort_order=100,
                  min_zoom=0, max_zoom=22, version=0, attributes=[], created_by=user_id, updated_by=user_id)
    if "title_vi" not in fields:
        raise _bad("title_vi", "bắt buộc", "required")
    _check(layer, fields)
    fields.pop("attributes", None)
    for key, value in fields.items():
        setattr(layer, key, value.strip() if isinstance(value, str) else value)
    try:
        with session.begin_nested():
            session.add(layer)
    except IntegrityError as exc:  # a concurrent create of the same slug
        raise Conflict(f"Mã lớp đã tồn tại / slug already taken: {slug}", code="slug_taken",
                       slug=slug) from exc
    return layer


def update_layer(session: Session, slug: str, changes: dict[str, Any], user_id: int | None) -> Layer:
    layer = managed_layer(session, slug, for_update=True)
    _check(layer, changes)
    if "attributes" in changes:
        layer.attributes = _merge_attributes(layer, changes.pop("attributes") or [])
    refresh_dt = "time_field" in changes and changes["time_field"] != layer.time_field
    for key, value in changes.items():
        setattr(layer, key, value.strip() if isinstance(value, str) else value)
    layer.updated_by, layer.updated_at = user_id, datetime.now(UTC)
    session.flush()
    if refresh_dt:
        _refresh_dt(session, layer)
    return layer


_DT_UPDATE = text(
    "UPDATE layer_features f SET dt = v.dt FROM unnest(:ids, :dts) AS v(id, dt) WHERE f.id = v.id"
).bindparams(bindparam("ids", type_=ARRAY(BIGINT)), bindparam("dts", type_=ARRAY(TIMESTAMP(timezone=True))))


def _refresh_dt(session: Session, layer: Layer) -> None:
    """Re-derive every version's ``dt`` from the new time field (OGC ``datetime`` uses it)."""
    rows = session.execute(text("SELECT id, properties -> :f FROM layer_features WHERE layer_id = :l"),
                           {"f": layer.time_field or "", "l": layer.id}).all()
    if rows:
        dts = [parse_datetime(r[1]) if layer.time_field else None for r in rows]
        session.execute(_DT_UPDATE, {"ids": [r[0] for r in rows], "dts": dts})


def delete_layer(session: Session, slug: str) -> None:
    """The layer, its versions and features go in one statement (FKs cascade)."""
    layer = managed_layer(session, slug, for_update=True)
    ensure_uploadable(layer)
    store.drop_layer(session, layer.id)
    session.execute(delete(Layer).where(Layer.id == layer.id))
    session.expunge(layer)


def _usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all()
    return {int(uid): str(name) for uid, name in rows}


def layer_view(session: Session, layer: Layer) -> dict[str, Any]:
    """Everything a planner edits, plus who changed it and when."""
    names = _usernames(session, {layer.created_by, layer.updated_by})
    return {
        "slug": layer.slug, "title_vi": layer.title_vi, "title_en": layer.title_en,
        "description_vi": layer.description_vi, "description_en": layer.description_en,
        "group": layer.layer_group, "kind": layer.kind, "source": layer.source, "licence": layer.licence,
        "geometry_type": layer.geometry_type, "visibility": layer.visibility, "style": layer.style,
        "default_on": layer.default_on, "sort_order": layer.sort_order, "min_zoom": layer.min_zoom,
        "max_zoom": layer.max_zoom, "version": layer.version, "attributes": layer.attributes,
        "time_field": layer.time_field, "created_at": layer.created_at, "updated_at": layer.updated_at,
        "created_by": names.get(layer.created_by or 0), "updated_by": names.get(layer.updated_by or 0),
    }


def _summary(v: LayerVersion, current: int, names: dict[int, str]) -> dict[str, Any]:
    report = v.report or {}
    return {
        "version": v.version, "current": v.version == current, "created_at": v.created_at,
        "created_by": names.get(v.created_by or 0), "source_filename": v.source_filename,
        "source_format": v.source_format, "source_crs": v.source_crs, "source_encoding": v.source_encoding,
        "feature_count": v.feature_count, "bbox": v.bbox, "geometry_type": report.get("geometry_type"),
        "repaired_count": report.get("repaired_count", 0), "rejected_count": report.get("rejected_count", 0),
    }


def versions(session: Session, slug: str) -> list[dict[str, Any]]:
    layer = managed_layer(session, slug)
    rows = list_versions(session, layer)
    names = _usernames(session, {v.created_by for v in rows})
    return [_summary(v, layer.version, names) for v in rows]


def _version(session: Session, layer: Layer, number: int) -> LayerVersion:
    version = session.get(LayerVersion, (layer.id, number))
    if version is None:
        raise NotFound(f"Không có phiên bản {number} / no version {number}", code="version_not_found",
                       version=number)
    return version


def version_detail(session: Session, slug: str, number: int) -> dict[str, Any]:
    layer = managed_layer(session, slug)
    v = _version(session, layer, number)
    return {**_summary(v, layer.version, _usernames(session, {v.created_by})),
            "attributes": v.attributes, "report": v.report}


# Multiset difference of (geometry, properties) fingerprints; the scans use the unique
# (layer_id, version, fid) index.
_DIFF_SQL = text("""
    WITH a AS (SELECT md5(ST_AsBinary(geom) || convert_to(properties::text, 'UTF8')) AS h
               FROM layer_features WHERE layer_id = :l AND version = :a),
         b AS (SELECT md5(ST_AsBinary(geom) || convert_to(properties::text, 'UTF8')) AS h
               FROM layer_features WHERE layer_id = :l AND version = :b)
    SELECT (SELECT count(*) FROM (SELECT h FROM a EXCEPT ALL SELECT h FROM b) x),
           (SELECT count(*) FROM (SELECT h FROM b EXCEPT ALL SELECT h FROM a) y)
""")


def diff_versions(session: Session, slug: str, a: int, b: int) -> dict[str, Any]:
    """Feature counts, extents, attribute schema changes and how many features changed."""
    layer = managed_layer(session, slug)
    va, vb = _version(session, layer, a), _version(session, layer, b)
    only_a, only_b = session.execute(_DIFF_SQL, {"l": layer.id, "a": a, "b": b}).one()
    types_a = {x["name"]: x["type"] for x in va.attributes or []}
    types_b = {x["name"]: x["type"] for x in vb.attributes or []}
    names = _usernames(session, {va.created_by, vb.created_by})
    return {
        "a": _summary(va, layer.version, names), "b": _summary(vb, layer.version, names),
        "feature_count_change": vb.feature_count - va.feature_count,
        "bbox_changed": va.bbox != vb.bbox,
        "features": {"unchanged": va.feature_count - int(only_a), "only_in_a": int(only_a),
                     "only_in_b": int(only_b)},
        "attributes": {
            "added": [n for n in types_b if n not in types_a],
            "removed": [n for n in types_a if n not in types_b],
            "type_changed": [{"name": n, "from": types_a[n], "to": types_b[n]}
                             for n in types_a if n in types_b and types_a[n] != types_b[n]],
        },
    }


def restore(session: Session, slug: str, number: int, user_id: int | None) -> dict[str, Any]:
    layer = managed_layer(session, slug, for_update=True)
    ensure_uploadable(layer)
    version = restore_version(session, layer, number, user_id)
    layer.geometry_type = (version.report or {}).get("geometry_type") or layer.geometry_type
    session.flush()
    return _summary(version, layer.version, _usernames(session, {version.created_by}))


def catalogue(session: Session) -> list[dict[str, Any]]:
    """Every layer with its current feature count (for `iocmap layers list`)."""
    rows = session.execute(
        select(Layer, LayerVersion.feature_count)
        .outerjoin(LayerVersion,
                   (LayerVersion.layer_id == Layer.id) & (LayerVersion.version == Layer.version))
        .order_by(Layer.sort_order, Layer.slug)).all()
    return [{"slug": layer.slug, "title_vi": layer.title_vi, "kind": layer.kind, "group": layer.layer_group,
             "visibility": layer.visibility, "geometry_type": layer.geometry_type, "version": layer.version,
             "features": count or 0} for layer, count in rows]
