"""Every accepted format imports through the real pipeline into PostGIS, with a true report."""

from __future__ import annotations

import unicodedata

import geopandas as gpd
import pytest
from pyproj import Geod
from shapely.geometry import Point, Polygon
from sqlalchemy import text

from layers import layer_admin
from layers.errors import InvalidInput
from layers.ingest.options import ImportLimits, ImportOptions
from layers.ingest.pipeline import import_file
from tests.layers.ingest_files import (
    KML,
    KML_LINE_FOLDER,
    VN2000_TM3_1085_PRJ,
    WGS84_TO_VN2000_TM3_1085,
    as_latin1,
    geojson,
    kmz_bytes,
    point_feature,
    shapefile_zip,
)

GEOD = Geod(ellps="WGS84")


@pytest.fixture
def layer(db):
    layer = layer_admin.create_layer(db, "truong-hoc", {"title_vi": "Trường học", "layer_group": "infrastructure"},
                                     None)
    db.flush()
    return layer


def run(db, path, slug="truong-hoc", **options):
    return import_file(db, slug, path, path.name, ImportOptions(**options), ImportLimits(), None)


def stored(db, layer):
    return db.execute(text(
        "SELECT fid, properties, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), "
        "GeometryType(geom), ST_NDims(geom) FROM layer_features "
        "WHERE layer_id = :l AND version = :v ORDER BY fid"), {"l": layer.id, "v": layer.version}).all()


def test_geojson_import_writes_a_version_with_schema_and_report(db, layer, tmp_path):
    path = geojson(tmp_path / "truong.geojson", [
        point_feature(107.65, 12.45, ten="Trường Tiểu học Nguyễn Du", so_hs=420, dien_tich=1250.5),
        point_feature(107.66, 12.46, ten="Trường THCS Đắk Lao", so_hs=None, dien_tich=980.0),
    ])
    version, report = run(db, path)
    assert (version.version, version.feature_count, layer.version) == (1, 2, 1)
    assert layer.geometry_type == "Point"
    assert {a["name"]: a["type"] for a in layer.attributes} == {"ten": "string", "so_hs": "integer",
                                                               "dien_tich": "number"}
    rows = stored(db, layer)
    assert rows[0][1] == {"ten": "Trường Tiểu học Nguyễn Du", "so_hs": 420, "dien_tich": 1250.5}
    assert rows[1][1]["so_hs"] is None
    assert (rows[0][2], rows[0][3]) == pytest.approx((107.65, 12.45))
    assert report["rows_read"] == report["features_imported"] == 2
    assert report["crs"] == {"source": "file", "name": "WGS 84"}
    assert report["format"] == "geojson" and report["rejected_count"] == 0
    assert version.report["version"] == 1 and version.report["timings"]["write_s"] >= 0


def test_bow_tie_is_repaired_empty_rejected_and_z_dropped_with_row_numbers(db, layer, tmp_path):
    square = [[107.6, 12.4, 500], [107.7, 12.4, 500], [107.7, 12.5, 500], [107.6, 12.5, 500], [107.6, 12.4, 500]]
    bow_tie = [[107.6, 12.4], [107.7, 12.5], [107.7, 12.4], [107.6, 12.5], [107.6, 12.4]]
    path = geojson(tmp_path / "vung.geojson", [
        {"type": "Feature", "properties": {"ten": "A"}, "geometry": {"type": "Polygon", "coordinates": [square]}},
        {"type": "Feature", "properties": {"ten": "B"}, "geometry": {"type": "Polygon", "coordinates": [bow_tie]}},
        {"type": "Feature", "properties": {"ten": "C"}, "geometry": None},
        {"type": "Feature", "properties": {"ten": "D"}, "geometry": {"type": "Polygon", "coordinates": []}},
    ])
    version, report = run(db, path)
    assert version.feature_count == 2
    assert [(r["row"], r["code"]) for r in report["repaired"]] == [(2, "repaired")]
    assert [(r["row"], r["code"]) for r in report["rejected"]] == [(3, "null_geometry"), (4, "empty_geometry")]
    assert report["dropped_z"] == 1 and any("Z" in n for n in report["notes"])
    assert report["geometry_type"] == layer.geometry_type == "MultiPolygon"
    rows = stored(db, layer)
    assert [r[1]["ten"] for r in rows] == ["A", "B"]
    assert {r[4] for r in rows} == {"MULTIPOLYGON"} and {r[5] for r in rows} == {2}
    valid = db.scalar(text("SELECT bool_and(ST_IsValid(geom)) FROM layer_features WHERE layer_id = :l"),
                      {"l": layer.id})
    assert valid


