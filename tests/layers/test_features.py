from datetime import UTC, datetime

import pytest
from shapely.geometry import Point, Polygon
from sqlalchemy import func, select

from layers.errors import NotFound
from layers.features import FeatureRow, infer_attributes, list_versions, restore_version, write_version
from layers.models import Layer, LayerFeature


@pytest.fixture
def layer(db):
    layer = Layer(slug="test-points", title_vi="Điểm thử", title_en="Test points", layer_group="other",
                  kind="upload", geometry_type="Point", visibility="public", style={}, options={},
                  default_on=False, sort_order=100, min_zoom=0, max_zoom=22, attributes=[])
    db.add(layer)
    db.flush()
    return layer


def _rows(n, offset=0.0):
    return [FeatureRow(Point(107.6 + offset + i * 1e-4, 12.5), {"name": f"Trường {i}", "n": i}) for i in range(n)]


def test_write_version_stores_features_with_both_projections(db, layer):
    v = write_version(db, layer, _rows(3), attributes=[])
    assert (v.version, v.feature_count, layer.version) == (1, 3, 1)
    f = db.scalar(select(LayerFeature).where(LayerFeature.layer_id == layer.id, LayerFeature.fid == 1))
    assert f.properties == {"name": "Trường 0", "n": 0}
    x = db.scalar(select(func.ST_X(LayerFeature.geom_3857)).where(LayerFeature.id == f.id))
    assert x == pytest.approx(107.6 * 20037508.342789244 / 180, abs=0.01)
    assert v.bbox == pytest.approx([107.6, 12.5, 107.6002, 12.5])


def test_new_version_keeps_the_old_one_and_restore_switches_back(db, layer):
    write_version(db, layer, _rows(3), attributes=[])
    write_version(db, layer, _rows(5, offset=0.01), attributes=[])
    assert [v.version for v in list_versions(db, layer)] == [2, 1]
    assert layer.version == 2
    restore_version(db, layer, 1)
    assert layer.version == 1
    with pytest.raises(NotFound):
        restore_version(db, layer, 9)


def test_failed_write_leaves_the_layer_as_it_was(db, layer):
    write_version(db, layer, _rows(2), attributes=[])
    db.commit()

    def broken():
        yield from _rows(3)
        raise ValueError("file ended early")

    with pytest.raises(ValueError):
        write_version(db, layer, broken(), attributes=[])
    db.rollback()
    db.refresh(layer)
    assert layer.version == 1
    assert [v.version for v in list_versions(db, layer)] == [1]
    assert db.scalar(select(func.count()).select_from(LayerFeature).where(LayerFeature.layer_id == layer.id)) == 2


def test_polygon_and_text_with_control_characters_survive_copy(db, layer):
    poly = Polygon([(107.6, 12.5), (107.61, 12.5), (107.61, 12.51)])
    write_version(db, layer, [FeatureRow(poly, {"note": "tab\\there\nnew \\N line", "when": datetime(2026, 1, 2, tzinfo=UTC)})],
                  attributes=[])
    f = db.scalar(select(LayerFeature).where(LayerFeature.layer_id == layer.id))
    assert f.properties["note"] == "tab\\there\nnew \\N line"
    assert f.properties["when"] == "2026-01-02T00:00:00+00:00"


def test_infer_attributes_types():
    attrs = {a["name"]: a["type"] for a in infer_attributes([
        {"a": 1, "b": 1.5, "c": "x", "d": True, "e": None},
        {"a": 2, "b": 2, "c": None, "d": False, "e": None},
    ])}
    assert attrs == {"a": "integer", "b": "number", "c": "string", "d": "boolean", "e": "string"}
