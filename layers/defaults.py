"""Load the default Đắk Mil dataset (``data/``) into the database, idempotently.

Rows are upserted on their natural keys, so a second load changes nothing and keeps ids
(reports will point at admin units and agencies).
"""

from __future__ import annotations

import csv
import hashlib
import logging
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import orjson
from geoalchemy2.shape import from_shape
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from gis.admin import dissolve, geodesic_area_km2, group_keys, nfc, union_by_key
from layers.admin_units import units_on
from layers.features import FeatureRow, VersionSource, infer_attributes, write_version
from layers.feedback.models import Category
from layers.feedback.seed import seed_feedback
from layers.models import AdminUnit, AdminUnitSuccession, Agency, Layer, LayerVersion

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
REFORM_DATE = date(2025, 7, 1)
LAST_DAY_BEFORE_REFORM = date(2025, 6, 30)
SOURCE_COMMUNES = "censusVN2009 (MIT, © 2017 Marc Choisy); GSO codes; 2019 census population"

# New units that took land from outside Đắk Mil, which we hold no geometry for.
INCOMPLETE_2025 = {
    "24678": (
        "Gồm cả xã Nam Xuân (huyện Krông Nô) — chưa có ranh giới phần này.",
        "Also includes Nam Xuân commune (Krông Nô district) — no geometry for that part.",
    )
}

DEFAULT_LAYERS: list[dict[str, Any]] = [
    {
        "slug": "district",
        "title_vi": "Ranh giới huyện Đắk Mil",
        "title_en": "Đắk Mil district boundary",
        "description_vi": "Hợp của 10 xã, thị trấn (trước 01/07/2025).",
        "description_en": "Union of the 10 communes (before 1 July 2025).",
        "layer_group": "boundaries",
        "kind": "admin_units",
        "options": {"level": "district", "date": "2025-06-30"},
        "geometry_type": "MultiPolygon",
        "style": {"color": "#b91c1c", "weight": 3, "fillOpacity": 0},
        "default_on": True,
        "sort_order": 10,
    },
    {
        "slug": "communes",
        "title_vi": "Xã, thị trấn (trước 01/07/2025)",
        "title_en": "Communes (before 1 July 2025)",
        "description_vi": "10 đơn vị hành chính cấp xã của huyện Đắk Mil, dân số 2019.",
        "description_en": "The 10 communes of Đắk Mil district, 2019 census population.",
        "layer_group": "boundaries",
        "kind": "admin_units",
        "options": {"level": "commune", "date": "2025-06-30"},
        "geometry_type": "MultiPolygon",
        "style": {"color": "#1d4ed8", "weight": 1.5, "fillColor": "#60a5fa", "fillOpacity": 0.15},
        "default_on": True,
        "sort_order": 20,
    },
    {
        "slug": "communes_2025",
        "title_vi": "Xã mới (từ 01/07/2025, tỉnh Lâm Đồng)",
        "title_en": "New communes (from 1 July 2025, Lâm Đồng)",
        "description_vi": "4 xã mới hợp nhất từ các xã cũ; Xã Đắk Sắk còn gồm Nam Xuân (chưa có ranh giới).",
        "description_en": "4 merged communes; Đắk Sắk also includes Nam Xuân (no geometry).",
        "layer_group": "boundaries",
        "kind": "admin_units",
        "options": {"level": "commune", "date": "2025-07-01"},
        "geometry_type": "MultiPolygon",
        "style": {"color": "#047857", "weight": 2, "fillColor": "#34d399", "fillOpacity": 0.12,
                  "dashArray": "6 4"},
        "default_on": False,
        "sort_order": 30,
    },
]


def _upsert_unit(session: Session, values: dict[str, Any]) -> int:
    stmt = insert(AdminUnit).values(**values)
    upsert = stmt.on_conflict_do_update(
        index_elements=["level", "code", "valid_from"],
        set_={k: stmt.excluded[k] for k in values if k not in ("level", "code", "valid_from")},
    ).returning(AdminUnit.id)
    return int(session.execute(upsert).scalar_one())


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: nfc(v) or "" for k, v in row.items()} for row in csv.DictReader(fh)]


def _int(value: str) -> int | None:
    return int(value) if value else None


