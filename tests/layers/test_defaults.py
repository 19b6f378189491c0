import unicodedata
from datetime import date

from sqlalchemy import func, select, text

from layers.admin_units import units_on
from layers.defaults import load_defaults
from layers.models import AdminUnit, AdminUnitSuccession, Agency, Layer


def _counts(db):
    return tuple(db.scalar(select(func.count()).select_from(m))
                 for m in (AdminUnit, AdminUnitSuccession, Layer, Agency))


def test_loading_twice_changes_nothing_and_keeps_ids(db):
    before = _counts(db)
    ids = db.execute(select(AdminUnit.id, AdminUnit.code, AdminUnit.valid_from).order_by(AdminUnit.id)).all()
    load_defaults(db)
    db.flush()
    assert _counts(db) == before
    assert db.execute(select(AdminUnit.id, AdminUnit.code, AdminUnit.valid_from).order_by(AdminUnit.id)).all() == ids


def test_ten_pre_2025_communes_with_census_population(db):
    fc = units_on(db, "commune", date(2025, 6, 30))
    assert len(fc["features"]) == 10
    assert sum(f["properties"]["pop_2019"] for f in fc["features"]) == 99_892
    names = {f["properties"]["name"] for f in fc["features"]}
    assert "Xã Đắk R'La" in names and "Thị trấn Đắk Mil" in names
    assert all(unicodedata.is_normalized("NFC", n) for n in names)


def test_four_post_2025_communes_and_the_incomplete_one_is_flagged(db):
    fc = units_on(db, "commune", date(2025, 7, 1))
    by_code = {f["properties"]["code"]: f["properties"] for f in fc["features"]}
    assert {p["name"] for p in by_code.values()} == {"Xã Đức Lập", "Xã Đắk Mil", "Xã Đắk Sắk", "Xã Thuận An"}
    assert by_code["24678"]["geometry_complete"] is False
    assert "Nam Xuân" in by_code["24678"]["note_vi"]
    assert {p["code"] for p in by_code["24664"]["predecessors"]} == {"24664", "24676", "24685"}


def test_district_outline_is_the_union_of_communes(db):
    diff = db.scalar(text(
        "SELECT ST_Area(ST_SymDifference(d.geom, (SELECT ST_Union(c.geom) FROM admin_units c "
        "WHERE c.level = 'commune' AND c.valid_to = '2025-06-30'))::geography) "
        "FROM admin_units d WHERE d.level = 'district'"))
    assert diff < 1.0  # m²
    area = db.scalar(select(AdminUnit.area_km2).where(AdminUnit.level == "district"))
    assert 675 < area < 690  # SOURCES.md: 682.7 km² in the source attribute


def test_new_commune_area_equals_sum_of_predecessors(db):
    rows = db.execute(text(
        "SELECT n.area_km2, sum(o.area_km2) FROM admin_units n "
        "JOIN admin_unit_successions s ON s.successor_id = n.id "
        "JOIN admin_units o ON o.id = s.predecessor_id "
        "WHERE n.level = 'commune' GROUP BY n.id, n.area_km2")).all()
    assert len(rows) == 4
    for new_area, old_sum in rows:
        assert abs(new_area - old_sum) < 0.01


def test_default_layers_and_agencies(db):
    slugs = set(db.scalars(select(Layer.slug)))
    assert {"district", "communes", "communes_2025"} <= slugs
    assert db.scalar(select(func.count()).select_from(Agency).where(Agency.kind == "commune")) == 10
