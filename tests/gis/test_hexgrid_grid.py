"""The grid helpers the analytics use: ids as strings, areas, neighbours, cells of an area."""

import h3
import pytest

from gis.hexgrid import (
    cell_area_km2,
    cell_to_str,
    geometry_to_cells,
    grid_neighbours,
    lonlat_to_cell,
    str_to_cell,
)

TOWN = (107.62237, 12.44957)


def test_cell_ids_round_trip_through_strings():
    cell = lonlat_to_cell(*TOWN, 8)
    assert cell_to_str(cell) == h3.latlng_to_cell(TOWN[1], TOWN[0], 8)
    assert str_to_cell(cell_to_str(cell)) == cell
    assert str_to_cell(cell_to_str(cell).upper()) == cell


@pytest.mark.parametrize("bad", ["", "zz", "8865a6b3ffffffff0", "not-a-cell", "0"])
def test_bad_cell_ids_are_refused(bad):
    with pytest.raises(ValueError):
        str_to_cell(bad)


def test_neighbours_are_the_six_cells_around_without_the_cell_itself():
    cell = lonlat_to_cell(*TOWN, 8)
    around = grid_neighbours(cell)
    assert len(around) == 6 and cell not in around
    assert all(h3.are_neighbor_cells(cell_to_str(cell), cell_to_str(n)) for n in around)


def test_area_is_in_square_kilometres():
    assert cell_area_km2(lonlat_to_cell(*TOWN, 8)) == pytest.approx(0.74, rel=0.2)


def test_cells_of_an_area_are_those_whose_centre_lies_inside_lon_lat_order():
    square = {"type": "Polygon", "coordinates": [[[107.60, 12.43], [107.64, 12.43], [107.64, 12.47],
                                                  [107.60, 12.47], [107.60, 12.43]]]}
    cells = geometry_to_cells(square, 9)
    assert lonlat_to_cell(*TOWN, 9) in cells
    assert len(cells) == pytest.approx(4.4 * 4.4 / 0.105, rel=0.15)  # ~4.4 km square / r9 cell area