def load_defaults(session: Session, data_dir: Path = DATA_DIR) -> dict[str, int]:
    """Upsert admin units (pre- and post-2025), successions, the layer catalogue and agencies."""
    units = _read_csv(data_dir / "dakmil_admin_units.csv")
    communes = gpd.read_file(data_dir / "dakmil_communes.geojson", engine="pyogrio")
    if communes.crs is None or communes.crs.to_epsg() != 4326:
        communes = communes.to_crs(4326)
    geom_by_code = dict(zip(communes["code"].astype(str), communes.geometry, strict=True))

    ids: dict[tuple[str, str], int] = {}
    province = next(u for u in units if u["level"] == "province")
    district = next(u for u in units if u["level"] == "district")
    old = [u for u in units if u["level"] == "commune"]

    ids[("old", province["code"])] = _upsert_unit(session, {
        "level": "province", "code": province["code"], "name": province["name"],
        "type": province["type"], "valid_from": None, "valid_to": LAST_DAY_BEFORE_REFORM,
        "geometry_complete": False, "geom": None, "source": "GSO",
        "note_vi": "Sáp nhập vào tỉnh Lâm Đồng từ 01/07/2025; không lưu ranh giới tỉnh.",
        "note_en": "Merged into Lâm Đồng province on 1 July 2025; no outline stored.",
    })
    new_province_code = province["successor_2025_code"]
    ids[("new", new_province_code)] = _upsert_unit(session, {
        "level": "province", "code": new_province_code, "name": province["successor_2025_name"],
        "type": "Tỉnh", "valid_from": REFORM_DATE, "valid_to": None,
        "geometry_complete": False, "geom": None, "source": "GSO (vietnam-provinces 2025.10.1)",
        "note_vi": "Chỉ để liên kết kế thừa; không lưu ranh giới tỉnh.",
        "note_en": "Kept for succession links only; no outline stored.",
    })

    district_geom = dissolve(geom_by_code[u["code"]] for u in old)
    ids[("old", district["code"])] = _upsert_unit(session, {
        "level": "district", "code": district["code"], "name": district["name"],
        "type": district["type"], "parent_code": district["parent_code"],
        "pop_2019": _int(district["pop_2019"]), "pop_2019_urban": _int(district["pop_2019_urban"]),
        "pop_2019_rural": _int(district["pop_2019_rural"]),
        "area_km2": round(geodesic_area_km2(district_geom), 3),
        "valid_from": None, "valid_to": LAST_DAY_BEFORE_REFORM, "geometry_complete": True,
        "geom": from_shape(district_geom, srid=4326), "source": SOURCES_DISTRICT,
        "note_vi": "Cấp huyện bị bãi bỏ từ 01/07/2025. Ranh giới = hợp của 10 xã.",
        "note_en": "District level abolished on 1 July 2025. Outline = union of the 10 communes.",
    })

    for u in old:
        geom = dissolve([geom_by_code[u["code"]]])
        ids[("old", u["code"])] = _upsert_unit(session, {
            "level": "commune", "code": u["code"], "name": u["name"], "type": u["type"],
            "short_name": _short_name(u["name"], u["type"]),
            "name_ascii": str(communes.loc[communes["code"] == u["code"], "name_ascii"].iloc[0]),
            "parent_code": u["parent_code"], "pop_2019": _int(u["pop_2019"]),
            "pop_2019_urban": _int(u["pop_2019_urban"]), "pop_2019_rural": _int(u["pop_2019_rural"]),
            "area_km2": round(geodesic_area_km2(geom), 3), "valid_from": None,
            "valid_to": LAST_DAY_BEFORE_REFORM, "geometry_complete": True,
            "geom": from_shape(geom, srid=4326), "source": SOURCE_COMMUNES,
            "note_vi": None, "note_en": None,
        })

    mapping = {u["code"]: u["successor_2025_code"] for u in old}
    names_2025 = {u["successor_2025_code"]: u["successor_2025_name"] for u in old}
    new_geoms = union_by_key([geom_by_code[c] for c in mapping], list(mapping.values()))
    for new_code, predecessors in group_keys(mapping).items():
        geom = new_geoms[new_code]
        pops = [_int(u["pop_2019"]) for u in old if u["code"] in predecessors]
        incomplete = INCOMPLETE_2025.get(new_code)
        name = names_2025[new_code]
        ids[("new", new_code)] = _upsert_unit(session, {
            "level": "commune", "code": new_code, "name": name, "type": "Xã",
            "short_name": _short_name(name, "Xã"), "parent_code": new_province_code,
            "pop_2019": None if incomplete else sum(p or 0 for p in pops),
            "area_km2": round(geodesic_area_km2(geom), 3),
            "valid_from": REFORM_DATE, "valid_to": None,
            "geometry_complete": incomplete is None,
            "geom": from_shape(geom, srid=4326),
            "source": "Hợp các xã cũ / union of predecessors (vietnamadminunits 1.0.4 mapping)",
            "note_vi": incomplete[0] if incomplete else "Hợp nhất từ các xã cũ của huyện Đắk Mil.",
            "note_en": incomplete[1] if incomplete else "Merged from former Đắk Mil communes.",
        })

    successions = [(ids[("old", o)], ids[("new", n)]) for o, n in mapping.items()]
    successions.append((ids[("old", province["code"])], ids[("new", new_province_code)]))
    for pred, succ in successions:
        session.execute(
            insert(AdminUnitSuccession)
            .values(predecessor_id=pred, successor_id=succ, effective_date=REFORM_DATE)
            .on_conflict_do_nothing()
        )

    for layer in DEFAULT_LAYERS:
        values = {"source": SOURCE_COMMUNES, "licence": "MIT (geometry); GSO public statistics",
                  "visibility": "public", **layer}
        stmt = insert(Layer).values(**values)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["slug"],
            set_={k: stmt.excluded[k] for k in values if k != "slug"},
        ))

    agencies = _read_csv(data_dir / "agencies.csv")
    for a in agencies:
        values = {k: (a[k] or None) for k in ("code", "kind", "commune_code", "name_vi", "name_en")}
        stmt = insert(Agency).values(**values)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["code"], set_={k: stmt.excluded[k] for k in values if k != "code"}
        ))

    for layer in DEFAULT_LAYERS:
        _refresh_admin_layer(session, layer["slug"])

    counts = {
        "admin_units": len(ids),
        "successions": len(successions),
        "layers": len(DEFAULT_LAYERS),
        "agencies": len(agencies),
        **seed_feedback(session, data_dir),
    }
    log.info("default dataset loaded: %s", counts)
    return counts


