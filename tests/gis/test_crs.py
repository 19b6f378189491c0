"""VN-2000 CRSs: checked against independent maths, EPSG data and published coordinates."""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np
import pytest
from pyproj import CRS, Geod, Transformer
from pyproj.crs import CoordinateOperation
from pyproj.database import query_crs_info

from gis.crs import (
    EPSG_TM3,
    PROVINCE_CENTRAL_MERIDIANS,
    VN2000_HELMERT,
    VN2000_TOWGS84,
    central_meridian_for,
    from_wgs84,
    resolve_crs,
    to_wgs84,
    transformer_to_wgs84,
    vn2000_tm3,
)
from gis.errors import GisError, UnknownCRS

A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)
ARCSEC = math.pi / 648000
GEOD = Geod(ellps="WGS84")
DAK_MIL = (107.6, 12.45)  # lon, lat — centre of the district, roughly


def dms(d: int, m: int, s: float) -> float:
    return d + m / 60 + s / 3600


def source_of(crs: CRS) -> CRS:
    assert crs.source_crs is not None
    return crs.source_crs


def metres_apart(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


# --- an independent implementation of the official shift (EPSG Guidance Note 7-2) ---------


def geodetic_to_ecef(lon: float, lat: float) -> np.ndarray:
    lam, phi = math.radians(lon), math.radians(lat)
    n = A / math.sqrt(1 - E2 * math.sin(phi) ** 2)
    return np.array(
        [
            n * math.cos(phi) * math.cos(lam),
            n * math.cos(phi) * math.sin(lam),
            n * (1 - E2) * math.sin(phi),
        ]
    )


def ecef_to_geodetic(xyz: np.ndarray) -> tuple[float, float]:
    x, y, z = xyz
    p = math.hypot(x, y)
    phi = math.atan2(z, p * (1 - E2))
    for _ in range(10):
        n = A / math.sqrt(1 - E2 * math.sin(phi) ** 2)
        h = p / math.cos(phi) - n
        phi = math.atan2(z, p * (1 - E2 * n / (n + h)))
    return math.degrees(math.atan2(y, x)), math.degrees(phi)


def coordinate_frame_vn2000_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """7-parameter Coordinate Frame rotation (EPSG method 9607), written out by hand."""
    tx, ty, tz, rx, ry, rz, ds = VN2000_HELMERT
    rx, ry, rz = rx * ARCSEC, ry * ARCSEC, rz * ARCSEC
    rot = np.array([[1, rz, -ry], [-rz, 1, rx], [ry, -rx, 1]])
    out = (1 + ds * 1e-6) * rot @ geodetic_to_ecef(lon, lat) + np.array([tx, ty, tz])
    return ecef_to_geodetic(out)


# --- the official parameters ---------------------------------------------------------------


def test_parameters_match_epsg_6960() -> None:
    epsg = CoordinateOperation.from_epsg(6960)
    assert epsg.method_name == "Coordinate Frame rotation (geog2D domain)"
    assert [p.value for p in epsg.params] == list(VN2000_HELMERT)


def test_towgs84_string_is_position_vector_form() -> None:
    values = [float(v) for v in VN2000_TOWGS84.removeprefix("+towgs84=").split(",")]
    tx, ty, tz, rx, ry, rz, ds = VN2000_HELMERT
    assert values == [tx, ty, tz, -rx, -ry, -rz, ds]
    # A PROJ string with it transforms exactly like our bound CRS ...
    pv = CRS.from_proj4(f"+proj=longlat +ellps=WGS84 {VN2000_TOWGS84} +no_defs")
    ours = to_wgs84([DAK_MIL[0]], [DAK_MIL[1]], "VN2000")
    theirs = Transformer.from_crs(pv, 4326, always_xy=True).transform(*DAK_MIL)
    assert metres_apart(ours[0][0], ours[1][0], *theirs) < 1e-3
    # ... while pasting the Coordinate Frame signs into +towgs84 is ~0.6 m off.
    naive = CRS.from_proj4(
        "+proj=longlat +ellps=WGS84 +towgs84=" + ",".join(map(str, VN2000_HELMERT))
    )
    wrong = Transformer.from_crs(naive, 4326, always_xy=True).transform(*DAK_MIL)
    assert 0.3 < metres_apart(ours[0][0], ours[1][0], *wrong) < 1.0


@pytest.mark.parametrize("lon,lat", [DAK_MIL, (105.85, 21.03), (106.7, 10.78), (104.0, 22.5)])
def test_vn2000_to_wgs84_matches_hand_written_helmert(lon: float, lat: float) -> None:
    lons, lats = to_wgs84(np.array([lon]), np.array([lat]), "VN2000")
    exp_lon, exp_lat = coordinate_frame_vn2000_to_wgs84(lon, lat)
    assert metres_apart(lons[0], lats[0], exp_lon, exp_lat) < 1e-3


def test_datum_shift_at_dak_mil_is_about_225_m() -> None:
    # Same ellipsoid, different datum: the ~225 m geocentric translation dominates, and a
    # place's WGS 84 coordinates lie east and south of its VN-2000 ones.
    lons, lats = to_wgs84([DAK_MIL[0]], [DAK_MIL[1]], 4756)
    assert 200 < metres_apart(DAK_MIL[0], DAK_MIL[1], lons[0], lats[0]) < 250
    assert (lons[0] - DAK_MIL[0]) * 3600 == pytest.approx(6.4, abs=0.3)  # ~ +195 m east
    assert (lats[0] - DAK_MIL[1]) * 3600 == pytest.approx(-3.7, abs=0.3)  # ~ -113 m south


# Pairs published by the Ministry of Transport for seaport water limits, both in WGS-84 and
# VN-2000 geographic, rounded to 0.1″: Thông tư 20/2019/TT-BGTVT (Khánh Hòa: VP1, NT1, C1)
# and Thông tư 37/2019/TT-BGTVT (Quảng Ngãi, Lý Sơn: LS1). (wgs lat, wgs lon, vn lat, vn lon)
PUBLISHED = [
    ((12, 33, 36.0), (109, 26, 0.0), (12, 33, 39.7), (109, 25, 53.6)),
    ((12, 14, 14.0), (109, 16, 0.0), (12, 14, 17.7), (109, 15, 53.6)),
    ((11, 58, 8.8), (109, 12, 24.9), (11, 58, 12.5), (109, 12, 18.4)),
    ((15, 22, 29.0), (109, 6, 7.0), (15, 22, 32.7), (109, 6, 0.5)),
]


def test_published_vn2000_wgs84_pairs() -> None:
    wgs_lat = np.array([dms(*p[0]) for p in PUBLISHED])
    wgs_lon = np.array([dms(*p[1]) for p in PUBLISHED])
    vn_lat = np.array([dms(*p[2]) for p in PUBLISHED])
    vn_lon = np.array([dms(*p[3]) for p in PUBLISHED])
    lons, lats = to_wgs84(vn_lon, vn_lat, "VN2000")
    np.testing.assert_allclose(lons * 3600, wgs_lon * 3600, atol=0.1)
    np.testing.assert_allclose(lats * 3600, wgs_lat * 3600, atol=0.1)
    back_lon, back_lat = from_wgs84(wgs_lon, wgs_lat, "VN2000")
    np.testing.assert_allclose(back_lon * 3600, vn_lon * 3600, atol=0.1)
    np.testing.assert_allclose(back_lat * 3600, vn_lat * 3600, atol=0.1)


# --- projections -----------------------------------------------------------------------------


def meridian_arc(lat_deg: float) -> float:
    phi = np.linspace(0.0, math.radians(lat_deg), 200_001)
    m = A * (1 - E2) / (1 - E2 * np.sin(phi) ** 2) ** 1.5
    return float(np.trapezoid(m, phi))


@pytest.mark.parametrize("lat", [8.5, 12.45, 23.0])
def test_tm3_on_central_meridian(lat: float) -> None:
    geo_to_tm3 = Transformer.from_crs(resolve_crs("VN2000"), vn2000_tm3(108.5), always_xy=True)
    e, n = geo_to_tm3.transform(108.5, lat)
    assert e == pytest.approx(500000.0, abs=1e-6)
    assert n == pytest.approx(0.9999 * meridian_arc(lat), abs=1e-3)


def test_tm3_from_epsg_and_custom_meridian() -> None:
    assert source_of(vn2000_tm3(108.5)).to_epsg() == 9218
    custom = vn2000_tm3(107.6)  # not in EPSG: built from parameters
    assert custom.is_bound
    proj = source_of(custom).to_json_dict()["conversion"]["parameters"]
    values = {p["name"]: p["value"] for p in proj}
    assert values["Longitude of natural origin"] == 107.6
    assert values["Scale factor at natural origin"] == 0.9999
    assert values["False easting"] == 500000
    e, _ = Transformer.from_crs(resolve_crs("VN2000"), custom, always_xy=True).transform(
        107.6, 12.0
    )
    assert e == pytest.approx(500000.0, abs=1e-6)


@pytest.mark.parametrize(
    "crs", ["VN2000", "VN2000-UTM48", "VN2000-UTM49", "VN2000-TM3-108.5", 9210]
)
def test_round_trip_under_a_millimetre(crs: str | int) -> None:
    lon, lat = np.meshgrid(np.linspace(107.3, 107.9, 7), np.linspace(12.2, 12.7, 6))
    x, y = from_wgs84(lon, lat, crs)
    assert x.shape == lon.shape
    lon2, lat2 = to_wgs84(x, y, crs)
    assert metres_apart(lon.ravel(), lat.ravel(), lon2.ravel(), lat2.ravel()).max() < 1e-3


def test_utm48_and_utm49_agree() -> None:
    lon, lat = np.array([107.6, 108.0, 108.4]), np.array([12.45, 12.0, 13.0])
    x48, y48 = from_wgs84(lon, lat, "VN2000-UTM48")
    x49, y49 = from_wgs84(lon, lat, "VN2000-UTM49")
    assert (x48 > 500000).all() and (x49 < 500000).all()  # east of 105°E, west of 111°E
    l48, b48 = to_wgs84(x48, y48, "VN2000-UTM48")
    l49, b49 = to_wgs84(x49, y49, "VN2000-UTM49")
    assert metres_apart(l48, b48, l49, b49).max() < 1e-3
    # VN-2000 / UTM is not WGS 84 / UTM: same projection, shifted datum (~225 m).
    wx, wy = Transformer.from_crs(4326, 32648, always_xy=True).transform(lon, lat)
    assert 200 < np.hypot(wx - x48, wy - y48).min() < 250


# --- resolving user and file input -----------------------------------------------------------

ESRI_PRJ = (
    'PROJCS["VN_2000_TM3_108_30",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",'
    'SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",108.5],PARAMETER["Scale_Factor",0.9999],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)


def test_prj_without_towgs84_gets_the_official_shift() -> None:
    crs = resolve_crs(ESRI_PRJ)
    assert crs.is_bound
    e, n = 430000.0, 1380000.0
    got = to_wgs84([e], [n], crs)
    expected = to_wgs84([e], [n], "VN2000-TM3-108.5")
    assert metres_apart(got[0][0], got[1][0], expected[0][0], expected[1][0]) < 1e-3


GDAL_PRJ = (
    'PROJCS["VN-2000 / TM-3 108-30",GEOGCS["VN-2000",DATUM["Vietnam_2000",'
    'SPHEROID["WGS 84",6378137,298.257223563],TOWGS84[{}]],PRIMEM["Greenwich",0],'
    'UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",108.5],'
    'PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],'
    'PARAMETER["false_northing",0],UNIT["metre",1]]'
)


@pytest.mark.parametrize(
    "towgs84,kept", [("0,0,0,0,0,0,0", False), ("-192.873,-39.382,-111.202,0,0,0,0", True)]
)
def test_prj_with_towgs84(towgs84: str, kept: bool) -> None:
    """An explicit non-zero TOWGS84 is respected; an all-zero one counts as missing."""
    crs = resolve_crs(GDAL_PRJ.format(towgs84))
    assert crs.is_bound
    assert crs.coordinate_operation is not None
    params = [p.value for p in crs.coordinate_operation.params]
    if kept:
        assert params[:3] == [-192.873, -39.382, -111.202]
    else:
        assert params == list(VN2000_HELMERT)


def test_plain_epsg_vn2000_codes_are_bound() -> None:
    for value in (4756, "EPSG:3405", "epsg:3406", "EPSG:9218", CRS.from_epsg(5899)):
        crs = resolve_crs(value)
        assert crs.is_bound, value
        assert "VN-2000 to WGS 84" in transformer_to_wgs84(crs).description


def test_aliases() -> None:
    assert resolve_crs("VN2000-TM3-108-30") == resolve_crs("VN2000-TM3-108.5")
    assert source_of(resolve_crs("vn-2000 / tm-3 107-45")).to_epsg() == 5899
    assert source_of(resolve_crs("VN2000-UTM48")).to_epsg() == 3405
    assert source_of(resolve_crs("VN-2000 / UTM zone 49N")).to_epsg() == 3406
    assert source_of(resolve_crs("VN2000")).to_epsg() == 4756
    assert resolve_crs("EPSG:4326") == CRS.from_epsg(4326)
    assert resolve_crs(4326) == CRS.from_epsg(4326)
    assert resolve_crs("32648").to_epsg() == 32648


@pytest.mark.parametrize(
    "value",
    ["garbage", "", "   ", None, True, "EPSG:999999", "VN2000-TM3-108-75", "+proj=nothing", 3.5],
)
def test_garbage_raises_unknown_crs(value: object) -> None:
    with pytest.raises(UnknownCRS) as info:
        resolve_crs(value)  # type: ignore[arg-type]
    assert isinstance(info.value, GisError)
    assert info.value.code == "unknown_crs"
    assert "Không nhận ra hệ tọa độ" in info.value.message
    assert "Unknown coordinate reference system" in info.value.message


def test_to_wgs84_is_vectorised_and_checks_shapes() -> None:
    xs = np.full((3, 4), 430000.0)
    ys = np.linspace(1370000, 1390000, 12).reshape(3, 4)
    lons, lats = to_wgs84(xs, ys, "VN2000-TM3-108.5")
    assert lons.shape == lats.shape == (3, 4)
    assert lons.dtype == np.float64
    assert np.all((lons > 107.8) & (lons < 108.0)) and np.all((lats > 12.3) & (lats < 12.6))
    with pytest.raises(ValueError):
        to_wgs84([1.0, 2.0], [1.0], "VN2000")


def test_transformer_is_cached() -> None:
    assert transformer_to_wgs84("VN2000-TM3-108.5") is transformer_to_wgs84("VN2000-TM3-108-30")
    assert transformer_to_wgs84(4326) is transformer_to_wgs84("EPSG:4326")


# --- provincial central meridians ------------------------------------------------------------


def ascii_key(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return re.sub(r"[^a-z]", "", text.lower())


def test_province_table_values() -> None:
    assert len(PROVINCE_CENTRAL_MERIDIANS) == 63
    assert PROVINCE_CENTRAL_MERIDIANS["Đắk Nông"] == 108.5
    assert PROVINCE_CENTRAL_MERIDIANS["Đắk Lắk"] == 108.5
    assert PROVINCE_CENTRAL_MERIDIANS["Lâm Đồng"] == 107.75
    assert PROVINCE_CENTRAL_MERIDIANS["Hà Nội"] == 105.0
    assert PROVINCE_CENTRAL_MERIDIANS["Hồ Chí Minh"] == 105.75
    assert central_meridian_for("Tỉnh Đắc Nông") == 108.5
    assert central_meridian_for("TP. Hồ Chí Minh") == 105.75
    assert central_meridian_for("thanh pho ha noi") == 105.0
    with pytest.raises(UnknownCRS):
        central_meridian_for("Atlantis")


def test_province_table_agrees_with_epsg_areas_of_use() -> None:
    """Each province must be named in the area of use of EPSG's TM-3 CRS for its meridian."""
    areas: dict[str, str] = {}
    for info in query_crs_info(auth_name="EPSG"):
        if info.area_of_use is not None:
            areas[info.code] = areas.get(info.code, "") + ascii_key(info.area_of_use.name or "")
    for province, cm in PROVINCE_CENTRAL_MERIDIANS.items():
        code = str(EPSG_TM3[cm])
        assert ascii_key(province) in areas[code], (province, cm, code)
