"""Recognise an uploaded file by its bytes, and refuse one that is not what its name says.

Why: planners rename files ("ban_do.geojson" that is really a zipped Shapefile, an Excel
sheet saved as .csv). Trusting the extension sends the bytes to the wrong reader and the
planner gets a cryptic GDAL message. Here the first few kilobytes decide the real kind,
and a mismatch is refused with a message naming both.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Final

from gis.errors import GisError

#: How many leading bytes :func:`sniff_kind` needs.
HEAD_BYTES: Final = 8192

#: Upload extension → the format the import pipeline reads.
FORMAT_BY_EXTENSION: Final[dict[str, str]] = {
    ".geojson": "geojson", ".json": "geojson", ".zip": "zip", ".gpkg": "gpkg",
    ".kml": "kml", ".kmz": "kmz", ".csv": "csv", ".txt": "csv",
}  # fmt: skip
#: Format → the content kinds its bytes may show (a GeoPackage written by an old tool may
#: lack the "GPKG" application id; GDAL still reads it if its tables are there).
KIND_OF_FORMAT: Final[dict[str, tuple[str, ...]]] = {
    "geojson": ("json",), "zip": ("zip",), "kmz": ("zip",), "gpkg": ("gpkg", "sqlite"),
    "kml": ("kml",), "csv": ("text",),
}  # fmt: skip
_KIND_NAMES: Final[dict[str, tuple[str, str]]] = {
    "zip": ("tệp nén ZIP", "a ZIP archive"),
    "gpkg": ("GeoPackage", "a GeoPackage"),
    "sqlite": ("cơ sở dữ liệu SQLite (không phải GeoPackage)", "an SQLite database (not a GeoPackage)"),
    "json": ("JSON", "JSON"),
    "kml": ("KML", "KML"),
    "xml": ("XML (không phải KML)", "XML (not KML)"),
    "text": ("văn bản (CSV)", "text (CSV)"),
    "shp": ("tệp .shp đơn lẻ", "a bare .shp file"),
    "office": ("tài liệu Office (Excel/Word)", "an Office document (Excel/Word)"),
    "pdf": ("PDF", "a PDF document"),
    "image": ("ảnh", "an image"),
    "gzip": ("tệp nén gzip/7z/rar", "a gzip/7z/rar archive"),
    "binary": ("dữ liệu nhị phân không rõ", "unknown binary data"),
    "empty": ("tệp rỗng", "an empty file"),
}
_GPKG_APPLICATION_IDS: Final = (b"GPKG", b"GP10", b"GP11")
_BOMS: Final = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class FileKindError(GisError):
    """The file's bytes do not fit what it claims to be, or nothing we read."""

    def __init__(self, message: str, code: str, **extra: object) -> None:
        super().__init__(message)
        self.code = code
        self.extra = extra


def _strip_text_start(head: bytes) -> bytes:
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    return head.lstrip()


def sniff_kind(head: bytes) -> str:
    """The content kind of a file from its first bytes (see ``_KIND_NAMES`` for the set)."""
    if not head:
        return "empty"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg" if head[68:72] in _GPKG_APPLICATION_IDS else "sqlite"
    if head.startswith(b"\x00\x00\x27\x0a"):  # Shapefile main-file code 9994, big-endian
        return "shp"
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: .xls / .doc
        return "office"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")):
        return "image"
    if head.startswith((b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")):
        return "gzip"
    text = _strip_text_start(head)
    if text[:1] in (b"{", b"["):
        return "json"
    if text.startswith(b"<"):
        return "kml" if re.search(rb"<(?:\w+:)?kml[\s>]", text[:HEAD_BYTES]) else "xml"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def _describe(kind: str) -> tuple[str, str]:
    return _KIND_NAMES.get(kind, (kind, kind))


def format_for(filename: str, head: bytes) -> str:
    """The import format of an upload, checked against its bytes.

    Raises :class:`FileKindError` with code ``unsupported_format`` for an extension we do
    not read, ``empty_file`` for no bytes, and ``format_mismatch`` when the bytes are of
    another kind than the extension promises.
    """
    ext = PurePath(filename).suffix.lower()
    fmt = FORMAT_BY_EXTENSION.get(ext)
    kind = sniff_kind(head)
    accepted = ", ".join(sorted(FORMAT_BY_EXTENSION))
    if fmt is None:
        hint = ""
        if ext in (".shp", ".dbf", ".shx", ".prj"):
            hint = (" Hãy nén đủ .shp, .shx, .dbf, .prj vào một tệp .zip. / Zip the .shp, .shx, "
                    ".dbf and .prj together into one .zip.")
        raise FileKindError(
            f"Không hỗ trợ định dạng {ext or '(không có phần mở rộng)'} (chấp nhận: {accepted}). / "
            f"Unsupported file type {ext or '(no extension)'} (accepted: {accepted}).{hint}",
            "unsupported_format", accepted=sorted(FORMAT_BY_EXTENSION),
        )
    if kind == "empty":
        raise FileKindError("Tệp rỗng / the file is empty", "empty_file")
    expected = KIND_OF_FORMAT[fmt]
    if kind not in expected:
        want_vi, want_en = _describe(expected[0])
        got_vi, got_en = _describe(kind)
        raise FileKindError(
            f"Tệp có đuôi {ext} nhưng nội dung là {got_vi}, không phải {want_vi}. / "
            f"The file is named {ext} but contains {got_en}, not {want_en}.",
            "format_mismatch", extension=ext, detected=kind, expected=expected[0],
        )
    return fmt
