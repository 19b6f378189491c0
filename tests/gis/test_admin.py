import unicodedata

import pytest
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from gis.admin import as_multipolygon, dissolve, geodesic_area_km2, group_keys, nfc, union_by_key


def test_nfc_composes_vietnamese_marks():
    decomposed = unicodedata.normalize("NFD", "Đắk Mil")
    assert decomposed != "Đắk Mil"
    assert nfc(decomposed) == "Đắk Mil"
    assert nfc(None) is None


def test_geodesic_area_of_a_one_degree_cell_at_the_equator():
    # 1° x 1° at the equator on WGS84: 12,308.8 km² (analytic ellipsoidal value)
    assert geodesic_area_km2(box(0, 0, 1, 1)) == pytest.approx(12308.8, rel=1e-3)


def test_union_by_key_dissolves_shared_borders():
    a, b, c = box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)
    out = union_by_key([a, b, c], ["x", "x", "y"])
    assert out["x"].equals(MultiPolygon([box(0, 0, 2, 1)]))
    assert len(out["y"].geoms) == 1


def test_dissolve_and_multipolygon_normalisation():
    assert isinstance(dissolve([box(0, 0, 1, 1)]), MultiPolygon)
    assert isinstance(as_multipolygon(Polygon([(0, 0), (1, 0), (1, 1)])), MultiPolygon)
    with pytest.raises(ValueError):
        as_multipolygon(LineString([(0, 0), (1, 1)]))


def test_group_keys_inverts_a_succession_mapping():
    assert group_keys({"b": "n1", "a": "n1", "c": "n2"}) == {"n1": ["a", "b"], "n2": ["c"]}