def test_tcvn3_dbf_without_cpg_is_detected_and_stored_as_nfc_unicode(db, layer, tmp_path):
    names = ["Trường Tiểu học Đắk Mil", "Trạm y tế xã Đức Minh", "Chợ Đắk Mil"]
    gdf = gpd.GeoDataFrame({as_latin1("Tên"): [as_latin1(n) for n in names], "so": [1, 2, 3]},
                           geometry=[Point(107.6 + i / 100, 12.45) for i in range(3)], crs=4326)
    path = shapefile_zip(tmp_path, gdf, "diem", encoding="latin1", prj=None, cpg=None)
    version, report = run(db, path, crs="EPSG:4326")
    assert report["encoding"] == "tcvn3" and report["encoding_source"] == "detected"
    got = [r[1]["Tên"] for r in stored(db, layer)]
    assert got == names
    assert all(unicodedata.is_normalized("NFC", s) for s in got)
    assert version.source_encoding == "tcvn3"


def test_vn2000_tm3_shapefile_without_towgs84_lands_within_a_metre(db, layer, tmp_path):
    lon, lat = 107.68305, 12.44861  # near the Đắk Mil town centre
    x, y = WGS84_TO_VN2000_TM3_1085.transform(lon, lat)
    assert 400_000 < x < 500_000 and 1_370_000 < y < 1_380_000  # a sane TM-3 easting/northing
    gdf = gpd.GeoDataFrame({"ten": ["Mốc"]}, geometry=[Point(x, y)], crs=None)
    path = shapefile_zip(tmp_path, gdf, "moc", prj=VN2000_TM3_1085_PRJ)
    _, report = run(db, path)
    assert report["crs"]["source"] == "file" and "VN" in report["crs"]["name"]
    (_, _, got_lon, got_lat, *_), = stored(db, layer)
    assert GEOD.inv(lon, lat, got_lon, got_lat)[2] < 1.0
    # without the official shift the point would be ~200 m off: the test can tell
    assert GEOD.inv(lon, lat, got_lon, got_lat)[2] < GEOD.inv(lon, lat, lon + 0.002, lat)[2]


def test_shapefile_cpg_utf8_is_honoured(db, layer, tmp_path):
    gdf = gpd.GeoDataFrame({"ten": ["Đường Nguyễn Tất Thành"]}, geometry=[Point(107.6, 12.4)], crs=4326)
    path = shapefile_zip(tmp_path, gdf, "duong", prj='GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",'
                         '6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]',
                         cpg="UTF-8")
    _, report = run(db, path)
    assert report["encoding_source"] == "cpg" and report["encoding"] == "utf-8"
    assert stored(db, layer)[0][1]["ten"] == "Đường Nguyễn Tất Thành"


def test_stated_encoding_wins_over_detection(db, layer, tmp_path):
    vni = "Ño\xe0ng".encode("latin-1")  # VNI bytes of "Đồng": Ñ=Đ, o, à(circumflex+grave)
    gdf = gpd.GeoDataFrame({"ten": [vni.decode("latin-1")]}, geometry=[Point(107.6, 12.4)], crs=4326)
    path = shapefile_zip(tmp_path, gdf, "vni", encoding="latin1", prj=None)
    _, report = run(db, path, crs="EPSG:4326", encoding="VNI-Windows")
    assert report["encoding"] == "vni" and report["encoding_source"] == "stated"
    assert stored(db, layer)[0][1]["ten"] == "Đồng"


