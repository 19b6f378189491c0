"""Builders for real upload files (GeoJSON, zipped Shapefile, GeoPackage, KML/KMZ, CSV).

Files are written by GDAL (pyogrio) or by hand into ``tmp_path``; legacy Vietnamese text
is produced from :mod:`gis.vn_charmaps` byte tables, not by our decoder.
"""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
from pyproj import Transformer

from gis.vn_charmaps import TCVN3_DECODE

#: Encode to TCVN3 with the byte table (first byte wins where VN1 capitals overlap).
_TCVN3_ENCODE: dict[str, int] = {}
for _byte, _char in sorted(TCVN3_DECODE.items()):
    if len(_char) == 1:
        _TCVN3_ENCODE.setdefault(_char, _byte)

# ESRI-style .prj as ArcGIS writes it for VN-2000 / TM-3 108°30' — no TOWGS84.
VN2000_TM3_1085_PRJ = (
    'PROJCS["VN_2000_TM3_108_30",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",'
    'SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",108.5],PARAMETER["Scale_Factor",0.9999],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)

#: WGS 84 → VN-2000 → TM-3 108°30', written out independently of gis.crs (QĐ 05/2007 values,
#: coordinate-frame convention).
WGS84_TO_VN2000_TM3_1085 = Transformer.from_pipeline(
    "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
    "+step +proj=push +v_3 +step +proj=cart +ellps=WGS84 "
    "+step +inv +proj=helmert +x=-191.90441429 +y=-39.30318279 +z=-111.45032835 "
    "+rx=-0.00928836 +ry=0.01975479 +rz=-0.00427372 +s=0.252906278 +convention=coordinate_frame "
    "+step +inv +proj=cart +ellps=WGS84 +step +proj=pop +v_3 "
    "+step +proj=tmerc +lat_0=0 +lon_0=108.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84"
)


def to_tcvn3(text: str) -> bytes:
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        out += char.encode("ascii") if char.isascii() else bytes([_TCVN3_ENCODE[char]])
    return bytes(out)


def as_latin1(text: str, encoder: Any = to_tcvn3) -> str:
    """The string GDAL must write (as Latin-1) so the .dbf holds ``encoder(text)``'s bytes."""
    return encoder(text).decode("latin-1")


def geojson(path: Path, features: list[dict[str, Any]], **members: Any) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features, **members},
                               ensure_ascii=False), encoding="utf-8")
    return path


def point_feature(lon: float, lat: float, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def shapefile_zip(tmp: Path, gdf: gpd.GeoDataFrame, name: str = "layer", *, encoding: str = "UTF-8",
                  prj: str | None = None, cpg: str | None = None, drop: tuple[str, ...] = ()) -> Path:
    """Write ``gdf`` as a Shapefile and zip its parts; ``prj``/``cpg`` replace GDAL's files."""
    folder = tmp / f"shp-{name}"
    folder.mkdir()
    gdf.to_file(folder / f"{name}.shp", engine="pyogrio", encoding=encoding)
    for ext, content in ((".prj", prj), (".cpg", cpg)):
        target = folder / f"{name}{ext}"
        target.unlink(missing_ok=True)
        if content is not None:
            target.write_text(content, encoding="latin-1")
    out = tmp / f"{name}.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for part in sorted(folder.iterdir()):
            if part.suffix not in drop:
                z.write(part, f"{name}/{part.name}")
    return out


def zip_of(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Khảo sát</name>
<Folder><name>Trường học</name>
<Placemark><name>Trường Tiểu học Nguyễn Du</name><Point><coordinates>107.65,12.45,530</coordinates></Point></Placemark>
<Placemark><name>Trường THCS Đắk Lao</name><Point><coordinates>107.66,12.46,528</coordinates></Point></Placemark>
</Folder>
<Folder><name>Trạm y tế</name>
<Placemark><name>Trạm y tế xã Đức Minh</name><Point><coordinates>107.61,12.47</coordinates></Point></Placemark>
</Folder>
{extra}
</Document></kml>
"""
KML_LINE_FOLDER = """<Folder><name>Đường</name>
<Placemark><name>Tỉnh lộ 4</name><LineString><coordinates>107.6,12.4 107.7,12.5</coordinates></LineString></Placemark>
</Folder>"""


def kmz_bytes(kml: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", kml)
    return buf.getvalue()
