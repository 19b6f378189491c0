"""Layer exports: every format is read back with pyogrio (or csv) and compared with the data."""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely

from layers import exports
from tests.layers.ogc_data import N_POINTS, SCRIPT, START, lonlat, make_layers, properties


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """200 features in 64-row chunks: every export appends several times."""
    monkeypatch.setattr(exports, "CHUNK", 64)


@pytest.fixture
def data(db):
    names = make_layers(db)
    db.commit()
    return names


def _download(client, slug, tmp_path, headers=None, **params):
    r = client.get(f"/api/v1/layers/{slug}/export", params=params, headers=headers or {})
    assert r.status_code == 200, r.text
    filename = r.headers["content-disposition"].split('filename="')[1].rstrip('"')
    path = tmp_path / filename
    path.write_bytes(r.content)
    return r, path


def _check_schools(frame, count=N_POINTS):
    assert len(frame) == count
    frame = frame.sort_values("so_hoc_sinh").reset_index(drop=True)
    for i in (0, 7, 10, 199):
        row, expected = frame.iloc[i], properties(i)
        assert row["ten"] == expected["ten"]
        assert row["loai"] == expected["loai"]
        assert row["so_hoc_sinh"] == expected["so_hoc_sinh"]
        assert row["dien_tich"] == pytest.approx(expected["dien_tich"])
        assert bool(row["cong_lap"]) is expected["cong_lap"]
        assert (row.geometry.x, row.geometry.y) == pytest.approx(lonlat(i), abs=1e-7)
    assert frame.iloc[7]["ghi_chu"] == SCRIPT
    assert pd.isna(frame.iloc[10]["ghi_chu"])
    return frame


def test_geojson_export_round_trips(client, data, tmp_path):
    r, path = _download(client, data.points, tmp_path, format="geojson")
    assert r.headers["content-type"].startswith("application/geo+json")
    assert r.headers["content-disposition"] == f'attachment; filename="{data.points}-v1.geojson"'
    doc = r.json()
    assert [f["id"] for f in doc["features"]] == list(range(1, N_POINTS + 1))  # the OGC API ids
    item = client.get(f"/ogc/collections/{data.points}/items/43").json()
    assert doc["features"][42] == {k: v for k, v in item.items() if k != "links"}
    frame = _check_schools(pyogrio.read_dataframe(path))
    assert frame.crs.to_epsg() == 4326
    assert pd.Timestamp(frame.iloc[3]["ngay"]) == pd.Timestamp(START) + pd.Timedelta(days=3)


def test_geopackage_export_keeps_types(client, data, tmp_path):
    _, path = _download(client, data.points, tmp_path, format="gpkg")
    assert path.suffix == ".gpkg"
    assert [name for name, _ in pyogrio.list_layers(path)] == [data.points]
    frame = _check_schools(pyogrio.read_dataframe(path))
    assert str(frame["so_hoc_sinh"].dtype) == "int64"
    assert str(frame["cong_lap"].dtype) == "bool"
    assert str(frame["dien_tich"].dtype) == "float64"
    assert pd.api.types.is_datetime64_any_dtype(frame["ngay"])
    assert frame["ngay"].iloc[0] == pd.Timestamp(START)
    info = pyogrio.read_info(path)
    assert info["geometry_type"] == "Point" and info["crs"] == "EPSG:4326"