def test_shapefile_without_prj_needs_a_crs_and_suggests_one(db, layer, tmp_path):
    gdf = gpd.GeoDataFrame({"ten": ["a"]}, geometry=[Point(420_000, 1_376_000)], crs=None)
    path = shapefile_zip(tmp_path, gdf, "khong_prj", prj=None)
    with pytest.raises(InvalidInput) as err:
        run(db, path)
    assert err.value.code == "crs_required"
    assert err.value.extra["suggestions"][0] == "VN2000-TM3-108.5"
    _, report = run(db, path, crs="VN2000-TM3-108.5")
    assert report["crs"]["source"] == "stated"


def test_unknown_stated_crs_is_a_clear_error(db, layer, tmp_path):
    path = geojson(tmp_path / "a.geojson", [point_feature(107.6, 12.4)])
    with pytest.raises(InvalidInput) as err:
        run(db, path, crs="VN-1972-xyz")
    assert err.value.code == "unknown_crs"


def test_geopackage_with_two_tables_needs_a_choice(db, layer, tmp_path):
    path = tmp_path / "quy_hoach.gpkg"
    gpd.GeoDataFrame({"ten": ["Trường A"]}, geometry=[Point(107.6, 12.4)], crs=4326).to_file(
        path, layer="truong_hoc", engine="pyogrio")
    gpd.GeoDataFrame({"ten": ["Khu B", "Khu C"]},
                     geometry=[Polygon([(107.6, 12.4), (107.7, 12.4), (107.7, 12.5)])] * 2, crs=4326).to_file(
        path, layer="khu_dan_cu", engine="pyogrio", mode="a")
    with pytest.raises(InvalidInput) as err:
        run(db, path)
    assert err.value.code == "table_required"
    assert sorted(err.value.extra["tables"]) == ["khu_dan_cu", "truong_hoc"]
    with pytest.raises(InvalidInput) as err:
        run(db, path, table="khong_co")
    assert err.value.code == "table_not_found"
    version, report = run(db, path, table="khu_dan_cu")
    assert version.feature_count == 2 and report["table"] == "khu_dan_cu"
    assert layer.geometry_type == "Polygon"


def test_kml_folders_are_merged_with_a_folder_attribute_and_z_dropped(db, layer, tmp_path):
    path = tmp_path / "khao_sat.kml"
    path.write_text(KML.format(extra=""), encoding="utf-8")
    version, report = run(db, path)
    assert version.feature_count == 3 and report["dropped_z"] == 2
    props = [r[1] for r in stored(db, layer)]
    assert [p["folder"] for p in props] == ["Trường học", "Trường học", "Trạm y tế"]
    assert props[0]["Name"] == "Trường Tiểu học Nguyễn Du"
    assert "tessellate" not in props[0]  # KML styling fields are not data


