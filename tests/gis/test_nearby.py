import pytest
from pyproj import Geod

from gis.nearby import degree_margins


@pytest.mark.parametrize("lat", [0.0, 12.45, -45.0, 70.0, 89.9])
def test_degree_margins_cover_the_circle(lat):
    geod = Geod(ellps="WGS84")
    dlon, dlat = degree_margins(lat, 50)
    for azimuth in range(0, 360, 15):
        lon2, lat2, _ = geod.fwd(10.0, lat, azimuth, 50)
        assert abs(lon2 - 10.0) <= dlon and abs(lat2 - lat) <= dlat


def test_degree_margins_refuse_nonsense():
    with pytest.raises(ValueError):
        degree_margins(12.0, -1)
    with pytest.raises(ValueError):
        degree_margins(95.0, 50)
