import math

import pytest
from pyproj import Transformer

from gis import tiles as tm
from gis.tiles import Tile, TileOutOfRange


@pytest.mark.parametrize("z, x, y", [(0, 0, 0), (12, 3272, 1905), (22, 2**22 - 1, 2**22 - 1)])
def test_tiles_inside_the_grid_are_accepted(z, x, y):
    assert tm.tile(z, x, y) == Tile(z, x, y)


@pytest.mark.parametrize("z, x, y", [(-1, 0, 0), (23, 0, 0), (0, 1, 0), (0, 0, 1), (3, 8, 0), (3, 0, -1),
                                     (12, 4096, 5)])
def test_tiles_outside_the_grid_are_refused_with_a_bilingual_message(z, x, y):
    with pytest.raises(TileOutOfRange) as err:
        tm.tile(z, x, y)
    assert err.value.code == "tile_out_of_range"
    assert " / " in err.value.message


def test_tile_bounds_follow_the_xyz_scheme_with_y_from_the_north():
    o = tm.ORIGIN
    assert tm.tile_bounds_3857(Tile(0, 0, 0)) == pytest.approx((-o, -o, o, o))
    assert tm.tile_bounds_3857(Tile(1, 1, 0)) == pytest.approx((0, 0, o, o))  # north-east quarter
    assert tm.tile_bounds_3857(Tile(1, 0, 1)) == pytest.approx((-o, -o, 0, 0))  # south-west quarter


def test_projection_matches_pyproj_web_mercator():
    to3857 = Transformer.from_crs(4326, 3857, always_xy=True)
    for lon, lat in [(107.615, 12.448), (-73.98, 40.75), (0.0, 0.0), (179.9, -60.0)]:
        assert tm.lonlat_to_3857(lon, lat) == pytest.approx(to3857.transform(lon, lat), abs=1e-3)


def test_lonlat_to_tile_finds_the_tile_of_dak_mil_town():
    # The densest zoom-12 tile of the peer benchmark (computed there with mercantile).
    assert tm.lonlat_to_tile(107.615, 12.448, 12) == Tile(12, 3272, 1905)
    t = tm.lonlat_to_tile(107.615, 12.448, 16)
    minx, miny, maxx, maxy = tm.tile_bounds_3857(t)
    x, y = tm.lonlat_to_3857(107.615, 12.448)
    assert minx <= x < maxx and miny < y <= maxy


def test_lonlat_to_tile_clamps_the_poles_and_the_antimeridian():
    assert tm.lonlat_to_tile(180.0, 89.9, 3) == Tile(3, 7, 0)
    assert tm.lonlat_to_tile(-180.0, -89.9, 3) == Tile(3, 0, 7)


def test_sizes_halve_with_each_zoom():
    assert tm.tile_size_m(0) == pytest.approx(2 * tm.ORIGIN)
    for z in range(0, 22):
        assert tm.tile_size_m(z + 1) == pytest.approx(tm.tile_size_m(z) / 2)
        assert tm.simplify_tolerance_m(z + 1) == pytest.approx(tm.simplify_tolerance_m(z) / 2)
    # one MVT unit at zoom 12 is about 2.4 m; the tolerance is a quarter of a screen pixel
    assert tm.unit_m(12) == pytest.approx(2.389, abs=1e-3)
    assert tm.simplify_tolerance_m(12) == pytest.approx(tm.unit_m(12) * 4)


def test_cluster_cells_are_the_tiles_five_zooms_deeper():
    assert tm.CLUSTER_GRID == 32
    assert tm.cluster_cell_m(10) == pytest.approx(tm.tile_size_m(10) / 32)
    assert tm.cluster_cell_m(10) == pytest.approx(tm.tile_size_m(15))


def test_zoom_to_fit_picks_the_largest_zoom_that_shows_the_whole_box():
    district = (107.45, 12.30, 107.80, 12.60)
    z = tm.zoom_to_fit(district, pixels=512)

    def pixels(zoom):
        minx, miny = tm.lonlat_to_3857(district[0], district[1])
        maxx, maxy = tm.lonlat_to_3857(district[2], district[3])
        return max(maxx - minx, maxy - miny) / tm.tile_size_m(zoom) * 256

    assert pixels(z) <= 512 < pixels(z + 1)


def test_zoom_to_fit_clamps_and_handles_a_single_point():
    assert tm.zoom_to_fit((107.6, 12.5, 107.6, 12.5), min_zoom=2, max_zoom=18) == 18
    assert tm.zoom_to_fit((-180, -85, 180, 85), min_zoom=3, max_zoom=18) == 3
    assert math.isclose(tm.zoom_to_fit((0, 0, 1e-9, 1e-9), max_zoom=22), 22)
