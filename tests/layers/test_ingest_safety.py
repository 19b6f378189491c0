"""Hostile and broken uploads are refused precisely and leave the database exactly as it was."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point
from sqlalchemy import text

from layers import layer_admin
from layers.errors import Conflict, InvalidInput
from layers.ingest import pipeline
from layers.ingest.archive import stage_upload
from layers.ingest.options import ImportLimits, ImportOptions
from layers.ingest.pipeline import import_file
from tests.layers.ingest_files import geojson, point_feature, shapefile_zip, zip_of

WGS84_PRJ = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
             'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]')


@pytest.fixture
def layer(db, tmp_path):
    """A layer with one committed version, so 'unchanged' has something to compare."""
    layer = layer_admin.create_layer(db, "cho", {"title_vi": "Chợ"}, None)
    db.flush()
    import_file(db, "cho", geojson(tmp_path / "v1.geojson", [point_feature(107.6, 12.4, ten="Chợ Đắk Mil")]),
                "v1.geojson", ImportOptions(), ImportLimits(), None)
    db.commit()
    return layer


def snapshot(db, layer):
    db.expire_all()
    return db.execute(text(
        "SELECT l.version, l.geometry_type, l.attributes::text, "
        "  (SELECT count(*) FROM layer_versions WHERE layer_id = l.id), "
        "  (SELECT count(*) FROM layer_features WHERE layer_id = l.id), "
        "  (SELECT count(*) FROM layer_features), (SELECT count(*) FROM layers) "
        "FROM layers l WHERE l.id = :l"), {"l": layer.id}).one()


def scratch_dirs() -> set[Path]:
    tmp = Path(tempfile.gettempdir())
    return set(tmp.glob("iocmap-ingest-*")) | set(tmp.glob("iocmap-upload-*"))


def refused(db, layer, path, code, limits=None, **options):
    """Import must fail with ``code`` and change nothing; returns the error for more checks."""
    before, dirs = snapshot(db, layer), scratch_dirs()
    with pytest.raises(InvalidInput) as err:
        import_file(db, "cho", path, path.name, ImportOptions(**options), limits or ImportLimits(), None)
    db.rollback()
    assert err.value.code == code, err.value.message
    assert snapshot(db, layer) == before
    assert scratch_dirs() <= dirs, "scratch directories left behind"
    return err.value


def test_zip_slip_members_are_refused(db, layer, tmp_path):
    for name in ("../../evil.shp", "/etc/cron.d/evil.shp", "a/../../evil.dbf", "C:\\evil.shp", "..\\evil.shp"):
        path = zip_of(tmp_path / "slip.zip", {"ok/layer.txt": b"x", name: b"\x00\x00\x27\x0a"})
        err = refused(db, layer, path, "unsafe_zip_member")
        assert err.extra["member"] == name
    assert not list(tmp_path.parent.glob("**/evil.*"))


def test_symlink_member_is_refused(db, layer, tmp_path):
    info = zipfile.ZipInfo("layer.shp")
    info.external_attr = 0o120777 << 16
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(info, "/etc/passwd")
    refused(db, layer, path, "unsafe_zip_member")


def test_zip_bomb_by_ratio_is_refused_before_inflating(db, layer, tmp_path):
    path = zip_of(tmp_path / "bomb.zip", {"layer.shp": b"\x00" * 30_000_000, "layer.dbf": b"",
                                          "layer.shx": b""})
    assert path.stat().st_size < 100_000
    err = refused(db, layer, path, "zip_bomb")
    assert err.extra["member"] == "layer.shp"


def test_zip_bomb_by_total_size_and_member_count(db, layer, tmp_path):
    path = zip_of(tmp_path / "big.zip", {"a.csv": b"x,y\n" * 10_000}, zipfile.ZIP_STORED)
    refused(db, layer, path, "zip_bomb", ImportLimits(zip_max_uncompressed_bytes=10_000))
    path = zip_of(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(20)})
    err = refused(db, layer, path, "zip_bomb", ImportLimits(zip_max_members=10))
    assert err.extra["members"] == 20


def test_encrypted_zip_is_refused(db, layer, tmp_path):
    path = zip_of(tmp_path / "secret.zip", {"layer.shp": b"data"})
    raw = bytearray(path.read_bytes())
    # set the "encrypted" flag in the local header and the central directory entry
    raw[6] |= 1
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 8] |= 1
    path.write_bytes(bytes(raw))
    refused(db, layer, path, "zip_encrypted")


def test_zip_renamed_geojson_is_refused_clearly(db, layer, tmp_path):
    gdf = gpd.GeoDataFrame({"ten": ["a"]}, geometry=[Point(107.6, 12.4)], crs=4326)
    real = shapefile_zip(tmp_path, gdf, "duong", prj=WGS84_PRJ)
    fake = tmp_path / "duong.geojson"
    fake.write_bytes(real.read_bytes())
    err = refused(db, layer, fake, "format_mismatch")
    assert err.extra["detected"] == "zip" and "ZIP" in err.message


def test_too_large_file_is_refused(db, layer, tmp_path):
    path = geojson(tmp_path / "a.geojson", [point_feature(107.6, 12.4)] * 20)
    err = refused(db, layer, path, "file_too_large", ImportLimits(max_bytes=500))
    assert err.extra["limit_bytes"] == 500


def test_staging_refuses_an_oversized_stream_and_cleans_up(tmp_path):
    import io

    dirs = scratch_dirs()
    with pytest.raises(InvalidInput) as err:
        stage_upload(io.BytesIO(b"x" * 5000), "../../a.geojson", ImportLimits(max_bytes=1000))
    assert err.value.code == "file_too_large"
    assert scratch_dirs() <= dirs
    with stage_upload(io.BytesIO(b"{}"), "../../thu muc/a.GeoJSON", ImportLimits()) as staged:
        assert staged.filename == "a.GeoJSON" and staged.path.name == "upload.geojson"
        assert (staged.path.parent.stat().st_mode & 0o777) == 0o700
    assert not staged.directory.exists()


def test_incomplete_shapefile_and_zip_without_data(db, layer, tmp_path):
    gdf = gpd.GeoDataFrame({"ten": ["a"]}, geometry=[Point(107.6, 12.4)], crs=4326)
    path = shapefile_zip(tmp_path, gdf, "thieu", prj=WGS84_PRJ, drop=(".dbf",))
    err = refused(db, layer, path, "shapefile_incomplete")
    assert err.extra["missing"] == [".dbf"]
    refused(db, layer, zip_of(tmp_path / "doc.zip", {"readme.txt": b"hi", "b.pdf": b"%PDF"}), "no_layer_in_zip")


def test_zip_with_two_shapefiles_needs_a_choice_and_ignores_macos_junk(db, layer, tmp_path):
    gdf = gpd.GeoDataFrame({"ten": ["a"]}, geometry=[Point(107.6, 12.4)], crs=4326)
    one, two = shapefile_zip(tmp_path, gdf, "mot", prj=WGS84_PRJ), shapefile_zip(tmp_path, gdf, "hai", prj=WGS84_PRJ)
    members = {}
    for z in (one, two):
        with zipfile.ZipFile(z) as src:
            members |= {n: src.read(n) for n in src.namelist()}
    members["__MACOSX/mot/._mot.shp"] = b"junk"
    path = zip_of(tmp_path / "hai_lop.zip", members)
    err = refused(db, layer, path, "table_required")
    assert err.extra["tables"] == ["hai/hai", "mot/mot"]
    version, report = import_file(db, "cho", path, path.name, ImportOptions(table="mot"), ImportLimits(), None)
    assert version.feature_count == 1 and report["table"] == "mot/mot"


def test_zip_holding_one_geojson_is_read(db, layer, tmp_path):
    inner = geojson(tmp_path / "in.geojson", [point_feature(107.6, 12.4, ten="x")])
    path = zip_of(tmp_path / "goi.zip", {"du_lieu/in.geojson": inner.read_bytes()})
    version, report = import_file(db, "cho", path, path.name, ImportOptions(), ImportLimits(), None)
    assert report["format"] == "geojson" and version.feature_count == 1


def test_corrupt_files_are_unreadable_not_500(db, layer, tmp_path):
    bad = tmp_path / "hong.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    refused(db, layer, bad, "unreadable_file")
    bad_zip = tmp_path / "hong.zip"
    bad_zip.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    refused(db, layer, bad_zip, "bad_zip")
    gpkg = tmp_path / "hong.gpkg"
    gpkg.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    refused(db, layer, gpkg, "unreadable_file")


def test_file_with_only_bad_rows_is_refused_with_the_rows(db, layer, tmp_path):
    path = geojson(tmp_path / "xau.geojson", [
        {"type": "Feature", "properties": {}, "geometry": None},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [500, 12]}},
    ])
    err = refused(db, layer, path, "no_valid_features")
    assert [(r["row"], r["code"]) for r in err.extra["rejected"]] == [(1, "null_geometry"), (2, "out_of_range")]


def test_a_failure_in_the_middle_of_writing_leaves_everything_as_it_was(db, layer, tmp_path, monkeypatch):
    def broken(rows, progress, every=5000):
        yield from rows[:3]
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "_counted", broken)
    path = geojson(tmp_path / "v2.geojson", [point_feature(107.6 + i / 1000, 12.4, n=i) for i in range(10)])
    before = snapshot(db, layer)
    with pytest.raises(OSError):
        import_file(db, "cho", path, path.name, ImportOptions(), ImportLimits(), None)
    db.rollback()
    assert snapshot(db, layer) == before
    assert before[0] == 1 and before[3] == 1


def test_default_boundary_layers_cannot_be_imported_over(db, tmp_path):
    path = geojson(tmp_path / "a.geojson", [point_feature(107.6, 12.4)])
    with pytest.raises(Conflict) as err:
        import_file(db, "communes", path, path.name, ImportOptions(), ImportLimits(), None)
    assert err.value.code == "default_layer_locked"


def test_csv_whose_rows_all_have_bad_coordinates_lists_them(db, layer, tmp_path):
    path = tmp_path / "xau.csv"
    path.write_text("ten,lon,lat\nA,,12.4\nB,107.6,bac\nC,1,2,3\n", encoding="utf-8")
    err = refused(db, layer, path, "no_valid_features")
    assert [(r["row"], r["code"]) for r in err.extra["rejected"]] == [(1, "bad_coordinate"), (2, "bad_coordinate"),
                                                                       (3, "bad_row")]
    header_only = tmp_path / "rong.csv"
    header_only.write_text("ten,lon,lat\n", encoding="utf-8")
    refused(db, layer, header_only, "no_features")
