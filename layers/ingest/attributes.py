"""Attribute columns: raw values to JSON-ready Python values, text to NFC, and a schema.

Why here and not in GDAL: old Vietnamese .dbf files say nothing true about their
encoding, so .dbf text is read as raw bytes (Latin-1 maps each byte to one character and
back) and decoded by :mod:`gis.encodings` with the planner's choice, the .cpg, or a
detection on sample values — in that order.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
import orjson

from gis.encodings import decode_text, detect_encoding, normalize_encoding_name, vietnamese_word_share
from gis.errors import EncodingError
from layers.errors import InvalidInput

LOCAL_TZ: Final = ZoneInfo("Asia/Ho_Chi_Minh")
_SAMPLE = 2000
Text = Callable[[str], str]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def canonical_encoding(name: str) -> str:
    """The gis.encodings name for a planner's or a .cpg's spelling, or a 422."""
    try:
        return normalize_encoding_name(name)
    except EncodingError as exc:
        raise InvalidInput(exc.message, code=exc.code) from exc


@dataclass(frozen=True)
class EncodingChoice:
    encoding: str  # utf-8 | cp1258 | tcvn3 | vni
    source: str  # stated | cpg | detected | format
    note: str | None = None


def _valid_utf8(samples: list[bytes]) -> bool:
    try:
        for s in samples:
            s.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def choose_dbf_encoding(samples: list[bytes], stated: str | None, cpg: str | None) -> EncodingChoice:
    """The planner's choice, else a .cpg naming a Vietnamese-capable encoding, else detection.

    A .cpg saying UTF-8 over bytes that are not UTF-8, or naming a Western code page
    (tools write "1252" by default), is overruled by detection and the report says so.
    """
    if stated:
        return EncodingChoice(canonical_encoding(stated), "stated")
    detected = detect_encoding(samples[:_SAMPLE])
    if cpg and cpg.strip():
        try:
            named = normalize_encoding_name(cpg.strip())
        except EncodingError:
            return EncodingChoice(detected, "detected",
                                  f"Bỏ qua .cpg {cpg.strip()[:40]!r} / ignored .cpg {cpg.strip()[:40]!r}")
        if named != "utf-8" or _valid_utf8(samples):
            return EncodingChoice(named, "cpg")
        return EncodingChoice(detected, "detected", ".cpg ghi UTF-8 nhưng dữ liệu không phải UTF-8 / "
                                                    ".cpg says UTF-8 but the text is not")
    return EncodingChoice(detected, "detected")


def single_bytes(text: str) -> bytes | None:
    """The bytes a Latin-1/CP1252 reader turned into ``text``, or None if it cannot have."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                return None
            out.append(ord(char))
    return bytes(out)


def mojibake_encoding(samples: list[str]) -> str | None:
    """The legacy encoding that text from a UTF-8 format was mis-decoded from, if clearly one."""
    texts = [s for s in samples[:_SAMPLE] if not s.isascii()]
    raws = [single_bytes(s) for s in texts]
    if not texts or any(r is None for r in raws):
        return None
    clean = [r for r in raws if r is not None]
    enc = detect_encoding(clean)
    before = vietnamese_word_share(texts)
    after = vietnamese_word_share(decode_text(r, enc, errors="replace") for r in clean)
    return enc if after >= 0.5 and after > before + 0.25 else None


def redecoder(encoding: str) -> Text:
    """Text mis-decoded as Latin-1/CP1252 → re-decoded from ``encoding`` (others unchanged)."""
    def fix(text: str) -> str:
        raw = single_bytes(text) if not text.isascii() else None
        return nfc(text) if raw is None else decode_text(raw, encoding, errors="replace")
    return fix


def raw_decoder(encoding: str) -> Text:
    """For values GDAL read as Latin-1: back to the file's bytes, then decoded properly."""
    return lambda text: decode_text(text.encode("latin-1"), encoding, errors="replace")


def _map_text(values: Iterable[Any], text: Text) -> list[Any]:
    cache: dict[str, str] = {}
    out: list[Any] = []
    for v in values:
        if v is None:
            out.append(None)
        elif isinstance(v, str):
            hit = cache.get(v)
            if hit is None:
                hit = cache[v] = text(v)
            out.append(hit)
        else:
            out.append(v)
    return out


def _nullable(arr: np.ndarray, cast: Callable[[np.ndarray], np.ndarray]) -> list[Any]:
    nan = np.isnan(arr) | ~np.isfinite(arr)
    values: list[Any] = cast(np.where(nan, 0, arr)).tolist()
    if nan.any():
        for i in np.flatnonzero(nan):
            values[i] = None
    return values


def _json_or_text(value: str) -> Any:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value


def _datetime_or_text(value: str) -> Any:
    try:
        return datetime.fromisoformat(value.replace("/", "-"))
    except ValueError:
        return value


def convert_column(arr: np.ndarray, dtype: str, subtype: str, text: Text) -> tuple[list[Any], str]:
    """Python values of one column read by pyogrio, and its schema type."""
    if subtype == "OFSTBoolean" or dtype == "bool":
        if arr.dtype.kind == "f":
            return _nullable(arr, lambda a: a.astype(bool)), "boolean"
        return arr.astype(bool).tolist(), "boolean"
    if dtype.startswith(("int", "uint")):
        if arr.dtype.kind == "f":
            return _nullable(arr, lambda a: a.astype(np.int64)), "integer"
        return arr.tolist(), "integer"
    if arr.dtype.kind == "f":
        return _nullable(arr, lambda a: a), "number"
    if dtype.startswith("datetime"):
        return [None if v is None else _datetime_or_text(v) for v in arr.tolist()], "datetime"
    if subtype == "OFSTJSON":
        return [None if v is None else _json_or_text(text(v)) for v in arr.tolist()], "json"
    if arr.dtype.kind == "O":
        values = arr.tolist()
        if any(isinstance(v, bytes | bytearray) for v in values[:100]):
            return [None if v is None else bytes(v).hex() for v in values], "string"
        return _map_text(values, text), "string"
    return arr.tolist(), "string"


def unique_names(names: Iterable[str]) -> list[str]:
    """NFC, stripped, non-empty, unique attribute names (suffix _2, _3 on clashes)."""
    seen: set[str] = set()
    out = []
    for i, raw in enumerate(names, start=1):
        base = nfc(raw).strip() or f"field_{i}"
        name, k = base, 2
        while name in seen:
            name, k = f"{base}_{k}", k + 1
        seen.add(name)
        out.append(name)
    return out


def schema(columns: dict[str, str], previous: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Attribute schema; labels and popup flags of same-named attributes carry over."""
    before = {a.get("name"): a for a in previous or []}
    out = []
    for name, kind in columns.items():
        old = before.get(name, {})
        out.append({"name": name, "type": kind, "label_vi": old.get("label_vi", name),
                    "label_en": old.get("label_en", name), "popup": bool(old.get("popup", True))})
    return out


def parse_datetime(value: Any) -> datetime | None:
    """A timestamp for a layer's time field; naive values are Vietnamese local time."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                parsed = datetime.strptime(text[:10], "%d/%m/%Y")
            except ValueError:
                return None
    else:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)