def test_kml_mixing_points_and_lines_is_refused_unless_a_family_is_chosen(db, layer, tmp_path):
    path = tmp_path / "tron.kml"
    path.write_text(KML.format(extra=KML_LINE_FOLDER), encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        run(db, path)
    assert err.value.code == "mixed_geometry_types"
    assert err.value.extra["counts"] == {"point": 3, "line": 1}
    version, report = run(db, path, geometry="point")
    assert version.feature_count == 3
    assert [(r["row"], r["code"]) for r in report["rejected"]] == [(4, "other_geometry_type")]
    _, report = run(db, path, table="Đường")
    assert report["features_imported"] == 1 and report["geometry_type"] == "LineString"


def test_kmz_is_read(db, layer, tmp_path):
    path = tmp_path / "khao_sat.kmz"
    path.write_bytes(kmz_bytes(KML.format(extra="")))
    version, report = run(db, path)
    assert version.feature_count == 3 and report["format"] == "kmz"


def test_csv_with_lon_lat_rejects_a_bad_coordinate_row_by_number(db, layer, tmp_path):
    path = tmp_path / "diem.csv"
    path.write_text("ten,kinh_do,vi_do,ma\nTrường A,107.65,12.45,007\nTrường B,abc,12.46,008\n"
                    "Trường C,107.67,12.47,009\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        run(db, path)
    assert err.value.code == "crs_required" and err.value.extra["suggestions"][0] == "EPSG:4326"
    version, report = run(db, path, crs="EPSG:4326")
    assert version.feature_count == 2
    assert [(r["row"], r["code"]) for r in report["rejected"]] == [(2, "bad_coordinate")]
    assert "'abc'" in report["rejected"][0]["message"]
    props = [r[1] for r in stored(db, layer)]
    assert props == [{"ten": "Trường A", "ma": "007"}, {"ten": "Trường C", "ma": "009"}]


def test_csv_semicolons_decimal_commas_and_tcvn3_text(db, layer, tmp_path):
    from tests.layers.ingest_files import to_tcvn3

    path = tmp_path / "excel.csv"
    path.write_bytes(b"ten;lng;lat;so\n" + to_tcvn3("Chợ Đắk Mil") + b";107,65;12,45;3,5\n"
                     + to_tcvn3("Bến xe Đức Mạnh") + b";107,66;12,46;4\n")
    _, report = run(db, path, crs="EPSG:4326")
    assert report["encoding"] == "tcvn3"
    rows = stored(db, layer)
    assert [r[1]["ten"] for r in rows] == ["Chợ Đắk Mil", "Bến xe Đức Mạnh"]
    assert rows[0][1]["so"] == 3.5 and (rows[0][2], rows[0][3]) == pytest.approx((107.65, 12.45))


def test_csv_with_wkt_column_and_named_columns(db, layer, tmp_path):
    path = tmp_path / "wkt.csv"
    path.write_text('name,WKT\nA,"POINT (107.6 12.4)"\nB,"POINT (107.7"\n', encoding="utf-8")
    _, report = run(db, path, crs="EPSG:4326")
    assert [(r["row"], r["code"]) for r in report["rejected"]] == [(2, "unreadable_geometry")]
    path = tmp_path / "cot.csv"
    path.write_text("name,dong,bac\nA,107.6,12.4\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        run(db, path, crs="EPSG:4326")
    assert err.value.code == "csv_coordinates_not_found" and err.value.extra["columns"] == ["name", "dong", "bac"]
    _, report = run(db, path, crs="EPSG:4326", lon="dong", lat="bac")
    assert report["features_imported"] == 1


def test_utf8_geojson_with_tcvn3_mojibake_is_repaired(db, layer, tmp_path):
    garbled = [as_latin1(n) for n in ("Trường Tiểu học Đắk Mil", "Trạm y tế xã Đức Minh")]
    path = geojson(tmp_path / "sai_ma.geojson", [point_feature(107.6, 12.4, ten=garbled[0]),
                                                  point_feature(107.7, 12.5, ten=garbled[1])])
    _, report = run(db, path)
    assert report["encoding"] == "tcvn3" and report["encoding_source"] == "detected"
    assert [r[1]["ten"] for r in stored(db, layer)] == ["Trường Tiểu học Đắk Mil", "Trạm y tế xã Đức Minh"]


def test_time_field_fills_dt(db, layer, tmp_path):
    layer.time_field = "ngay"
    path = geojson(tmp_path / "su_co.geojson", [point_feature(107.6, 12.4, ngay="2025-03-01T08:00:00"),
                                                 point_feature(107.6, 12.4, ngay="khong ro")])
    run(db, path)
    dts = db.execute(text("SELECT dt FROM layer_features WHERE layer_id = :l ORDER BY fid"),
                     {"l": layer.id}).scalars().all()
    assert dts[0].isoformat() == "2025-03-01T01:00:00+00:00"  # 08:00 in Viet Nam
    assert dts[1] is None
