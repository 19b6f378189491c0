"""Layer management: create/edit/delete rules, re-upload as new versions, diff and restore."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from layers import layer_admin
from layers.errors import Conflict, InvalidInput, NotFound
from layers.ingest.options import ImportLimits, ImportOptions
from layers.ingest.pipeline import import_file
from layers.models import Layer, LayerFeature, LayerVersion
from tests.layers.ingest_files import geojson, point_feature


@pytest.fixture
def layer(db):
    layer = layer_admin.create_layer(db, "tram-y-te", {"title_vi": "Trạm y tế", "layer_group": "infrastructure"},
                                     None)
    db.flush()
    return layer


def upload(db, tmp_path, name, features, slug="tram-y-te"):
    path = geojson(tmp_path / name, features)
    return import_file(db, slug, path, name, ImportOptions(), ImportLimits(), None)


def polygon_feature(x0, **props):
    ring = [[x0, 12.4], [x0 + 0.01, 12.4], [x0 + 0.01, 12.41], [x0, 12.4]]
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_new_layer_defaults_to_internal_upload_layer_with_english_title_from_vietnamese(db, layer):
    assert (layer.kind, layer.visibility, layer.version, layer.title_en) == ("upload", "internal", 0, "Trạm y tế")


@pytest.mark.parametrize("slug", ["A-b", "-abc", "a", "a" * 65, "trạm", "a b", "a/b"])
def test_bad_slugs_are_refused(db, slug):
    with pytest.raises(InvalidInput) as err:
        layer_admin.create_layer(db, slug, {"title_vi": "x"}, None)
    assert err.value.code == "bad_slug"


def test_duplicate_slug_is_a_conflict(db, layer):
    with pytest.raises(Conflict) as err:
        layer_admin.create_layer(db, "tram-y-te", {"title_vi": "x"}, None)
    assert err.value.code == "slug_taken"
    with pytest.raises(Conflict):
        layer_admin.create_layer(db, "communes", {"title_vi": "x"}, None)


@pytest.mark.parametrize("changes, field", [
    ({"layer_group": "parks"}, "group"),
    ({"visibility": "secret"}, "visibility"),
    ({"min_zoom": 15, "max_zoom": 10}, "min_zoom"),
    ({"max_zoom": 30}, "min_zoom"),
    ({"style": {"x": "y" * 30_000}}, "style"),
    ({"title_vi": "  "}, "title_vi"),
    ({"title_vi": None}, "title_vi"),
    ({"slug": "khac"}, "slug"),
])
def test_invalid_metadata_edits_are_refused_and_change_nothing(db, layer, changes, field):
    with pytest.raises(InvalidInput) as err:
        layer_admin.update_layer(db, "tram-y-te", changes, None)
    assert err.value.code == "invalid_layer_field" and err.value.extra["field"] == field
    db.refresh(layer)
    assert (layer.layer_group, layer.visibility, layer.min_zoom, layer.max_zoom) == ("infrastructure", "internal", 0, 22)


def test_metadata_edit_and_attribute_labels(db, layer, tmp_path):
    upload(db, tmp_path, "v1.geojson", [point_feature(107.6, 12.4, ten="Trạm A", giuong=5)])
    layer_admin.update_layer(db, "tram-y-te", {
        "visibility": "public", "description_vi": "Mô tả", "min_zoom": 10, "style": {"color": "#e11d48"},
        "attributes": [{"name": "giuong", "label_vi": "Số giường", "label_en": "Beds", "popup": False}],
    }, None)
    assert layer.visibility == "public" and layer.style == {"color": "#e11d48"}
    beds = next(a for a in layer.attributes if a["name"] == "giuong")
    assert (beds["label_vi"], beds["label_en"], beds["popup"], beds["type"]) == ("Số giường", "Beds", False, "integer")
    with pytest.raises(InvalidInput):
        layer_admin.update_layer(db, "tram-y-te", {"attributes": [{"name": "khong_co", "label_vi": "x"}]}, None)
    with pytest.raises(InvalidInput):
        layer_admin.update_layer(db, "tram-y-te", {"time_field": "khong_co"}, None)
    # labels survive a re-upload that keeps the attribute
    upload(db, tmp_path, "v2.geojson", [point_feature(107.6, 12.4, ten="Trạm A", giuong=6)])
    beds = next(a for a in layer.attributes if a["name"] == "giuong")
    assert (beds["label_vi"], beds["popup"]) == ("Số giường", False)


def test_setting_a_time_field_fills_dt_of_existing_features(db, layer, tmp_path):
    upload(db, tmp_path, "v1.geojson", [point_feature(107.6, 12.4, ngay="2025-07-01"),
                                        point_feature(107.6, 12.4, ngay=None)])
    layer_admin.update_layer(db, "tram-y-te", {"time_field": "ngay"}, None)
    dts = db.scalars(select(LayerFeature.dt).where(LayerFeature.layer_id == layer.id).order_by(LayerFeature.fid)).all()
    assert dts[0].isoformat() == "2025-06-30T17:00:00+00:00" and dts[1] is None
    layer_admin.update_layer(db, "tram-y-te", {"time_field": None}, None)
    assert db.scalar(select(func.count()).where(LayerFeature.layer_id == layer.id, LayerFeature.dt.is_not(None))) == 0


def test_reupload_creates_versions_that_list_diff_and_restore(db, layer, tmp_path):
    upload(db, tmp_path, "v1.geojson", [point_feature(107.6, 12.4, ten="A", so=1),
                                        point_feature(107.7, 12.5, ten="B", so=2)])
    upload(db, tmp_path, "v2.geojson", [point_feature(107.6, 12.4, ten="A", so=1),
                                        point_feature(107.8, 12.6, ten="C", so=3),
                                        point_feature(107.9, 12.7, ten="D", so=4)])
    upload(db, tmp_path, "v3.geojson", [polygon_feature(107.6, ten="Khu", dien_tich="1 ha")])
    listed = layer_admin.versions(db, "tram-y-te")
    assert [(v["version"], v["current"], v["feature_count"]) for v in listed] == [(3, True, 1), (2, False, 3),
                                                                                 (1, False, 2)]
    assert listed[2]["source_filename"] == "v1.geojson" and listed[2]["geometry_type"] == "Point"

    diff = layer_admin.diff_versions(db, "tram-y-te", 1, 2)
    assert diff["feature_count_change"] == 1 and diff["bbox_changed"]
    assert diff["features"] == {"unchanged": 1, "only_in_a": 1, "only_in_b": 2}
    assert diff["a"]["bbox"] == pytest.approx([107.6, 12.4, 107.7, 12.5])
    diff = layer_admin.diff_versions(db, "tram-y-te", 2, 3)
    assert diff["attributes"] == {"added": ["dien_tich"], "removed": ["so"], "type_changed": []}
    assert layer_admin.diff_versions(db, "tram-y-te", 2, 2)["features"] == {"unchanged": 3, "only_in_a": 0,
                                                                           "only_in_b": 0}
    assert layer.geometry_type == "Polygon"

    restored = layer_admin.restore(db, "tram-y-te", 1, None)
    assert restored["version"] == 1 and restored["current"]
    assert (layer.version, layer.geometry_type) == (1, "Point")
    assert {a["name"] for a in layer.attributes} == {"ten", "so"}
    with pytest.raises(NotFound) as err:
        layer_admin.restore(db, "tram-y-te", 9, None)
    assert err.value.code == "version_not_found"
    with pytest.raises(NotFound):
        layer_admin.diff_versions(db, "tram-y-te", 1, 9)
    # a new upload after a restore still gets the next free number
    version, _ = upload(db, tmp_path, "v4.geojson", [point_feature(107.6, 12.4)])
    assert version.version == 4


def test_version_detail_has_the_full_report(db, layer, tmp_path):
    upload(db, tmp_path, "v1.geojson", [point_feature(107.6, 12.4), {"type": "Feature", "properties": {},
                                                                    "geometry": None}])
    detail = layer_admin.version_detail(db, "tram-y-te", 1)
    assert detail["report"]["rejected"][0]["row"] == 2 and detail["rejected_count"] == 1


def test_delete_removes_layer_versions_and_features(db, layer, tmp_path):
    upload(db, tmp_path, "v1.geojson", [point_feature(107.6, 12.4)])
    layer_id = layer.id
    layer_admin.delete_layer(db, "tram-y-te")
    db.flush()
    assert db.scalar(select(Layer).where(Layer.slug == "tram-y-te")) is None
    assert db.scalar(select(func.count()).select_from(LayerVersion).where(LayerVersion.layer_id == layer_id)) == 0
    assert db.scalar(text("SELECT count(*) FROM layer_features WHERE layer_id = :l"), {"l": layer_id}) == 0
    with pytest.raises(NotFound):
        layer_admin.delete_layer(db, "tram-y-te")


def test_default_layers_can_be_restyled_but_not_deleted_or_restored(db):
    layer_admin.update_layer(db, "communes", {"style": {"color": "#000000"}}, None)
    for action in (lambda: layer_admin.delete_layer(db, "communes"),
                   lambda: layer_admin.restore(db, "communes", 1, None)):
        with pytest.raises(Conflict) as err:
            action()
        assert err.value.code == "default_layer_locked"
