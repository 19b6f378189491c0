"""What an operator draws: points, polygons (stored as MultiPolygon), refusals with reasons."""

import pytest
from shapely.geometry import MultiPolygon, Point

from layers.errors import InvalidInput
from layers.incidents import geometry
from tests.layers.incidents.helpers import TOWN, square

C_SHAPE = {
    "type": "Polygon",
    "coordinates": [[[0, 0], [3, 0], [3, 1], [1, 1], [1, 2], [3, 2], [3, 3], [0, 3], [0, 0]]],
}


def test_a_point_is_its_own_anchor():
    drawn = geometry.parse({"type": "Point", "coordinates": list(TOWN)})
    assert isinstance(drawn.geom, Point) and drawn.anchor == drawn.geom and drawn.area_km2 is None


def test_a_polygon_becomes_a_multipolygon_with_its_geodesic_area():
    drawn = geometry.parse(square(*TOWN, half=0.005))
    assert isinstance(drawn.geom, MultiPolygon) and drawn.is_area
    assert drawn.area_km2 == pytest.approx(1.2, rel=0.05)  # ~1.09 km × 1.09 km at 12.45° N
    assert drawn.geom.contains(drawn.anchor)


def test_the_anchor_of_a_c_shaped_area_lies_inside_it():
    scaled = {
        "type": "Polygon",
        "coordinates": [[[107.6 + x / 100, 12.4 + y / 100] for x, y in C_SHAPE["coordinates"][0]]],
    }
    drawn = geometry.parse(scaled)
    assert not drawn.geom.contains(drawn.geom.centroid)
    assert drawn.geom.contains(drawn.anchor)


def test_three_dimensional_coordinates_are_flattened():
    drawn = geometry.parse({"type": "Point", "coordinates": [*TOWN, 550.0]})
    assert not drawn.geom.has_z


@pytest.mark.parametrize(
    "geom, code",
    [
        (None, "bad_geometry"),
        ({"type": "GeometryCollection", "geometries": []}, "bad_geometry"),
        ({"type": "Polygon", "coordinates": []}, "empty_geometry"),
        ({"type": "Point", "coordinates": [200, 10]}, "bad_coordinates"),
        ({"type": "Point", "coordinates": [float("nan"), 10]}, "bad_coordinates"),
        (
            {"type": "Polygon", "coordinates": [[[107.6, 12.4], [107.7, 12.4], [107.6, 12.4]]]},
            "invalid_polygon",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[107.6, 12.4], [107.62, 12.42], [107.62, 12.4], [107.6, 12.42], [107.6, 12.4]]
                ],
            },
            "invalid_polygon",
        ),
    ],
)
def test_bad_geometries_are_refused_with_a_reason(geom, code):
    with pytest.raises(InvalidInput) as err:
        geometry.parse(geom)
    assert err.value.code == code


def test_too_many_vertices_are_refused():
    ring = [[107.6 + 0.01 * i / 30000, 12.4 + (i % 2) * 1e-4] for i in range(30000)]
    with pytest.raises(InvalidInput) as err:
        geometry.parse({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})
    assert err.value.code == "too_many_vertices"
