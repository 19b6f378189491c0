"""CSV with longitude/latitude columns or a WKT column.

Read with the csv module rather than GDAL so that a bad cell rejects its own row with its
number (GDAL silently nulls it), text in any Vietnamese encoding is decoded, and
Vietnamese column names ("kinh_do", "vĩ độ") and decimal commas from Excel are understood.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely

from gis.encodings import decode_text, detect_encoding
from gis.geometry import RowIssue
from layers.errors import InvalidInput
from layers.ingest.attributes import canonical_encoding, unique_names
from layers.ingest.options import ImportOptions
from layers.ingest.source import SourceTable

LON_NAMES: Final = frozenset({"lon", "lng", "long", "longitude", "x", "kinh_do", "kinhdo", "x_coord"})
LAT_NAMES: Final = frozenset({"lat", "latitude", "y", "vi_do", "vido", "y_coord"})
WKT_NAMES: Final = frozenset({"wkt", "geometry", "geom", "the_geom", "wkt_geom", "shape", "hinh_hoc"})
_INT = re.compile(r"-?(?:0|[1-9]\d{0,14})")
_CODE = re.compile(r"-?0\d+")
_FLOAT = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_MAX_COLUMNS = 1000


def fold(name: str) -> str:
    """'Kinh độ' → 'kinh_do': lowercase, no accents, separators as underscores."""
    text = unicodedata.normalize("NFD", name.strip().lower().replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s.\-/]+", "_", text)


def decode_csv(data: bytes, stated: str | None) -> tuple[str, str, str]:
    """(text, encoding, source) — BOM, then the planner's choice, UTF-8, then detection."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8", "bom"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16", "bom"
    if stated:
        name = canonical_encoding(stated)
        return decode_text(data, name, errors="replace"), name, "stated"
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8")), "utf-8", "detected"
    except UnicodeDecodeError:
        pass
    samples = [line for line in data.splitlines()[:5000] if not line.isascii()][:2000]
    name = detect_encoding(samples)
    return decode_text(data, name, errors="replace"), name, "detected"


def _number(cell: str, decimal_comma: bool) -> float | None:
    text = cell.strip().replace("\u00a0", "").replace(" ", "")
    if decimal_comma and "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _pick(header: list[str], explicit: str | None, names: frozenset[str], what: str) -> int | None:
    if explicit:
        for i, h in enumerate(header):
            if h == explicit or fold(h) == fold(explicit):
                return i
        raise InvalidInput(f"Không có cột {explicit!r} ({what}) / no column {explicit!r} ({what})",
                           code="csv_column_not_found", column=explicit, columns=header)
    return next((i for i, h in enumerate(header) if fold(h) in names), None)


def _typed(cells: list[str], decimal_comma: bool) -> tuple[list[Any], str]:
    present = [c.strip() for c in cells if c.strip()]
    if any(_CODE.fullmatch(c) for c in present):  # "007", "0912…": codes and phone numbers
        return [c if c.strip() else None for c in cells], "string"
    if present and all(_INT.fullmatch(c) for c in present):
        return [int(c) if c.strip() else None for c in cells], "integer"
    if present and all(_FLOAT.fullmatch(c.replace(",", ".") if decimal_comma else c) for c in present):
        return [_number(c, decimal_comma) if c.strip() else None for c in cells], "number"
    return [c if c.strip() else None for c in cells], "string"


def read_csv(path: Path, options: ImportOptions) -> SourceTable:
    text, encoding, source = decode_csv(path.read_bytes(), options.encoding)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = unique_names(next(reader))
    except StopIteration:
        raise InvalidInput("Tệp CSV rỗng / the CSV file is empty", code="empty_file") from None
    if len(header) > _MAX_COLUMNS:
        raise InvalidInput(f"Quá nhiều cột ({len(header)}) / too many columns", code="csv_too_many_columns")
    decimal_comma = dialect.delimiter != ","
    wkt_at = _pick(header, options.wkt, WKT_NAMES, "WKT")
    lon_at = _pick(header, options.lon, LON_NAMES, "lon/x")
    lat_at = _pick(header, options.lat, LAT_NAMES, "lat/y")
    use_xy = lon_at is not None and lat_at is not None and not options.wkt
    if not use_xy and wkt_at is None:
        raise InvalidInput(
            "Không tìm thấy cột tọa độ (lon/lat, x/y, kinh_do/vi_do) hay cột WKT; hãy chỉ rõ tên cột. / "
            "No coordinate columns (lon/lat, x/y, kinh_do/vi_do) or WKT column found; name them.",
            code="csv_coordinates_not_found", columns=header)
    geo_cols = {lon_at, lat_at} if use_xy else {wkt_at}
    keep = [i for i in range(len(header)) if i not in geo_cols]
    cells: list[list[str]] = [[] for _ in keep]
    geoms: list[Any] = []
    rows: list[int] = []
    rejected: list[RowIssue] = []
    unreadable: list[bool] = []
    for number, record in enumerate(reader, start=1):
        if not any(c.strip() for c in record):
            continue
        if len(record) != len(header):
            rejected.append(RowIssue(number, "bad_row", f"Dòng có {len(record)} ô, cần {len(header)} / "
                                     f"row has {len(record)} cells, expected {len(header)} "
                                     f"(line {reader.line_num})"))
            continue
        if use_xy:
            assert lon_at is not None and lat_at is not None
            x, y = _number(record[lon_at], decimal_comma), _number(record[lat_at], decimal_comma)
            if x is None or y is None:
                bad = record[lon_at] if x is None else record[lat_at]
                rejected.append(RowIssue(number, "bad_coordinate",
                                         f"Tọa độ không đọc được / unreadable coordinate {bad[:40]!r} "
                                         f"(line {reader.line_num})"))
                continue
            geoms.append((x, y))
        else:
            assert wkt_at is not None
            geoms.append(record[wkt_at].strip() or None)
        rows.append(number)
        for slot, i in enumerate(keep):
            cells[slot].append(record[i])
    if use_xy:
        xy = np.asarray(geoms, dtype=np.float64).reshape(-1, 2)
        geom_array = np.asarray(shapely.points(xy), dtype=object).reshape(-1)
        bad_geom = np.zeros(len(geoms), dtype=bool)
    else:
        wkt = np.asarray(geoms, dtype=object)
        geom_array = np.asarray(shapely.from_wkt(wkt, on_invalid="ignore"), dtype=object).reshape(-1)
        bad_geom = (wkt != None) & shapely.is_missing(geom_array)  # noqa: E711 (elementwise)
        unreadable = bad_geom.tolist()
    columns: dict[str, list[Any]] = {}
    types: dict[str, str] = {}
    for slot, i in enumerate(keep):
        columns[header[i]], types[header[i]] = _typed(cells[slot], decimal_comma)
    return SourceTable(
        format="csv", geoms=geom_array, columns=columns, types=types, encoding=encoding,
        encoding_source=source, rows=np.asarray(rows, dtype=np.int64),
        unreadable=np.asarray(unreadable or bad_geom, dtype=bool), rejected=rejected,
        rows_read=len(rows) + len(rejected),
        notes=[f"Tọa độ từ cột / coordinates from columns {header[lon_at]}, {header[lat_at]}"
               if use_xy and lon_at is not None and lat_at is not None
               else f"Hình học từ cột WKT / geometry from WKT column {header[wkt_at or 0]}"],
    )
