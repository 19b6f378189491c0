"""Read each accepted format into a :class:`SourceTable` (pyogrio/GDAL under the hood).

Zips are opened safely (:mod:`layers.ingest.archive`) and may hold a Shapefile (several:
the planner picks one), or one GeoPackage/GeoJSON/KML/CSV. GeoPackages with several
tables and KML with several folders are handled the same way: pick one by name, or for
KML take all folders together with a ``folder`` attribute.
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath
from typing import Any, Final

import numpy as np
import pyogrio
import pyogrio.raw
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

from gis.sniff import HEAD_BYTES, FileKindError, format_for
from layers.errors import InvalidInput
from layers.ingest.archive import checked_members, extract_member, open_zip
from layers.ingest.attributes import (
    canonical_encoding,
    choose_dbf_encoding,
    convert_column,
    mojibake_encoding,
    nfc,
    raw_decoder,
    redecoder,
    unique_names,
)
from layers.ingest.csvfile import read_csv
from layers.ingest.options import ImportLimits, ImportOptions
from layers.ingest.source import SourceTable

log = logging.getLogger(__name__)
_SHAPEFILE_PARTS: Final = (".shp", ".shx", ".dbf", ".prj", ".cpg")
#: LIBKML fields that carry KML styling, not data; dropped when they hold one value only.
_KML_BOILERPLATE: Final = frozenset({"id", "timestamp", "begin", "end", "altitudeMode", "tessellate",
                                     "extrude", "visibility", "drawOrder", "icon"})
#: Data files read from inside a zip (not .txt: a readme is no CSV; no nested archives).
_INNER_DATA: Final = frozenset({".geojson", ".json", ".gpkg", ".kml", ".csv"})
_OGR_ERRORS: Final = (DataSourceError, DataLayerError, FieldError, GeometryError, OSError, ValueError)


def unreadable_file(fmt: str) -> InvalidInput:
    return InvalidInput(f"Không đọc được tệp ({fmt}); tệp bị hỏng hoặc không đúng định dạng. / "
                        f"Cannot read the file ({fmt}); it is damaged or not in that format.",
                        code="unreadable_file", format=fmt)


def check_format(path: Path, filename: str) -> str:
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    try:
        return format_for(filename, head)
    except FileKindError as exc:
        raise InvalidInput(exc.message, code=exc.code, **exc.extra) from exc


def _choose(names: list[str], wanted: str | None, what: tuple[str, str]) -> str:
    if wanted is not None:
        for name in names:
            if wanted.casefold() in (name.casefold(), PurePosixPath(name).name.casefold()):
                return name
        raise InvalidInput(f"Không có {what[0]} {wanted!r} / no {what[1]} {wanted!r}",
                           code="table_not_found", tables=names)
    if len(names) == 1:
        return names[0]
    if not names:
        raise InvalidInput(f"Tệp không có {what[0]} nào có hình học / no {what[1]} with geometry",
                           code="no_spatial_table")
    raise InvalidInput(f"Tệp có {len(names)} {what[0]}; hãy chọn một: {', '.join(names)} / "
                       f"the file has {len(names)} {what[1]}s; choose one: {', '.join(names)}",
                       code="table_required", tables=names)


def _read_ogr(path: Path, layer: str | None, encoding: str | None,
              fmt: str) -> tuple[dict[str, Any], Any, Any]:
    try:
        meta, _, wkb, fields = pyogrio.raw.read(path, layer=layer, encoding=encoding, datetime_as_string=True)
    except _OGR_ERRORS as exc:
        log.info("unreadable %s upload: %s", fmt, exc)
        raise unreadable_file(fmt) from exc
    return meta, wkb, fields


def _geoms(wkb: Any) -> tuple[np.ndarray, np.ndarray]:
    raw = np.asarray(wkb, dtype=object)
    geoms = np.asarray(shapely.from_wkb(raw, on_invalid="ignore"), dtype=object).reshape(-1)
    return geoms, (raw != None) & shapely.is_missing(geoms)  # noqa: E711 (elementwise)


def _table(fmt: str, meta: dict[str, Any], wkb: Any, fields: list[Any], names: list[str],
           text: Any) -> SourceTable:
    geoms, unreadable = _geoms(wkb)
    columns: dict[str, list[Any]] = {}
    types: dict[str, str] = {}
    for name, arr, dtype, subtype in zip(names, fields, meta["dtypes"], meta["ogr_subtypes"], strict=True):
        columns[name], types[name] = convert_column(np.asarray(arr), str(dtype), str(subtype), text)
    return SourceTable(format=fmt, geoms=geoms, columns=columns, types=types, crs_text=meta.get("crs"),
                       unreadable=unreadable, rows_read=len(geoms))


def _string_samples(fields: list[Any], limit: int = 2000) -> list[Any]:
    out: list[Any] = []
    for arr in fields:
        arr = np.asarray(arr)
        if arr.dtype.kind == "O":
            out.extend(v for v in arr.tolist() if isinstance(v, str) and not v.isascii())
        if len(out) >= limit:
            break
    return out[:limit]


def read_shapefile(shp: Path, options: ImportOptions, name: str) -> SourceTable:
    """Text read as Latin-1 (byte for byte), then decoded by our own choice of encoding."""
    meta, wkb, fields = _read_ogr(shp, None, "latin1", "shapefile")
    samples = [s.encode("latin-1") for s in _string_samples(fields)]
    field_names = [str(f) for f in meta["fields"]]
    samples += [f.encode("latin-1") for f in field_names if not f.isascii()]
    cpg = shp.with_suffix(".cpg")
    choice = choose_dbf_encoding(samples, options.encoding,
                                 cpg.read_text("latin-1")[:100] if cpg.exists() else None)
    text = raw_decoder(choice.encoding)
    table = _table("shapefile", meta, wkb, fields, unique_names(text(f) for f in field_names), text)
    prj = shp.with_suffix(".prj")
    table.crs_text = prj.read_text("latin-1").strip() or None if prj.exists() else None
    table.encoding, table.encoding_source, table.table = choice.encoding, choice.source, name
    if choice.note:
        table.notes.append(choice.note)
    return table


def _utf8_table(fmt: str, path: Path, layer: str | None, options: ImportOptions) -> SourceTable:
    """Formats that are UTF-8 by definition; text mis-decoded from TCVN3/VNI is repaired."""
    meta, wkb, fields = _read_ogr(path, layer, None, fmt)
    source, encoding = "format", "utf-8"
    stated = canonical_encoding(options.encoding) if options.encoding else None
    if stated is not None:
        encoding, source = stated, "stated"
    else:
        guess = mojibake_encoding(_string_samples(fields))
        if guess is not None:
            encoding, source = guess, "detected"
    text = redecoder(encoding) if encoding != "utf-8" else nfc
    table = _table(fmt, meta, wkb, fields, unique_names(text(str(f)) for f in meta["fields"]), text)
    table.encoding, table.encoding_source, table.table = encoding, source, layer
    if source == "detected":
        table.notes.append(f"Sửa chữ bị giải mã sai từ {encoding} / "
                           f"repaired text mis-decoded from {encoding}")
    return table


def _layers(path: Path, fmt: str) -> list[tuple[str, str | None]]:
    try:
        return [(str(n), None if t is None else str(t)) for n, t in pyogrio.list_layers(path)]
    except _OGR_ERRORS as exc:
        raise unreadable_file(fmt) from exc


def read_gpkg(path: Path, options: ImportOptions) -> SourceTable:
    tables = [name for name, kind in _layers(path, "gpkg") if kind is not None]
    chosen = _choose(tables, options.table, ("bảng", "table"))
    table = _utf8_table("gpkg", path, chosen, options)
    table.tables = tables
    return table


def read_kml(path: Path, options: ImportOptions, fmt: str = "kml") -> SourceTable:
    folders = [name for name, _ in _layers(path, fmt)]
    chosen = [_choose(folders, options.table, ("thư mục", "folder"))] if options.table or len(folders) < 2 \
        else folders
    parts = [_utf8_table(fmt, path, name, options) for name in chosen]
    table = parts[0]
    if len(parts) > 1:
        sizes = [len(p.geoms) for p in parts]
        names = list(dict.fromkeys(n for p in parts for n in p.columns))
        columns = {n: [v for p, k in zip(parts, sizes, strict=True) for v in p.columns.get(n, [None] * k)]
                   for n in names}
        columns["folder"] = [name for name, k in zip(chosen, sizes, strict=True) for _ in range(k)]
        types = {n: {p.types[n] for p in parts if n in p.types} for n in names}
        for n, kinds in types.items():  # the same field typed differently in two folders: text
            if len(kinds) > 1:
                columns[n] = [None if v is None else str(v) for v in columns[n]]
        table.types = {n: kinds.pop() if len(kinds) == 1 else "string" for n, kinds in types.items()}
        table.types["folder"] = "string"
        table.geoms = np.concatenate([p.geoms for p in parts])
        table.unreadable = np.concatenate([p.unreadable for p in parts if p.unreadable is not None])
        table.columns, table.rows_read, table.table = columns, len(table.geoms), None
    for name in _KML_BOILERPLATE & set(table.columns):
        if len({repr(v) for v in table.columns[name]}) <= 1:
            del table.columns[name], table.types[name]
    table.tables, table.format = folders, fmt
    return table


def read_plain(path: Path, fmt: str, options: ImportOptions) -> SourceTable:
    if fmt == "geojson":
        return _utf8_table("geojson", path, None, options)
    if fmt == "gpkg":
        return read_gpkg(path, options)
    if fmt == "kml":
        return read_kml(path, options)
    if fmt == "csv":
        return read_csv(path, options)
    raise AssertionError(fmt)


def read_zip(path: Path, fmt: str, options: ImportOptions, limits: ImportLimits, work: Path) -> SourceTable:
    """A zipped Shapefile (or one other supported file), or a KMZ."""
    with open_zip(path) as archive:
        members = checked_members(archive, limits)
        budget = [limits.zip_max_uncompressed_bytes]
        by_ext: dict[str, list[Any]] = {}
        for info in members:
            by_ext.setdefault(PurePosixPath(info.filename.replace("\\", "/")).suffix.lower(), []).append(info)
        if fmt == "kmz":
            kmls = by_ext.get(".kml", [])
            if not kmls:
                raise InvalidInput("KMZ không chứa tệp .kml / the KMZ holds no .kml", code="no_layer_in_zip")
            doc = next((i for i in kmls if i.filename.lower().endswith("doc.kml")), kmls[0])
            return read_kml(extract_member(archive, doc, work / "doc.kml", limits, budget), options, "kmz")
        shapefiles = {_stem(i.filename): i for i in by_ext.get(".shp", [])}
        if shapefiles:
            name = _choose(sorted(shapefiles), options.table, ("Shapefile", "Shapefile"))
            parts = {PurePosixPath(i.filename.replace("\\", "/")).suffix.lower(): i
                     for i in members if _stem(i.filename).casefold() == name.casefold()}
            missing = [ext for ext in (".shx", ".dbf") if ext not in parts]
            if missing:
                raise InvalidInput(f"Shapefile {name!r} thiếu {', '.join(missing)} / Shapefile {name!r} is "
                                   f"missing {', '.join(missing)}", code="shapefile_incomplete",
                                   missing=missing)
            for ext, info in parts.items():
                if ext in _SHAPEFILE_PARTS:
                    extract_member(archive, info, work / f"layer{ext}", limits, budget)
            table = read_shapefile(work / "layer.shp", options, name)
            table.tables = sorted(shapefiles)
            return table
        inner = [i for ext, infos in by_ext.items() if ext in _INNER_DATA for i in infos]
        if len(inner) != 1:
            raise InvalidInput(
                "Tệp nén cần chứa một Shapefile (.shp, .shx, .dbf, .prj) hoặc một tệp dữ liệu. / "
                "The zip must hold a Shapefile (.shp, .shx, .dbf, .prj) or exactly one data file.",
                code="no_layer_in_zip",
                members=[i.filename[:200] for i in members[:50]])
        ext = PurePosixPath(inner[0].filename).suffix.lower()
        target = extract_member(archive, inner[0], work / f"inner{ext}", limits, budget)
    return read_plain(target, check_format(target, inner[0].filename), options)


def _stem(member: str) -> str:
    path = PurePosixPath(member.replace("\\", "/"))
    return str(path.with_suffix("")) if path.suffix else str(path)


def read_source(path: Path, filename: str, options: ImportOptions, limits: ImportLimits,
                work: Path) -> SourceTable:
    """Read an upload of any accepted format; ``work`` is a private scratch directory."""
    fmt = check_format(path, filename)
    if fmt in ("zip", "kmz"):
        return read_zip(path, fmt, options, limits, work)
    return read_plain(path, fmt, options)
