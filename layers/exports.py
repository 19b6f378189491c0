"""Export a layer's current version (or the part inside a bbox) as a file to download:
GeoJSON, GeoPackage, CSV (UTF-8 with BOM, so Excel shows Vietnamese) or zipped Shapefile.

Rows are streamed from PostgreSQL in chunks and appended to the file with pyogrio, so
memory stays bounded by the chunk size, not the layer size. Columns follow the layer's
attribute schema and its types. The caller removes ``Export.directory`` once sent.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import orjson
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.errors import InvalidInput
from layers.models import Layer
from layers.ogc import queries
from layers.ogc.queries import FEATURE_JSON

log = logging.getLogger(__name__)

CHUNK = 20_000
MAX_FEATURES = 1_000_000


@dataclass(frozen=True)
class Format:
    driver: str | None  # None: written here (GeoJSON from SQL, CSV with pandas)
    extension: str
    media_type: str


FORMATS = {
    "geojson": Format(None, "geojson", "application/geo+json"),
    "gpkg": Format("GPKG", "gpkg", "application/geopackage+sqlite3"),
    "csv": Format(None, "csv", "text/csv; charset=utf-8"),
    "shp": Format("ESRI Shapefile", "zip", "application/zip"),
}
CSV_GEOMETRY = ("lonlat", "wkt")
_SINGLE = {"point": "Point", "linestring": "LineString", "polygon": "Polygon"}
_MULTI = {"multipoint": "MultiPoint", "multilinestring": "MultiLineString", "multipolygon": "MultiPolygon"}
_GEOM_COLUMN = "_geometry_"


@dataclass
class Export:
    path: Path
    filename: str
    media_type: str
    directory: Path
    feature_count: int

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _columns(layer: Layer, first_rows: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """(name, type) of the attribute schema; keys of the data when a layer has no schema."""
    if layer.attributes:
        return [(str(a["name"]), str(a.get("type") or "string")) for a in layer.attributes if a.get("name")]
    names: dict[str, None] = {}
    for props in first_rows:
        names.update(dict.fromkeys(props))
    return [(name, "string") for name in names]


def _values(rows: Sequence[dict[str, Any]], name: str, kind: str, typed: bool) -> Any:
    """One column; with ``typed`` the attribute type is kept (nullable pandas dtypes)."""
    raw = [props.get(name) for props in rows]
    if kind == "integer" and typed:
        return pd.array([v if isinstance(v, int) and not isinstance(v, bool) else None for v in raw],
                        dtype="Int64")
    if kind == "number" and typed:
        return pd.array([float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
                         for v in raw], dtype="Float64")
    if kind == "boolean" and typed:
        return pd.array([v if isinstance(v, bool) else None for v in raw], dtype="boolean")
    if kind == "datetime" and typed:
        return pd.to_datetime(pd.Series([v if isinstance(v, str) else None for v in raw], dtype=object),
                              utc=True, errors="coerce", format="ISO8601")
    return pd.array([None if v is None else v if isinstance(v, str) else
                     orjson.dumps(v).decode() if isinstance(v, dict | list) else str(v) for v in raw],
                    dtype="string")


def _select(layer: Layer, bbox: tuple[float, float, float, float] | None) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"layer": layer.id, "version": layer.version}
    where = "layer_id = :layer AND version = :version"
    if bbox is not None:
        params.update(zip(("minx", "miny", "maxx", "maxy"), bbox, strict=True))
        # The GiST index (layer_id, version, geom) serves the && part of ST_Intersects.
        where += " AND ST_Intersects(geom, ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326))"
    return where, params


def _count(session: Session, layer: Layer, bbox: tuple[float, float, float, float] | None) -> int:
    if bbox is None:
        return queries.feature_count(session, layer)
    where, params = _select(layer, bbox)
    return int(session.execute(text(f"SELECT count(*) FROM layer_features WHERE {where}"),  # noqa: S608
                               params).scalar_one())


def _chunks(session: Session, layer: Layer,
            bbox: tuple[float, float, float, float] | None) -> Iterator[tuple[list[dict[str, Any]], Any]]:
    where, params = _select(layer, bbox)
    result = session.execute(
        text(f"SELECT properties, ST_AsBinary(geom) FROM layer_features WHERE {where} ORDER BY fid"),  # noqa: S608
        params, execution_options={"stream_results": True, "yield_per": CHUNK},
    )
    for part in result.partitions(CHUNK):
        yield [row[0] or {} for row in part], shapely.from_wkb([bytes(row[1]) for row in part])


def _geometry_type(layer: Layer) -> tuple[str, bool]:
    key = (layer.geometry_type or "").lower()
    if key in _MULTI:
        return _MULTI[key], True
    return _SINGLE.get(key, "Unknown"), False


def export_layer(
    session: Session, layer: Layer, fmt: str, *,
    bbox: tuple[float, float, float, float] | None = None, csv_geometry: str | None = None,
) -> Export:
    """Write the current version (within ``bbox`` if given) to a temp file in ``fmt``."""
    spec = FORMATS.get(fmt)
    if spec is None:
        raise InvalidInput(f"Định dạng không hỗ trợ: {fmt} / unsupported format: {fmt}",
                           code="bad_export_format", allowed=sorted(FORMATS))
    is_points = (layer.geometry_type or "").lower() == "point"
    if fmt == "csv":
        csv_geometry = csv_geometry or ("lonlat" if is_points else "wkt")
        if csv_geometry not in CSV_GEOMETRY:
            raise InvalidInput("geometry phải là lonlat hoặc wkt / geometry must be lonlat or wkt",
                               code="bad_csv_geometry", allowed=list(CSV_GEOMETRY))
        if csv_geometry == "lonlat" and not is_points:
            raise InvalidInput("Cột kinh độ/vĩ độ chỉ dùng cho lớp điểm; hãy chọn WKT / lon/lat columns "
                               "need a point layer; use geometry=wkt", code="csv_lonlat_needs_points")
    elif csv_geometry is not None:
        raise InvalidInput("geometry chỉ dùng cho CSV / geometry applies to CSV only",
                           code="csv_geometry_not_csv")
    count = _count(session, layer, bbox)
    if count > MAX_FEATURES:
        raise InvalidInput(
            f"Quá nhiều đối tượng ({count} > {MAX_FEATURES}); hãy chọn một vùng (bbox) / too many "
            f"features ({count} > {MAX_FEATURES}); export a bbox instead", code="export_too_large",
            feature_count=count, maximum=MAX_FEATURES)

    directory = Path(tempfile.mkdtemp(prefix="iocmap-export-"))
    stem = f"{layer.slug}-v{layer.version}" + ("-bbox" if bbox is not None else "")
    try:
        if fmt == "csv":
            path = directory / f"{stem}.csv"
            _write_csv(session, layer, bbox, path, csv_geometry == "lonlat")
        elif fmt == "geojson":
            path = directory / f"{stem}.geojson"
            _write_geojson(session, layer, bbox, path)
        else:
            path = _write_ogr(session, layer, bbox, directory, stem, spec)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return Export(path, f"{stem}.{spec.extension}", spec.media_type, directory, count)


def _write_ogr(session: Session, layer: Layer, bbox: tuple[float, float, float, float] | None,
               directory: Path, stem: str, spec: Format) -> Path:
    assert spec.driver is not None
    is_shp = spec.driver == "ESRI Shapefile"
    target = directory / (f"{stem}/{stem}.shp" if is_shp else f"{stem}.{spec.extension}")
    target.parent.mkdir(exist_ok=True)
    geometry_type, multi = _geometry_type(layer)
    if is_shp and geometry_type == "Unknown":
        raise InvalidInput("Shapefile cần một kiểu hình học; hãy xuất GeoPackage / Shapefile needs a "
                           "single geometry type; export GeoPackage instead", code="shapefile_mixed_geometry")
    # A Shapefile's layer is its file name: appending to another name would start a new file.
    layer_name = target.stem if is_shp else layer.slug
    columns: list[tuple[str, str]] | None = None
    written = 0
    for rows, geoms in _chunks(session, layer, bbox):
        columns = columns or _columns(layer, rows)
        # Shapefiles have no date-time type: keep the ISO text there.
        data = {name: _values(rows, name, kind, typed=not (is_shp and kind == "datetime"))
                for name, kind in columns}
        frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"))
        frame = frame.rename_geometry(_GEOM_COLUMN)
        pyogrio.write_dataframe(
            frame, target, driver=spec.driver, layer=layer_name, append=written > 0,
            geometry_type=geometry_type, promote_to_multi=multi or None, encoding="UTF-8" if is_shp else None,
        )
        written += len(frame)
    if written == 0:
        columns = columns or _columns(layer, [])
        data = {name: _values([], name, kind, typed=not (is_shp and kind == "datetime"))
                for name, kind in columns}
        empty = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
        pyogrio.write_dataframe(empty, target, driver=spec.driver, layer=layer_name,
                                geometry_type=geometry_type, encoding="UTF-8" if is_shp else None)
    if not is_shp:
        return target
    _write_field_names(target, layer, [name for name, _ in columns or []])
    archive = directory / f"{stem}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(target.parent.iterdir()):
            zf.write(part, arcname=part.name)
    return archive


def _write_field_names(shp: Path, layer: Layer, names: list[str]) -> None:
    """Shapefile field names are cut to 10 characters: ship the full names and labels too."""
    written = [str(name) for name in pyogrio.read_info(shp)["fields"]]
    labels = {str(a.get("name")): a for a in layer.attributes or []}
    rows = [{"shapefile": short, "name": full,
             "label_vi": labels.get(full, {}).get("label_vi") or full,
             "label_en": labels.get(full, {}).get("label_en") or full}
            for short, full in zip(written, names, strict=False)]
    pd.DataFrame(rows, columns=["shapefile", "name", "label_vi", "label_en"]).to_csv(
        shp.with_name(f"{shp.stem}_fields.csv"), index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _write_geojson(session: Session, layer: Layer, bbox: tuple[float, float, float, float] | None,
                   path: Path) -> None:
    """The features exactly as the OGC API serves them (ids, JSON types, 7 decimals), streamed.

    GDAL's GeoJSON writer re-reads the whole file on every append, so it is not used here.
    """
    where, params = _select(layer, bbox)
    result = session.execute(
        text(f"SELECT {FEATURE_JSON} FROM layer_features WHERE {where} ORDER BY fid"),  # noqa: S608
        params, execution_options={"stream_results": True, "yield_per": CHUNK},
    )
    with path.open("wb") as out:
        out.write(b'{"type":"FeatureCollection","name":' + orjson.dumps(layer.slug) + b',"features":[\n')
        separator = b""
        for part in result.partitions(CHUNK):
            out.write(separator + ",\n".join(row[0] for row in part).encode())
            separator = b",\n"
        out.write(b"\n]}\n")


def _write_csv(session: Session, layer: Layer, bbox: tuple[float, float, float, float] | None,
               path: Path, lonlat: bool) -> None:
    columns: list[tuple[str, str]] | None = None
    first = True
    for rows, geoms in _chunks(session, layer, bbox):
        columns = columns or _columns(layer, rows)
        frame = pd.DataFrame({name: _values(rows, name, kind, typed=kind != "datetime")
                              for name, kind in columns})
        _add_geometry_columns(frame, geoms, lonlat)
        frame.to_csv(path, mode="w" if first else "a", header=first, index=False,
                     encoding="utf-8-sig" if first else "utf-8", lineterminator="\r\n")
        first = False
    if first:  # nothing inside the selection: still a header row
        frame = pd.DataFrame({name: [] for name, _ in (columns or _columns(layer, []))})
        _add_geometry_columns(frame, shapely.from_wkb([]), lonlat)
        frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _add_geometry_columns(frame: pd.DataFrame, geoms: Any, lonlat: bool) -> None:
    """lon/lat (7 decimals, about 1 cm) for points; WKT otherwise. Names never clash."""
    if lonlat:
        for name, values in (("lon", shapely.get_x(geoms)), ("lat", shapely.get_y(geoms))):
            frame[_free_name(frame, name)] = pd.Series(values, dtype="float64").round(7)
    else:
        frame[_free_name(frame, "wkt")] = shapely.to_wkt(geoms, rounding_precision=7, trim=True)


def _free_name(frame: pd.DataFrame, name: str) -> str:
    while name in frame.columns:
        name = f"{name}_"
    return name