SOURCES_DISTRICT = "Derived: union of the 10 communes (" + SOURCE_COMMUNES + ")"


ADMIN_LABELS = {
    "code": ("Mã GSO", "GSO code"),
    "name": ("Tên", "Name"),
    "type": ("Loại", "Type"),
    "pop_2019": ("Dân số 2019", "Population 2019"),
    "area_km2": ("Diện tích (km²)", "Area (km²)"),
    "density_2019": ("Mật độ (người/km²)", "Density (per km²)"),
    "valid_from": ("Hiệu lực từ", "Valid from"),
    "valid_to": ("Hiệu lực đến", "Valid to"),
}


def _refresh_admin_layer(session: Session, slug: str) -> None:
    """Snapshot admin units into the layer's features; a new version only when they changed."""
    layer = session.scalars(select(Layer).where(Layer.slug == slug)).one()
    fc = units_on(session, layer.options["level"], date.fromisoformat(layer.options["date"]))
    digest = hashlib.sha256(orjson.dumps(fc["features"], option=orjson.OPT_SORT_KEYS)).hexdigest()
    if layer.version:
        current = session.get(LayerVersion, (layer.id, layer.version))
        if current is not None and current.report.get("content_hash") == digest:
            return
    rows = [FeatureRow(shape(f["geometry"]), f["properties"]) for f in fc["features"]]
    write_version(
        session, layer, rows,
        attributes=infer_attributes([r.properties for r in rows], ADMIN_LABELS),
        source=VersionSource(filename="admin_units", format="database", crs="EPSG:4326",
                             report={"content_hash": digest}),
    )


def defaults_loaded(session: Session) -> bool:
    """Loaded = every part of the dataset is present (an older install may lack newer parts).

    Not a full reload on every start: that would undo admins' edits to layers and agencies.
    """
    has_layers = session.execute(select(Layer.id).where(Layer.slug == "communes")).first() is not None
    has_categories = session.execute(select(Category.id).limit(1)).first() is not None
    return has_layers and has_categories


def _short_name(name: str, unit_type: str) -> str:
    return name.removeprefix(unit_type).strip()
