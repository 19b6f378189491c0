"""VN-2000 coordinate reference systems, always tied to WGS 84 by the official shift.

Why this module exists: almost every official Vietnamese dataset (cadastre, land-use
plans, the Đắk Nông provincial shapefiles) is in VN-2000 — geographic, UTM, or the
provincial 3-degree Transverse Mercator "TM-3". VN-2000 uses the WGS 84 ellipsoid but
not the WGS 84 datum: the two differ by about 200–230 m on the ground. EPSG's
definitions (and most .prj files) carry no datum shift, so depending on the tool a
transform silently applies a *null* shift. Here every VN-2000 CRS is returned as a PROJ
BoundCRS carrying the official 7-parameter transformation, so the shift always applies.

Sources (read, not copied):

* 7 parameters — Quyết định 05/2007/QĐ-BTNMT (Bộ Tài nguyên và Môi trường, 27/02/2007):
  ΔX=-191.90441429 m, ΔY=-39.30318279 m, ΔZ=-111.45032835 m, ω=-0.00928836″,
  ψ=0.01975479″, ε=-0.00427372″, k=1.000000252906278. EPSG registers the same numbers as
  EPSG:6960 "VN-2000 to WGS 84 (2)" with method *Coordinate Frame rotation* (EPSG:9607).
  Beware: PROJ ``+towgs84`` and WKT1 ``TOWGS84`` use the *Position Vector* convention,
  so there the three rotations carry the opposite sign (:data:`VN2000_TOWGS84`).
  Pasting the EPSG/QĐ signs into ``+towgs84`` (common on the web) errs by ~0.6 m.
* Central meridians — Thông tư 973/2001/TT-TCĐC (Tổng cục Địa chính, 20/6/2001), as
  carried by EPSG's "VN-2000 / TM-3" CRSs 5896–5899 and 9205–9218 (whose areas of use
  name the provinces) and by published provincial tables. Keyed by the 63 provinces of
  2001–2025, because legacy data is: Đắk Mil data is on Đắk Nông's 108°30′.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer
from pyproj.crs import BoundCRS, CoordinateOperation, ProjectedCRS
from pyproj.crs.coordinate_operation import TransverseMercatorConversion
from pyproj.enums import TransformDirection
from pyproj.exceptions import CRSError

from gis.errors import UnknownCRS

CRSLike: TypeAlias = str | int | CRS | None
FloatArray: TypeAlias = npt.NDArray[np.float64]

WGS84: Final = CRS.from_epsg(4326)
EPSG_VN2000: Final = 4756
EPSG_VN2000_UTM48N: Final = 3405
EPSG_VN2000_UTM49N: Final = 3406

#: (tx, ty, tz [m], rx, ry, rz [arc-second], ds [ppm]), Coordinate Frame convention.
VN2000_HELMERT: Final = (
    -191.90441429, -39.30318279, -111.45032835,
    -0.00928836, 0.01975479, -0.00427372, 0.252906278,
)  # fmt: skip
#: The same shift written for PROJ strings (Position Vector: rotations negated).
VN2000_TOWGS84: Final = "+towgs84=" + ",".join(
    repr(v) for v in (*VN2000_HELMERT[:3], *(-r for r in VN2000_HELMERT[3:6]), VN2000_HELMERT[6])
)

#: EPSG code of the TM-3 CRS for each central meridian EPSG defines (k=0.9999, FE=500 km).
EPSG_TM3: Final[dict[float, int]] = {
    102.0: 5896, 103.0: 9205, 104.0: 9206, 104.5: 9207, 104.75: 9208, 105.0: 5897,
    105.5: 9209, 105.75: 9210, 106.0: 9211, 106.25: 9212, 106.5: 9213, 107.0: 9214,
    107.25: 9215, 107.5: 9216, 107.75: 5899, 108.0: 5898, 108.25: 9217, 108.5: 9218,
}  # fmt: skip

_PROVINCES_BY_MERIDIAN: Final[dict[float, tuple[str, ...]]] = {
    103.0: ("Lai Châu", "Điện Biên"),
    104.0: ("Sơn La",),
    104.5: ("Kiên Giang", "Cà Mau"),
    104.75: ("Lào Cai", "Yên Bái", "Phú Thọ", "Nghệ An", "An Giang"),
    105.0: ("Hà Nội", "Vĩnh Phúc", "Hà Nam", "Ninh Bình", "Thanh Hóa", "Đồng Tháp",
            "Cần Thơ", "Hậu Giang", "Bạc Liêu"),
    105.5: ("Hà Giang", "Bắc Ninh", "Hải Dương", "Hưng Yên", "Nam Định", "Thái Bình",
            "Hà Tĩnh", "Tây Ninh", "Vĩnh Long", "Trà Vinh", "Sóc Trăng"),
    105.75: ("Cao Bằng", "Hải Phòng", "Bình Dương", "Long An", "Tiền Giang", "Bến Tre",
             "Hồ Chí Minh"),
    106.0: ("Tuyên Quang", "Hòa Bình", "Quảng Bình"),
    106.25: ("Quảng Trị", "Bình Phước"),
    106.5: ("Bắc Kạn", "Thái Nguyên"),
    107.0: ("Bắc Giang", "Thừa Thiên Huế"),
    107.25: ("Lạng Sơn",),
    107.5: ("Kon Tum",),
    107.75: ("Quảng Ninh", "Đà Nẵng", "Quảng Nam", "Đồng Nai", "Bà Rịa - Vũng Tàu",
             "Lâm Đồng"),
    108.0: ("Quảng Ngãi",),
    108.25: ("Bình Định", "Khánh Hòa", "Ninh Thuận"),
    108.5: ("Gia Lai", "Đắk Lắk", "Đắk Nông", "Phú Yên", "Bình Thuận"),
}  # fmt: skip
#: Province (2001–2025 boundaries) → VN-2000 TM-3 central meridian in degrees.
PROVINCE_CENTRAL_MERIDIANS: Final[dict[str, float]] = {
    name: cm for cm, names in _PROVINCES_BY_MERIDIAN.items() for name in names
}

_ALIAS_RE = re.compile(
    r"VN-?2000(?:-?UTM-?(?:ZONE-?)?(?P<utm>48|49)N?"
    r"|-?TM-?3-?(?:(?P<deg>\d{2,3})-(?P<min>\d{2})|(?P<dec>\d{2,3}(?:\.\d+)?)))?"
)
_HELMERT_UNITS: Final = (
    [("metre", 8605 + i) for i in range(3)]
    + [({"type": "AngularUnit", "name": "arc-second", "conversion_factor": math.pi / 648000},
        8608 + i) for i in range(3)]
    + [({"type": "ScaleUnit", "name": "parts per million", "conversion_factor": 1e-6}, 8611)]
)  # fmt: skip
_HELMERT_NAMES: Final = (
    "X-axis translation", "Y-axis translation", "Z-axis translation",
    "X-axis rotation", "Y-axis rotation", "Z-axis rotation", "Scale difference",
)  # fmt: skip


def _unknown(value: object, detail: str = "") -> UnknownCRS:
    shown = repr(value) if len(repr(value)) <= 120 else repr(value)[:117] + "..."
    extra = f" ({detail})" if detail else ""
    return UnknownCRS(
        f"Không nhận ra hệ tọa độ {shown}{extra}. Hãy dùng mã EPSG (vd. EPSG:4326), "
        f"'VN2000', 'VN2000-UTM48', 'VN2000-TM3-108.5' hoặc nội dung tệp .prj. / "
        f"Unknown coordinate reference system {shown}{extra}. Use an EPSG code "
        f"(e.g. EPSG:4326), 'VN2000', 'VN2000-UTM48', 'VN2000-TM3-108.5' or .prj text."
    )


def _vn2000_to_wgs84(source_geodetic: CRS) -> CoordinateOperation:
    """The official transformation, from ``source_geodetic`` (a VN-2000 geographic CRS)."""
    params: list[dict[str, Any]] = [
        {"name": name, "value": value, "unit": unit, "id": {"authority": "EPSG", "code": code}}
        for name, value, (unit, code) in zip(
            _HELMERT_NAMES, VN2000_HELMERT, _HELMERT_UNITS, strict=True
        )
    ]
    return CoordinateOperation.from_json_dict(
        {
            "type": "Transformation",
            "name": "VN-2000 to WGS 84 (2)",
            "source_crs": source_geodetic.to_json_dict(),
            "target_crs": WGS84.to_json_dict(),
            "method": {
                "name": "Coordinate Frame rotation (geog2D domain)",
                "id": {"authority": "EPSG", "code": 9607},
            },
            "parameters": params,
            "id": {"authority": "EPSG", "code": 6960},
        }
    )


def _is_vn2000(crs: CRS) -> bool:
    geodetic = crs.geodetic_crs
    if geodetic is None:
        return False
    datum = geodetic.datum.name if geodetic.datum is not None else ""
    key = re.sub(r"[^a-z0-9]", "", f"{crs.name} {geodetic.name} {datum}".lower())
    return "vn2000" in key or "vietnam2000" in key


def _has_real_shift(bound: CRS) -> bool:
    op = bound.coordinate_operation
    return op is not None and any(
        not isinstance(p.value, int | float) or p.value != 0 for p in op.params
    )


def bind_vn2000(crs: CRS) -> CRS:
    """Attach the official shift to a VN-2000 CRS; other CRSs are returned unchanged.

    A VN-2000 CRS that is already bound to a non-zero shift (e.g. a .prj with its own
    TOWGS84) is kept; an all-zero TOWGS84 is treated as "missing" and replaced.
    Compound CRSs are reduced to their horizontal part.
    """
    if crs.is_compound:
        crs = crs.sub_crs_list[0]
    if crs.is_bound:
        source = crs.source_crs
        if source is None or not _is_vn2000(source) or _has_real_shift(crs):
            return crs
        crs = source
    if not _is_vn2000(crs) or crs.geodetic_crs is None:
        return crs
    return BoundCRS(
        source_crs=crs, target_crs=WGS84, transformation=_vn2000_to_wgs84(crs.geodetic_crs)
    )


def _dm(cm: float) -> str:
    minutes = round(cm * 60)
    return f"{minutes // 60}-{minutes % 60:02d}"


@lru_cache(maxsize=64)
def vn2000_tm3(central_meridian_deg: float) -> CRS:
    """VN-2000 / TM-3 (k=0.9999, FE=500 000 m, FN=0) on ``central_meridian_deg``, bound."""
    cm = float(central_meridian_deg)
    if not math.isfinite(cm) or not -180.0 <= cm <= 180.0:
        raise _unknown(central_meridian_deg, "kinh tuyến trục / central meridian")
    code = EPSG_TM3.get(round(cm, 9))
    if code is not None:
        return bind_vn2000(CRS.from_epsg(code))
    projected = ProjectedCRS(
        name=f"VN-2000 / TM-3 {_dm(cm)}",
        geodetic_crs=CRS.from_epsg(EPSG_VN2000),
        conversion=TransverseMercatorConversion(
            latitude_natural_origin=0.0,
            longitude_natural_origin=cm,
            false_easting=500000.0,
            false_northing=0.0,
            scale_factor_natural_origin=0.9999,
        ),
    )
    return bind_vn2000(projected)


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFD", name.lower().replace("đ", "d"))
    text = "".join(c for c in text if c.isalnum())
    for prefix in ("thanhpho", "tinh", "tp"):
        text = text.removeprefix(prefix)
    return text.replace("dac", "dak")


_FOLDED_PROVINCES: Final = {_fold(k): v for k, v in PROVINCE_CENTRAL_MERIDIANS.items()} | {
    "hcm": 105.75, "tphcm": 105.75, "saigon": 105.75, "hue": 107.0,
}  # fmt: skip


def central_meridian_for(province: str) -> float:
    """TM-3 central meridian of a province, tolerant of accents, case and 'Tỉnh'/'TP.'."""
    try:
        return _FOLDED_PROVINCES[_fold(province)]
    except KeyError:
        raise _unknown(province, "không rõ tỉnh / unknown province") from None


@lru_cache(maxsize=64)
def _alias_or_parse(text: str) -> CRS:
    compact = re.sub(r"[\s_/]+", "-", text.strip().upper()).replace("--", "-")
    match = _ALIAS_RE.fullmatch(compact)
    if match is not None:
        if match["utm"]:
            utm = EPSG_VN2000_UTM48N if match["utm"] == "48" else EPSG_VN2000_UTM49N
            return bind_vn2000(CRS.from_epsg(utm))
        if match["dec"]:
            return vn2000_tm3(float(match["dec"]))
        if match["deg"]:
            if int(match["min"]) >= 60:
                raise _unknown(text)
            return vn2000_tm3(int(match["deg"]) + int(match["min"]) / 60)
        return bind_vn2000(CRS.from_epsg(EPSG_VN2000))
    try:
        crs = CRS.from_epsg(int(text)) if text.strip().isdigit() else CRS.from_user_input(text)
    except CRSError as exc:
        raise _unknown(text) from exc
    return bind_vn2000(crs)


def resolve_crs(value: CRSLike) -> CRS:
    """Turn user or file input into a pyproj CRS; VN-2000 ones always carry the shift.

    Accepts a CRS, an EPSG integer, "EPSG:NNNN", the aliases "VN2000",
    "VN2000-UTM48"/"-UTM49", "VN2000-TM3-108.5" / "VN2000-TM3-108-30" (any central
    meridian), or WKT / PROJ text such as a .prj file. ``None`` (no .prj) is an error:
    guessing would put VN-2000 metres on the map as degrees, or vice versa.
    """
    if isinstance(value, CRS):
        return bind_vn2000(value)
    if isinstance(value, bool) or value is None:
        raise _unknown(value, "thiếu hệ tọa độ / no CRS given")
    if isinstance(value, int | np.integer):
        value = str(int(value))
    if not isinstance(value, str) or not value.strip():
        raise _unknown(value)
    return _alias_or_parse(value)


@lru_cache(maxsize=64)
def _transformer(crs: CRS) -> Transformer:
    return Transformer.from_crs(crs, WGS84, always_xy=True)


def transformer_to_wgs84(crs: CRSLike) -> Transformer:
    """Cached (x, y) → (lon, lat) transformer; pyproj transformers are thread-safe."""
    return _transformer(resolve_crs(crs))


def _arrays(a: npt.ArrayLike, b: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"coordinate arrays differ in shape: {x.shape} vs {y.shape}")
    return x, y


def to_wgs84(xs: npt.ArrayLike, ys: npt.ArrayLike, crs: CRSLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised transform of eastings/longitudes and northings/latitudes to WGS 84."""
    x, y = _arrays(xs, ys)
    lons, lats = transformer_to_wgs84(crs).transform(x, y)
    return np.asarray(lons, dtype=np.float64), np.asarray(lats, dtype=np.float64)


def from_wgs84(
    lons: npt.ArrayLike, lats: npt.ArrayLike, crs: CRSLike
) -> tuple[FloatArray, FloatArray]:
    """Inverse of :func:`to_wgs84`: WGS 84 lon/lat to ``crs`` x/y (easting, northing)."""
    lon, lat = _arrays(lons, lats)
    xs, ys = transformer_to_wgs84(crs).transform(lon, lat, direction=TransformDirection.INVERSE)
    return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
