"""Geometry validation: every repaired or rejected row is named by its row number."""

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from gis.geometry import GeometryError, clean_geometries, crs_candidates, outside_vietnam

SQUARE = Polygon([(107.6, 12.4), (107.7, 12.4), (107.7, 12.5), (107.6, 12.5)])
BOW_TIE = Polygon([(107.6, 12.4), (107.7, 12.5), (107.7, 12.4), (107.6, 12.5)])


def codes(result):
    return {(r.row, r.code) for r in result.rejected}


def test_bow_tie_is_repaired_and_reported_with_its_row():
    result = clean_geometries([SQUARE, BOW_TIE])
    assert [r.row for r in result.repaired] == [2]
    assert "Self-intersection" in result.repaired[0].message
    fixed = result.geometries[1]
    assert fixed.is_valid
    # two triangles of 0.0025 deg² each: make_valid keeps both halves
    assert fixed.area == pytest.approx(0.005)
    assert result.geometry_type == "MultiPolygon"  # the repair made a multi, so all are promoted
    assert result.promoted_to_multi == 1


def test_empty_null_and_out_of_range_are_rejected_with_row_numbers():
    result = clean_geometries([Point(107.6, 12.4), Point(), None, Point(181, 12), Point(107, 95)])
    assert codes(result) == {(2, "empty_geometry"), (3, "null_geometry"), (4, "out_of_range"),
                             (5, "out_of_range")}
    assert result.kept.tolist() == [0]
    assert result.geometry_type == "Point"


def test_row_numbers_can_be_given_explicitly():
    result = clean_geometries([Point(1, 1), None], rows=[10, 12])
    assert codes(result) == {(12, "null_geometry")}


def test_unreadable_geometry_is_distinguished_from_a_missing_one():
    result = clean_geometries([None, None], unreadable=[True, False])
    assert codes(result) == {(1, "unreadable_geometry"), (2, "null_geometry")}
    assert result.geometry_type is None


def test_z_and_m_are_dropped_and_counted():
    z = shapely.from_wkt("POINT Z (107.6 12.4 530)")
    m = shapely.from_wkt("POINT M (107.6 12.4 7)")
    result = clean_geometries([z, m, Point(107.7, 12.5)])
    assert (result.dropped_z, result.dropped_m) == (1, 1)
    assert not shapely.has_z(result.geometries).any()
    assert shapely.to_wkt(result.geometries[0]) == "POINT (107.6 12.4)"


def test_singles_are_promoted_when_any_row_is_multi():
    multi = MultiPolygon([SQUARE, Polygon([(108, 12), (108.1, 12), (108.1, 12.1)])])
    result = clean_geometries([SQUARE, multi, SQUARE])
    assert result.geometry_type == "MultiPolygon"
    assert result.promoted_to_multi == 2
    assert {g.geom_type for g in result.geometries} == {"MultiPolygon"}


def test_single_types_stay_single():
    result = clean_geometries([LineString([(107, 12), (107.1, 12.1)])] * 3)
    assert result.geometry_type == "LineString"
    assert result.promoted_to_multi == 0


def test_mixed_families_are_refused_with_counts_and_rows():
    with pytest.raises(GeometryError) as err:
        clean_geometries([Point(107, 12), SQUARE, Point(107.1, 12), LineString([(107, 12), (108, 13)])])
    assert err.value.code == "mixed_geometry_types"
    assert err.value.extra["counts"] == {"point": 2, "polygon": 1, "line": 1}
    assert err.value.extra["first_rows"]["polygon"] == [2]


def test_keep_a_family_rejects_the_others_by_row():
    result = clean_geometries([Point(107, 12), SQUARE, Point(107.1, 12)], keep="point")
    assert codes(result) == {(2, "other_geometry_type")}
    assert result.geometry_type == "Point"


def test_unknown_family_is_an_error():
    with pytest.raises(GeometryError) as err:
        clean_geometries([Point(1, 1)], keep="circle")
    assert err.value.code == "bad_geometry_family"


def test_collection_of_one_family_becomes_multi_and_mixed_collection_is_rejected():
    same = shapely.from_wkt("GEOMETRYCOLLECTION (POINT (107 12), POINT (107.1 12.1))")
    mixed = shapely.from_wkt("GEOMETRYCOLLECTION (POINT (107 12), LINESTRING (107 12, 108 13))")
    result = clean_geometries([Point(107.2, 12.2), same, mixed])
    assert codes(result) == {(3, "mixed_collection")}
    assert result.geometry_type == "MultiPoint"
    assert result.geometries[1].geom_type == "MultiPoint"


def test_unrepairable_polygon_is_rejected():
    flat = Polygon([(107, 12), (107.1, 12), (107.2, 12)])  # collapses to a line
    result = clean_geometries([SQUARE, flat])
    assert codes(result) == {(2, "invalid_geometry")}


def test_vn2000_tm3_coordinates_are_transformed_and_checked():
    # An independent forward TM-3 108°30' (Đắk Nông) projection with the official shift
    # written out as a PROJ pipeline: WGS 84 → VN-2000 → TM-3.
    forward = Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        "+step +proj=push +v_3 +step +proj=cart +ellps=WGS84 "
        "+step +inv +proj=helmert +x=-191.90441429 +y=-39.30318279 +z=-111.45032835 "
        "+rx=-0.00928836 +ry=0.01975479 +rz=-0.00427372 +s=0.252906278 +convention=coordinate_frame "
        "+step +inv +proj=cart +ellps=WGS84 +step +proj=pop +v_3 "
        "+step +proj=tmerc +lat_0=0 +lon_0=108.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84")
    x, y = forward.transform(107.6, 12.45)
    result = clean_geometries([Point(x, y), Point(5e7, 5e7)], crs="VN2000-TM3-108.5")
    got = result.geometries[0]
    assert got.x == pytest.approx(107.6, abs=1e-5)  # ~1 m
    assert got.y == pytest.approx(12.45, abs=1e-5)
    assert codes(result) == {(2, "out_of_range")}


def test_crs_candidates_and_vietnam_extent():
    assert crs_candidates([107.5, 12.3, 107.8, 12.6])[0] == "EPSG:4326"
    assert crs_candidates([400_000, 1_370_000, 420_000, 1_390_000])[0] == "VN2000-TM3-108.5"
    assert crs_candidates([-1e9, 0, 1e9, 1]) == []
    assert not outside_vietnam([107.5, 12.3, 107.8, 12.6])
    assert outside_vietnam([2.3, 48.8, 2.4, 48.9])


def test_hundred_thousand_points_are_all_kept():
    """Correctness at scale; the speed is bench/import_bench.py's business."""
    rng = np.random.default_rng(1)
    pts = shapely.points(rng.uniform(107.5, 107.9, 100_000), rng.uniform(12.3, 12.7, 100_000))
    result = clean_geometries(pts, crs="VN2000")
    assert len(result.kept) == 100_000
