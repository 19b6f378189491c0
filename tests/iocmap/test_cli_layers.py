"""``iocmap layers import``, ``list`` and ``prepare``, run as a planner would run them."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from iocmap.cli import app
from layers import layer_admin
from layers.db import make_sessionmaker, session_scope
from layers.errors import NotFound
from tests.layers.ingest_files import KML, KML_LINE_FOLDER


@pytest.fixture
def runner(engine, database_url, monkeypatch):
    monkeypatch.setenv("IOCMAP_DATABASE_URL", database_url)
    return CliRunner()


@pytest.fixture
def slug(engine):
    """A unique slug; the CLI commits, so the layer is deleted again afterwards."""
    name = f"cli-{uuid.uuid4().hex[:8]}"
    yield name
    with session_scope(make_sessionmaker(engine)) as s, contextlib.suppress(NotFound):
        layer_admin.delete_layer(s, name)


def count_layers(engine, slug):
    with engine.connect() as c:
        return c.execute(text("SELECT count(*) FROM layers WHERE slug = :s"), {"s": slug}).scalar_one()


def test_import_with_create_shows_the_report_and_list_shows_the_layer(runner, slug, tmp_path):
    path = tmp_path / "cho.csv"
    path.write_text("ten,lon,lat\nChợ Đắk Mil,107.65,12.45\nChợ lỗi,x,12.4\nChợ Đức Mạnh,107.66,12.46\n",
                    encoding="utf-8")
    r = runner.invoke(app, ["layers", "import", str(path), "--slug", slug, "--create", "--title", "Chợ",
                            "--crs", "EPSG:4326"])
    assert r.exit_code == 0, r.output
    assert "WGS 84" in r.output and "utf-8" in r.output
    assert "row 2: bad_coordinate" in r.output
    r = runner.invoke(app, ["layers", "list"])
    line = next(line for line in r.output.splitlines() if slug in line)
    assert line.split()[:5] == [slug, "1", "2", "Point", "internal"]
    # a second import is a new version of the same layer
    r = runner.invoke(app, ["layers", "import", str(path), "--slug", slug, "--crs", "EPSG:4326"])
    assert r.exit_code == 0 and "version" in r.output
    line = next(line for line in runner.invoke(app, ["layers", "list"]).output.splitlines() if slug in line)
    assert line.split()[:3] == [slug, "2", "2"]


def test_failed_import_with_create_leaves_no_layer_behind(runner, engine, slug, tmp_path):
    path = tmp_path / "tron.kml"
    path.write_text(KML.format(extra=KML_LINE_FOLDER), encoding="utf-8")
    r = runner.invoke(app, ["layers", "import", str(path), "--slug", slug, "--create"])
    assert r.exit_code == 1
    assert "mixes geometry types" in r.output and '"point": 3' in r.output
    assert count_layers(engine, slug) == 0
    r = runner.invoke(app, ["layers", "import", str(path), "--slug", slug, "--create", "--geometry", "point"])
    assert r.exit_code == 0, r.output
    assert "row 4: other_geometry_type" in r.output
    assert count_layers(engine, slug) == 1


def test_import_into_a_missing_layer_or_a_missing_file_fails_clearly(runner, slug, tmp_path):
    path = tmp_path / "a.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    r = runner.invoke(app, ["layers", "import", str(path), "--slug", slug])
    assert r.exit_code == 1 and "no such layer" in r.output
    r = runner.invoke(app, ["layers", "import", str(tmp_path / "khong_co.zip"), "--slug", slug])
    assert r.exit_code == 2


def test_default_layers_are_refused(runner, tmp_path):
    path = tmp_path / "a.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    r = runner.invoke(app, ["layers", "import", str(path), "--slug", "communes"])
    assert r.exit_code == 1 and "default" in r.output


def test_prepare_builds_a_missing_tile_store(runner, engine, slug, tmp_path):
    path = tmp_path / "cho.csv"
    path.write_text("ten,lon,lat\nChợ Đắk Mil,107.65,12.45\n", encoding="utf-8")
    assert runner.invoke(app, ["layers", "import", str(path), "--slug", slug, "--create", "--title", "Chợ",
                               "--crs", "EPSG:4326"]).exit_code == 0
    with engine.begin() as c:  # as if the version had been written before tile stores existed
        layer_id = c.execute(text("SELECT id FROM layers WHERE slug = :s"), {"s": slug}).scalar_one()
        c.execute(text(f"DROP TABLE tile_store.l{layer_id}_v1"))
        c.execute(text("DELETE FROM layer_tile_stores WHERE layer_id = :l"), {"l": layer_id})
    r = runner.invoke(app, ["layers", "prepare"])
    assert r.exit_code == 0, r.output
    assert int(r.output.rsplit(":", 1)[1]) >= 1
    with engine.connect() as c:  # an integer id only
        assert c.execute(text(f"SELECT count(*) FROM tile_store.l{layer_id}_v1")).scalar_one() == 1  # noqa: S608
    assert "tile stores built: 0" in runner.invoke(app, ["layers", "prepare"]).output
