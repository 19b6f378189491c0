"""Query parameters of OGC API - Features requests, parsed and validated.

The standard asks for 400 on an unknown parameter or one that cannot be parsed
(/req/core/query-param-unknown, /req/core/query-param-invalid); the OGC router turns
the ``InvalidInput`` raised here into 400 with the usual ``{"detail", "code"}`` body.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from layers.errors import InvalidInput
from layers.ogc.fields import Schema, parse_instant

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CRS84_ALIASES = frozenset({CRS84, "https://www.opengis.net/def/crs/OGC/1.3/CRS84", "OGC:CRS84",
                           "urn:ogc:def:crs:OGC:1.3:CRS84", "[OGC:CRS84]"})
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
MAX_OFFSET = 1_000_000_000
MAX_FILTER_CHARS = 20_000
FORMATS = ("json", "html")
# cql-text is the draft name GDAL still sends for the same language.
FILTER_LANGS = ("cql2-text", "cql-text")

ITEMS_PARAMS = frozenset({"f", "bbox", "limit", "offset", "datetime", "filter", "filter-lang",
                          "filter-crs", "bbox-crs"})
Pairs = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class TimeFilter:
    """``start <= dt <= end`` (either side open); ``end_exclusive`` for whole days."""

    start: datetime | None
    end: datetime | None
    end_exclusive: bool = False
    instant: bool = False


@dataclass(frozen=True)
class ItemsQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    time: TimeFilter | None = None
    equals: tuple[tuple[str, str], ...] = ()
    filter: str | None = None

    @property
    def is_filtered(self) -> bool:
        return bool(self.bbox or self.time or self.equals or self.filter)


def _bad(message: str, code: str, **extra: object) -> InvalidInput:
    return InvalidInput(message, code=code, **extra)


def single_values(pairs: Pairs, allowed: frozenset[str]) -> dict[str, str]:
    """Every parameter must be known and given once."""
    out: dict[str, str] = {}
    for name, value in pairs:
        if name not in allowed:
            raise _bad(f"Tham số không được hỗ trợ: {name} / unknown query parameter: {name}",
                       "unknown_parameter", parameter=name, allowed=sorted(allowed))
        if name in out:
            raise _bad(f"Tham số lặp lại: {name} / repeated query parameter: {name}",
                       "repeated_parameter", parameter=name)
        out[name] = value
    return out


def output_format(values: dict[str, str]) -> str | None:
    f = values.get("f")
    if f is None:
        return None
    f = f.strip().lower()
    if f == "geojson":
        f = "json"
    if f not in FORMATS:
        raise _bad(f"Định dạng không hỗ trợ: {f} / unsupported format (json|html): {f}",
                   "bad_format", parameter="f", allowed=list(FORMATS))
    return f


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """minx,miny,maxx,maxy (or the 6-number 3D form) in CRS84 longitude/latitude."""
    parts = text.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise _bad("bbox cần 4 số: minx,miny,maxx,maxy / bbox needs 4 numbers: minx,miny,maxx,maxy",
                   "bad_bbox", parameter="bbox")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    minx, miny, maxx, maxy = numbers
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise _bad("bbox ngoài phạm vi kinh độ/vĩ độ / bbox outside longitude/latitude range",
                   "bad_bbox", parameter="bbox")
    if minx > maxx or miny > maxy:
        raise _bad("bbox: min phải nhỏ hơn max / bbox: min must not exceed max",
                   "bad_bbox", parameter="bbox")
    return minx, miny, maxx, maxy


def _integer(text: str, name: str, low: int, high: int) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise _bad(f"{name} phải là số nguyên từ {low} đến {high} / {name} must be an integer "
                   f"from {low} to {high}", f"bad_{name}", parameter=name, minimum=low, maximum=high)
    return int(value)


def parse_datetime(text: str) -> TimeFilter:
    """An instant, or a closed/half-open interval ``start/end`` with ``..`` (or empty) for open."""
    if "/" not in text:
        moment, day_end = parse_instant(text, "datetime")
        if day_end is not None:
            return TimeFilter(moment, day_end, end_exclusive=True)
        return TimeFilter(moment, moment, instant=True)
    left, _, right = text.partition("/")
    if "/" in right:
        raise _bad("datetime: khoảng thời gian có dạng đầu/cuối / datetime interval is start/end",
                   "bad_datetime", parameter="datetime")
    left, right = left.strip(), right.strip()
    start: datetime | None = None
    end: datetime | None = None
    end_exclusive = False
    if left not in ("", ".."):
        start, _ = parse_instant(left, "datetime")
    if right not in ("", ".."):
        end, day_end = parse_instant(right, "datetime")
        if day_end is not None:
            end, end_exclusive = day_end, True
    if start is None and end is None:
        return TimeFilter(None, None)  # "../.." matches every feature with a time
    if start is not None and end is not None and start > end:
        raise _bad("datetime: đầu khoảng sau cuối khoảng / datetime interval start is after its end",
                   "bad_datetime", parameter="datetime")
    return TimeFilter(start, end, end_exclusive)


def parse_items(pairs: Pairs, schema: Schema) -> tuple[ItemsQuery, str | None]:
    """The ``/items`` parameters: standard ones, then equality filters on schema attributes.

    A property whose name is also a standard parameter (``limit``…) can only be filtered
    with ``filter``.
    """
    allowed = ITEMS_PARAMS | frozenset(schema.fields)
    values = single_values(pairs, allowed)
    fmt = output_format(values)
    limit = _integer(values["limit"], "limit", 1, MAX_LIMIT) if "limit" in values else DEFAULT_LIMIT
    offset = _integer(values["offset"], "offset", 0, MAX_OFFSET) if "offset" in values else 0
    bbox = parse_bbox(values["bbox"]) if "bbox" in values else None
    for crs_param in ("bbox-crs", "filter-crs"):
        if crs_param in values and values[crs_param].strip() not in CRS84_ALIASES:
            raise _bad(f"{crs_param}: chỉ hỗ trợ CRS84 / only CRS84 is supported",
                       "unsupported_crs", parameter=crs_param, allowed=[CRS84])
    time = None
    if "datetime" in values:
        if not schema.time_field:
            raise _bad("Lớp này không có trường thời gian / this collection has no time dimension",
                       "no_time_dimension", parameter="datetime")
        time = parse_datetime(values["datetime"])
    filter_text = values.get("filter")
    if "filter-lang" in values and values["filter-lang"].strip().lower() not in FILTER_LANGS:
        raise _bad("filter-lang: chỉ hỗ trợ cql2-text / only cql2-text is supported",
                   "bad_filter_lang", parameter="filter-lang", allowed=["cql2-text"])
    if filter_text is not None:
        if not filter_text.strip():
            raise _bad("filter rỗng / empty filter", "bad_filter", parameter="filter")
        if len(filter_text) > MAX_FILTER_CHARS:
            raise _bad(f"filter quá dài (tối đa {MAX_FILTER_CHARS} ký tự) / filter too long "
                       f"(at most {MAX_FILTER_CHARS} characters)", "bad_filter", parameter="filter")
    equals = tuple((name, value) for name, value in values.items() if name in schema.fields
                   and name not in ITEMS_PARAMS)
    query = ItemsQuery(limit=limit, offset=offset, bbox=bbox, time=time, equals=equals,
                       filter=filter_text)
    return query, fmt


def parse_simple(pairs: Pairs) -> str | None:
    """Resources whose only parameter is ``f``."""
    return output_format(single_values(pairs, frozenset({"f"})))