def test_csv_export_is_utf8_with_bom_and_lon_lat_columns(client, data, tmp_path):
    r, path = _download(client, data.points, tmp_path, format="csv")
    assert r.headers["content-type"].startswith("text/csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == N_POINTS
    assert list(rows[0])[-2:] == ["lon", "lat"]
    by_count = {int(row["so_hoc_sinh"]): row for row in rows}
    for i in (0, 7, 199):
        row = by_count[100 + i]
        assert row["ten"] == properties(i)["ten"]
        assert (float(row["lon"]), float(row["lat"])) == pytest.approx(lonlat(i))
    assert by_count[107]["ghi_chu"] == SCRIPT
    assert by_count[110]["ghi_chu"] == ""


def test_csv_export_with_wkt(client, data, tmp_path):
    _, path = _download(client, data.points, tmp_path, format="csv", geometry="wkt")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert shapely.from_wkt(rows[42]["wkt"]).equals_exact(shapely.Point(lonlat(42)), 1e-9)
    assert "lon" not in rows[0]


def test_csv_of_polygons_uses_wkt_and_refuses_lon_lat(client, tmp_path):
    _, path = _download(client, "communes", tmp_path, format="csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 10
    assert shapely.from_wkt(rows[0]["wkt"]).geom_type in ("Polygon", "MultiPolygon")
    r = client.get("/api/v1/layers/communes/export", params={"format": "csv", "geometry": "lonlat"})
    assert r.status_code == 422 and r.json()["code"] == "csv_lonlat_needs_points"


def test_zipped_shapefile_has_cpg_prj_and_vietnamese_text(client, data, tmp_path):
    r, path = _download(client, data.points, tmp_path, format="shp")
    assert r.headers["content-type"] == "application/zip"
    assert path.name == f"{data.points}-v1.zip"
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        stem = f"{data.points}-v1"
        assert sorted(names) == sorted([*(f"{stem}.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")),
                                        f"{stem}_fields.csv"])
        assert zf.read(f"{stem}.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
        assert "WGS" in zf.read(f"{stem}.prj").decode()
        fields = list(csv.DictReader(io.StringIO(zf.read(f"{stem}_fields.csv").decode("utf-8-sig"))))
    # dBase cuts names to 10 characters; the zip says which field is which
    full_names = {row["shapefile"]: row["name"] for row in fields}
    assert full_names["so_hoc_sin"] == "so_hoc_sinh"
    assert {row["name"]: row["label_vi"] for row in fields}["dien_tich"] == "Diện tích (m²)"
    frame = pyogrio.read_dataframe(f"/vsizip/{path}").rename(columns=full_names)
    frame = _check_schools(frame)
    assert frame.crs.to_epsg() == 4326
    assert frame["ngay"].iloc[0] == "2024-01-01T03:00:00+00:00"  # dBase has no date-time type


def test_shapefile_of_polygons_matches_the_geojson_export(client, tmp_path):
    _, shp = _download(client, "communes", tmp_path, format="shp")
    _, geojson = _download(client, "communes", tmp_path, format="geojson")
    a = pyogrio.read_dataframe(f"/vsizip/{shp}")
    b = pyogrio.read_dataframe(geojson)
    assert len(a) == len(b) == 10
    for ga, gb in zip(a.geometry, b.geometry, strict=True):
        assert ga.symmetric_difference(gb).area < 1e-10
    assert set(a.geom_type) <= {"Polygon", "MultiPolygon"}


def test_bbox_selection_exports_only_features_inside(client, data, tmp_path):
    _, path = _download(client, data.points, tmp_path, format="gpkg", bbox="107.5995,12.4395,107.6045,12.4415")
    assert path.name == f"{data.points}-v1-bbox.gpkg"
    frame = pyogrio.read_dataframe(path)
    assert sorted(frame["so_hoc_sinh"]) == [100, 101, 102, 103, 104, 120, 121, 122, 123, 124]


def test_empty_selection_still_makes_a_valid_file(client, data, tmp_path):
    for fmt in ("geojson", "gpkg", "shp"):
        _, path = _download(client, data.points, tmp_path, format=fmt, bbox="100,10,100.1,10.1")
        target = f"/vsizip/{path}" if fmt == "shp" else path
        assert len(pyogrio.read_dataframe(target)) == 0
    _, path = _download(client, data.empty, tmp_path, format="csv")
    assert path.read_text(encoding="utf-8-sig").strip() == "lon,lat"


@pytest.mark.parametrize("role", [None, "citizen"])
def test_internal_layer_export_is_404_for_anonymous_and_citizens(client, data, make_user, token_for, role):
    headers = token_for(make_user(role)) if role else {}
    for fmt in ("geojson", "csv", "shp", "gpkg"):
        r = client.get(f"/api/v1/layers/{data.hidden}/export", params={"format": fmt}, headers=headers)
        assert r.status_code == 404 and r.json()["code"] == "layer_not_found"
        assert "Bí mật" not in r.text


def test_internal_layer_export_for_staff(client, data, make_user, token_for, tmp_path):
    headers = token_for(make_user("officer"))
    _, path = _download(client, data.hidden, tmp_path, headers=headers, format="geojson")
    assert sorted(pyogrio.read_dataframe(path)["ten"]) == [f"Bí mật {i}" for i in range(5)]


@pytest.mark.parametrize("params, code", [
    ({"format": "kml"}, "invalid_input"),
    ({"format": "geojson", "bbox": "1,2,3"}, "bad_bbox"),
    ({"format": "geojson", "bbox": "108,12,107,13"}, "bad_bbox"),
    ({"format": "geojson", "geometry": "wkt"}, "csv_geometry_not_csv"),
    ({"format": "csv", "geometry": "xy"}, "invalid_input"),
])
def test_bad_export_requests_are_422(client, data, params, code):
    r = client.get(f"/api/v1/layers/{data.points}/export", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code


def test_unknown_layer_is_404(client):
    assert client.get("/api/v1/layers/khong-co/export").status_code == 404


def test_temporary_files_are_removed_after_sending(client, data, tmp_path, monkeypatch):
    made: list[Path] = []
    real = tempfile.mkdtemp

    def recording_mkdtemp(*args, **kwargs):
        made.append(Path(real(*args, **kwargs)))
        return str(made[-1])

    monkeypatch.setattr(exports.tempfile, "mkdtemp", recording_mkdtemp)
    _download(client, data.points, tmp_path, format="shp")
    assert len(made) == 1 and not made[0].exists()


def test_too_large_exports_are_refused(client, data, monkeypatch):
    monkeypatch.setattr(exports, "MAX_FEATURES", 150)
    r = client.get(f"/api/v1/layers/{data.points}/export", params={"format": "gpkg"})
    assert r.status_code == 422 and r.json()["code"] == "export_too_large"
    r = client.get(f"/api/v1/layers/{data.points}/export",
                   params={"format": "gpkg", "bbox": "107.5995,12.4395,107.6045,12.4415"})
    assert r.status_code == 200
