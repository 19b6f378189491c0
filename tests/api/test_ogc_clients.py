"""Real OGC API clients against a real server: OWSLib and GDAL's OAPIF driver (pyogrio).

The data is committed through its own session (the live server only sees committed
rows) and removed again at the end of the module.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pyogrio
import pytest
from owslib.ogcapi.features import Features
from sqlalchemy import delete

from layers.db import make_sessionmaker, session_scope
from layers.models import Layer
from tests.conftest import PASSWORD
from tests.layers.ogc_data import N_POINTS, OgcLayers, lonlat, make_layers, properties


@pytest.fixture(scope="module")
def committed(engine) -> Iterator[OgcLayers]:
    factory = make_sessionmaker(engine)
    with session_scope(factory) as s:
        names = make_layers(s)
    yield names
    with session_scope(factory) as s:
        s.execute(delete(Layer).where(Layer.slug.in_([names.points, names.hidden, names.empty])))


@pytest.fixture(scope="module")
def staff_token(live_server, committed_users) -> str:
    r = httpx.post(f"{live_server}/api/v1/auth/token",
                   data={"username": committed_users["planner"], "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


@pytest.fixture
def gdal_bearer(staff_token) -> Iterator[None]:
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": staff_token})
    yield
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})


# ---- OWSLib -----------------------------------------------------------------------------

def test_owslib_reads_landing_conformance_api_and_collections(live_server, committed):
    api = Features(f"{live_server}/ogc")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    definition = api.api()
    assert definition["openapi"].startswith("3.0")
    assert f"/collections/{committed.points}/items" in definition["paths"]
    ids = api.feature_collections()
    assert committed.points in ids and "communes" in ids
    assert committed.hidden not in ids
    collection = api.collection(committed.points)
    assert collection["title"] == "Trường học Đắk Mil"
    assert collection["extent"]["spatial"]["bbox"][0] == pytest.approx([107.6, 12.44, 107.619, 12.449])


def test_owslib_items_with_bbox_limit_datetime_and_single_item(live_server, committed):
    api = Features(f"{live_server}/ogc")
    page = api.collection_items(committed.points, limit=5, bbox=[107.5995, 12.4395, 107.6045, 12.4415])
    assert page["numberReturned"] == 5
    assert [f["id"] for f in page["features"]] == [1, 2, 3, 4, 5]
    assert any(link["rel"] == "next" for link in page["links"])
    timed = api.collection_items(committed.points, datetime_="2024-01-05T00:00:00Z/2024-01-06T23:59:59Z")
    assert [f["id"] for f in timed["features"]] == [5, 6]
    feature = api.collection_item(committed.points, "43")
    assert feature["properties"]["ten"] == "Trường Nguyễn Du số 42"
    assert feature["geometry"]["coordinates"] == list(lonlat(42))
    queryables = api.collection_queryables(committed.points)
    assert queryables["properties"]["so_hoc_sinh"]["type"] == "integer"


def test_owslib_property_filter_and_cql2(live_server, committed):
    api = Features(f"{live_server}/ogc")
    page = api.collection_items(committed.points, limit=100, loai="Mầm non")
    assert page["numberReturned"] == 50
    assert {f["properties"]["loai"] for f in page["features"]} == {"Mầm non"}
    page = api.collection_items(committed.points, filter="so_hoc_sinh BETWEEN 120 AND 122",
                                **{"filter-lang": "cql2-text"})
    assert [f["properties"]["so_hoc_sinh"] for f in page["features"]] == [120, 121, 122]


def test_owslib_gets_an_error_for_unknown_parameters(live_server, committed):
    api = Features(f"{live_server}/ogc")
    with pytest.raises(RuntimeError, match="unknown_parameter"):
        api.collection_items(committed.points, colour="red")


def test_owslib_sees_internal_layers_only_with_a_staff_token(live_server, committed, staff_token):
    assert committed.hidden not in Features(f"{live_server}/ogc").feature_collections()
    staff = Features(f"{live_server}/ogc", headers={"Authorization": f"Bearer {staff_token}"})
    assert committed.hidden in staff.feature_collections()
    assert staff.collection_items(committed.hidden)["numberReturned"] == 5


# ---- GDAL (OAPIF driver through pyogrio) ------------------------------------------------

def test_gdal_lists_public_layers_only(live_server, committed):
    names = {name for name, _ in pyogrio.list_layers(f"OAPIF:{live_server}/ogc")}
    assert {committed.points, committed.empty, "communes", "district"} <= names
    assert committed.hidden not in names


def test_gdal_reads_every_feature_with_vietnamese_attributes_and_positions(live_server, committed):
    frame = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer=committed.points)
    assert len(frame) == N_POINTS
    frame = frame.sort_values("so_hoc_sinh").reset_index(drop=True)
    for i in (0, 7, 42, 199):
        row = frame.iloc[i]
        expected = properties(i)
        assert row["ten"] == expected["ten"]
        assert row["loai"] == expected["loai"]
        assert row["so_hoc_sinh"] == expected["so_hoc_sinh"]
        assert row["dien_tich"] == pytest.approx(expected["dien_tich"])
        assert (row.geometry.x, row.geometry.y) == pytest.approx(lonlat(i), abs=1e-7)
    assert frame.iloc[7]["ghi_chu"] == "<script>alert('x')</script>"
    assert "Đắk Mil ghi chú 11" in set(frame["ghi_chu"])
    assert frame.crs.to_epsg() == 4326


def test_gdal_bbox_filter_returns_only_features_inside(live_server, committed):
    frame = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer=committed.points,
                                   bbox=(107.6095, 12.4425, 107.6125, 12.4445))
    # columns 10..12, rows 3..4
    expected = sorted(r * 20 + c + 100 for r in (3, 4) for c in (10, 11, 12))
    assert sorted(frame["so_hoc_sinh"]) == expected


@pytest.mark.parametrize("where, expected", [
    ("loai = 'Trung học phổ thông' AND so_hoc_sinh < 120", [103, 107, 111, 115, 119]),
    ("ten LIKE 'Trường Nguyễn Du số 19_' OR so_hoc_sinh = 100", [100, 290, 291, 292, 293, 294, 295, 296,
                                                                 297, 298, 299]),
    ("NOT (cong_lap = 1) AND so_hoc_sinh <= 105", [101, 103, 105]),
    ("ghi_chu IS NULL AND so_hoc_sinh < 140", [100, 110, 120, 130]),
    ("ngay >= '2024/07/17 00:00:00'", [298, 299]),
])
def test_gdal_attribute_filter(live_server, committed, where, expected):
    frame = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer=committed.points, where=where)
    assert sorted(frame["so_hoc_sinh"]) == expected


def test_gdal_reads_polygons_of_the_default_layers(live_server, committed):
    frame = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer="communes")
    assert len(frame) == 10
    assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}
    assert frame.total_bounds == pytest.approx([107.5, 12.3, 107.9, 12.7], abs=0.2)


def test_gdal_reads_an_empty_layer(live_server, committed):
    info = pyogrio.read_info(f"OAPIF:{live_server}/ogc", layer=committed.empty)
    assert info["features"] in (0, -1)
    assert len(pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer=committed.empty)) == 0


def test_gdal_with_a_staff_token_sees_the_internal_layer(live_server, committed, gdal_bearer):
    names = {name for name, _ in pyogrio.list_layers(f"OAPIF:{live_server}/ogc")}
    assert committed.hidden in names
    frame = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer=committed.hidden)
    assert sorted(frame["ten"]) == [f"Bí mật {i}" for i in range(5)]
