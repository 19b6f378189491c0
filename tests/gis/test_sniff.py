"""Uploads are recognised by their bytes; a file that is not what its name says is refused."""

import io
import sqlite3
import zipfile

import pytest

from gis.sniff import FileKindError, format_for, sniff_kind


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "x")
    return buf.getvalue()


def _sqlite_bytes(tmp_path, application_id: int | None) -> bytes:
    path = tmp_path / f"x{application_id}.sqlite"
    con = sqlite3.connect(path)
    if application_id is not None:
        con.execute(f"PRAGMA application_id = {application_id}")
    con.execute("CREATE TABLE t (a)")
    con.commit()
    con.close()
    return path.read_bytes()[:8192]


GPKG_ID = int.from_bytes(b"GPKG", "big")


@pytest.mark.parametrize("head, kind", [
    (b'{"type": "FeatureCollection"}', "json"),
    (b"\xef\xbb\xbf  [1, 2]", "json"),
    (b'<?xml version="1.0"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">', "kml"),
    (b'<?xml version="1.0"?><gpx version="1.1">', "xml"),
    (b"ten,lon,lat\nA,107.6,12.4\n", "text"),
    (b"\x00\x00\x27\x0a" + b"\x00" * 96, "shp"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "office"),
    (b"%PDF-1.7", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"", "empty"),
    (b"abc\x00\x01\x02", "binary"),
])
def test_sniff_kind_recognises_common_contents(head, kind):
    assert sniff_kind(head) == kind


def test_zip_and_geopackage_headers_are_recognised(tmp_path):
    assert sniff_kind(_zip_bytes()) == "zip"
    assert sniff_kind(_sqlite_bytes(tmp_path, GPKG_ID)) == "gpkg"
    assert sniff_kind(_sqlite_bytes(tmp_path, None)) == "sqlite"


@pytest.mark.parametrize("name, head, fmt", [
    ("duong.geojson", b'{"type":"FeatureCollection","features":[]}', "geojson"),
    ("Duong.JSON", b'{"type":"FeatureCollection","features":[]}', "geojson"),
    ("truong.kml", b"<kml xmlns='http://www.opengis.net/kml/2.2'>", "kml"),
    ("diem.csv", b"x,y\n1,2\n", "csv"),
])
def test_format_for_accepts_files_that_are_what_they_say(name, head, fmt):
    assert format_for(name, head) == fmt


def test_zip_renamed_geojson_is_refused_with_both_kinds_named():
    with pytest.raises(FileKindError) as err:
        format_for("ban_do.geojson", _zip_bytes())
    assert err.value.code == "format_mismatch"
    assert err.value.extra == {"extension": ".geojson", "detected": "zip", "expected": "json"}
    assert "ZIP" in err.value.message and ".geojson" in err.value.message


@pytest.mark.parametrize("name, head, detected", [
    ("a.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "office"),
    ("a.zip", b'{"a": 1}', "json"),
    ("a.kml", b'{"a": 1}', "json"),
    ("a.gpkg", b"x,y\n", "text"),
    ("a.kmz", b"<kml>", "kml"),
])
def test_other_mismatches_are_refused(name, head, detected):
    with pytest.raises(FileKindError) as err:
        format_for(name, head)
    assert err.value.code == "format_mismatch"
    assert err.value.extra["detected"] == detected


def test_a_bare_shp_is_refused_with_a_hint_to_zip_it():
    with pytest.raises(FileKindError) as err:
        format_for("duong.shp", b"\x00\x00\x27\x0a")
    assert err.value.code == "unsupported_format"
    assert ".zip" in err.value.message


def test_empty_file_is_refused():
    with pytest.raises(FileKindError) as err:
        format_for("a.geojson", b"")
    assert err.value.code == "empty_file"
