"""Load the peer-benchmark tables into an iocmap database, as catalogue layers.

The harness (bench/peers, copied from ../shared/bench/peers) generates ``reports``
(1,000,000 points) and ``parcels`` (100,000 polygons) in database ``bench`` of its private
cluster. Our server reads layers from ``layer_features``, so this script creates database
``iocmap`` in the same cluster, applies our Alembic migrations, and copies both tables into
two public layers with INSERT ... SELECT (all in SQL, ~30 s). The rows keep the harness's
physical order (time order, spatially random), as an import of that file would; then, as
after an import, each layer's tile store (``layers.tiles.store``: typed columns, spatial
order) and the thinning pyramid of the point layer are built.

Every column tipg serves becomes a feature property, so full-detail tiles carry the same
attributes as tipg's; only ``category`` and ``status`` (reports) and ``land_use`` (parcels)
are popup attributes, which is what the product's thinned tiles carry.

Usage: .venv/bin/python bench/tiles_load.py [--migrate-only] [ADMIN_DSN]   (default: the harness cluster)
Prints the database URL for the server. ``--migrate-only`` applies the migrations to an
``iocmap`` database loaded by an earlier run (the server expects the current schema) and
builds what is missing (tile stores of versions loaded before they existed).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.orm import Session

from layers.db import make_engine
from layers.migrate import upgrade
from layers.models import Layer
from layers.tiles.service import prepare_layer

PORT = os.environ.get("PB_PGPORT", "55432")
ADMIN_DSN = f"postgresql://postgres@127.0.0.1:{PORT}/postgres"
DB = "iocmap"


def attr(name: str, kind: str, vi: str, en: str, popup: bool) -> dict[str, object]:
    return {"name": name, "type": kind, "label_vi": vi, "label_en": en, "popup": popup}


LAYERS = {
    "reports": dict(
        title_vi="Phản ánh (thử tải)", title_en="Reports (benchmark)", geometry_type="Point",
        group="incidents", max_zoom=16, time_field="created_at",
        attributes=[
            attr("id", "integer", "Mã", "Id", False),
            attr("category", "string", "Loại", "Category", True),
            attr("status", "string", "Trạng thái", "Status", True),
            attr("created_at", "datetime", "Thời điểm", "Created at", False),
            attr("h3_r15", "integer", "Ô H3 r15", "H3 cell r15", False),
        ],
        properties="jsonb_build_object('id', id, 'category', category, 'status', status, "
                   "'created_at', to_char(created_at AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'h3_r15', h3_r15)",
        dt="created_at",
    ),
    "parcels": dict(
        title_vi="Thửa đất (thử tải)", title_en="Parcels (benchmark)", geometry_type="Polygon",
        group="planning", max_zoom=18, time_field=None,
        attributes=[
            attr("id", "integer", "Mã", "Id", False),
            attr("land_use", "string", "Loại đất", "Land use", True),
            attr("area_m2", "number", "Diện tích (m²)", "Area (m²)", False),
        ],
        properties="jsonb_build_object('id', id, 'land_use', land_use, 'area_m2', area_m2)",
        dt="NULL::timestamptz",
    ),
}


def create_layer(con: psycopg.Connection, slug: str, spec: dict) -> int:
    con.execute("DELETE FROM layers WHERE slug = %s", (slug,))
    layer_id = con.execute(
        """INSERT INTO layers (slug, title_vi, title_en, layer_group, kind, source, licence,
               geometry_type, visibility, style, options, default_on, sort_order, min_zoom,
               max_zoom, version, attributes, time_field)
           VALUES (%s, %s, %s, %s, 'upload', 'bench/peers/gen_data.py', 'synthetic', %s,
               'public', '{}', '{}', false, 900, 0, %s, 1, %s, %s) RETURNING id""",
        (slug, spec["title_vi"], spec["title_en"], spec["group"], spec["geometry_type"],
         spec["max_zoom"], psycopg.types.json.Jsonb(spec["attributes"]), spec["time_field"]),
    ).fetchone()[0]  # type: ignore[index]
    con.execute(
        """INSERT INTO layer_versions (layer_id, version, feature_count, attributes, report)
           VALUES (%s, 1, 0, %s, '{}')""",
        (layer_id, psycopg.types.json.Jsonb(spec["attributes"])))
    return int(layer_id)


def finish_layer(con: psycopg.Connection, layer_id: int) -> None:
    con.execute(
        """UPDATE layer_versions v SET feature_count = s.n,
               bbox = jsonb_build_array(ST_XMin(s.e), ST_YMin(s.e), ST_XMax(s.e), ST_YMax(s.e))
           FROM (SELECT count(*) AS n, ST_Extent(geom) AS e FROM layer_features
                 WHERE layer_id = %s AND version = 1) s
           WHERE v.layer_id = %s AND v.version = 1""", (layer_id, layer_id))


def prepare(url: str) -> None:
    """What ``iocmap serve`` and an import do after writing a version: the tile store of
    every layer (typed, in spatial order) and the thinning pyramid of the point layer."""
    engine = make_engine(url)
    with Session(engine) as session:
        for layer in session.query(Layer).filter(Layer.slug.in_(list(LAYERS))):
            t0 = time.perf_counter()
            rows = prepare_layer(session, layer)
            session.commit()
            print(f"{layer.slug}: tile store{f' and thinning pyramid ({rows} tile rows)' if rows else ''} "
                  f"ready in {time.perf_counter() - t0:.1f} s", flush=True)
    engine.dispose()


def main() -> None:
    """Load `reports` and `parcels` (or, with --migrate-only, bring an earlier load up to the
    current schema), then prepare their tiles."""
    args = [a for a in sys.argv[1:] if a != "--migrate-only"]
    admin = args[0] if args else ADMIN_DSN
    url = admin.rsplit("/", 1)[0] + "/" + DB
    if "--migrate-only" in sys.argv:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        prepare(url)
        return
    with psycopg.connect(admin, autocommit=True) as con:
        if not con.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone():
            con.execute(f"CREATE DATABASE {DB}")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE EXTENSION IF NOT EXISTS dblink")
        for slug, spec in LAYERS.items():
            t0 = time.perf_counter()
            layer_id = create_layer(con, slug, spec)
            # The source table lives in database `bench`; dblink streams it over (one pass).
            cols = f"id, {spec['properties']} AS properties, {spec['dt']} AS dt, geom"
            src = admin.rsplit("/", 1)[0] + "/bench"
            con.execute(
                f"""INSERT INTO layer_features (layer_id, version, fid, properties, dt, geom, geom_3857)
                    SELECT %s, 1, s.id, s.properties, s.dt, s.geom, ST_Transform(s.geom, 3857)
                    FROM dblink(%s, $q$SELECT {cols} FROM {slug} ORDER BY id$q$)
                         AS s(id bigint, properties jsonb, dt timestamptz, geom geometry)""",
                (layer_id, src))
            finish_layer(con, layer_id)
            print(f"{slug}: layer {layer_id} loaded in {time.perf_counter() - t0:.1f} s", flush=True)
        con.execute("VACUUM ANALYZE layer_features")
    prepare(url)
    print(url)


if __name__ == "__main__":
    main()
