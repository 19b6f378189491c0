import math

import h3
import pytest

from gis.hexgrid import (
    RESOLUTIONS,
    cell_boundary_lonlat,
    cell_resolution,
    cell_to_lonlat,
    lonlat_to_cell,
    lonlat_to_cells,
)

TOWN = (107.62237, 12.44957)


def test_cells_take_lon_lat_and_match_h3_lat_lng():
    cells = lonlat_to_cells(*TOWN)
    assert sorted(cells) == list(RESOLUTIONS) == [5, 6, 7, 8, 9, 10]
    for res, cell in cells.items():
        assert h3.int_to_str(cell) == h3.latlng_to_cell(TOWN[1], TOWN[0], res)
        assert cell_resolution(cell) == res
        assert 0 < cell < 2**63  # fits a signed BIGINT
    assert lonlat_to_cell(*TOWN, 9) == cells[9]


def test_cell_centre_and_outline_are_lon_lat():
    cell = lonlat_to_cell(*TOWN, 10)
    lon, lat = cell_to_lonlat(cell)
    assert abs(lon - TOWN[0]) < 0.001 and abs(lat - TOWN[1]) < 0.001
    ring = cell_boundary_lonlat(cell)
    assert ring[0] == ring[-1] and len(ring) == 7
    assert all(107 < x < 108 and 12 < y < 13 for x, y in ring)


@pytest.mark.parametrize("lon, lat", [(181, 0), (0, 91), (math.nan, 0), (0, math.inf)])
def test_bad_coordinates_are_refused(lon, lat):
    with pytest.raises(ValueError):
        lonlat_to_cells(lon, lat)
