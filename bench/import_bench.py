"""Benchmark the layer import pipeline: 100,000 features, read → validate → write.

Generates files in a private temp dir and imports each through the real pipeline
(``layers.ingest.pipeline.import_file``, the code behind the API and the CLI) into a
throwaway PostGIS cluster started with the same code as ``iocmap db start``:

* ``points.gpkg``        — 100k points, WGS 84, 5 attributes (Vietnamese text, int, float, date)
* ``points.geojson``     — the same points as GeoJSON
* ``points_vn2000.zip``  — the same points as a zipped Shapefile in VN-2000 / TM-3 108°30'
                           with a TCVN3 .dbf and no .cpg (detection + datum shift + re-decoding)
* ``parcels.gpkg``       — 100k small polygons (~20 vertices each), 1% of them bow-ties to repair

Usage: .venv/bin/python bench/import_bench.py [--features N] [--repeat R]
Prints one line per file: read, validate, write, total seconds and features/s (best of R).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import free_port

from gis.vn_charmaps import TCVN3_DECODE
from layers import layer_admin
from layers.cluster import Cluster
from layers.db import make_engine, make_sessionmaker, session_scope
from layers.ingest.options import ImportLimits, ImportOptions
from layers.ingest.pipeline import import_file
from layers.migrate import upgrade

TM3_PRJ = (
    'PROJCS["VN_2000_TM3_108_30",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",'
    'SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",108.5],PARAMETER["Scale_Factor",0.9999],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)
NAMES = ["Trường Tiểu học Nguyễn Du", "Trạm y tế xã Đức Minh", "Chợ Đắk Mil", "Nhà văn hóa thôn 3",
         "Ủy ban nhân dân xã Đắk Lao", "Bến xe Đức Mạnh", "Giếng nước sạch", "Cống thoát nước"]
_ENC = {c: b for b, c in sorted(TCVN3_DECODE.items(), reverse=True) if len(c) == 1}


def tcvn3_as_latin1(text: str) -> str:
    return bytes(ord(c) if c.isascii() else _ENC[c] for c in text).decode("latin-1")


def attributes(n: int, rng: np.random.Generator) -> dict[str, object]:
    return {
        "ten": [f"{NAMES[i % len(NAMES)]} {i}" for i in range(n)],
        "so_luong": rng.integers(0, 1000, n),
        "dien_tich": rng.uniform(10, 5000, n).round(2),
        "ngay": [f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)],
        "ma_xa": [f"24{664 + i % 10:03d}" for i in range(n)],
    }


def make_files(folder: Path, n: int) -> dict[str, tuple[Path, ImportOptions]]:
    rng = np.random.default_rng(2026)
    lon, lat = rng.uniform(107.45, 107.85, n), rng.uniform(12.3, 12.7, n)
    attrs = attributes(n, rng)
    points = gpd.GeoDataFrame(attrs, geometry=shapely.points(lon, lat), crs=4326)
    points.to_file(folder / "points.gpkg", engine="pyogrio", layer="points")
    points.to_file(folder / "points.geojson", engine="pyogrio", driver="GeoJSON")

    tm3 = points.to_crs("+proj=tmerc +lat_0=0 +lon_0=108.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
                        "+towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,"
                        "0.00427372,0.252906278 +units=m +no_defs")
    tm3["ten"] = [tcvn3_as_latin1(t) for t in tm3["ten"]]
    shp_dir = folder / "shp"
    shp_dir.mkdir()
    tm3 = tm3.set_crs(None, allow_override=True)  # the .prj is written by hand below, as ArcGIS would
    tm3.to_file(shp_dir / "points.shp", engine="pyogrio", encoding="latin1")
    (shp_dir / "points.cpg").unlink(missing_ok=True)
    (shp_dir / "points.prj").write_text(TM3_PRJ)
    with zipfile.ZipFile(folder / "points_vn2000.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for part in shp_dir.iterdir():
            z.write(part, part.name)

    angles = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    ring = np.column_stack([np.cos(angles), np.sin(angles)]) * 0.0004
    coords = ring[None, :, :] + np.column_stack([lon, lat])[:, None, :]
    polys = shapely.polygons(coords)
    bow = np.arange(0, n, 100)
    polys[bow] = [shapely.Polygon([(x, y), (x + 1e-3, y + 1e-3), (x + 1e-3, y), (x, y + 1e-3)])
                  for x, y in zip(lon[bow], lat[bow], strict=True)]
    gpd.GeoDataFrame(attrs, geometry=polys, crs=4326).to_file(folder / "parcels.gpkg", engine="pyogrio")
    return {
        "points.gpkg": (folder / "points.gpkg", ImportOptions()),
        "points.geojson": (folder / "points.geojson", ImportOptions()),
        "points_vn2000.zip": (folder / "points_vn2000.zip", ImportOptions()),
        "parcels.gpkg": (folder / "parcels.gpkg", ImportOptions()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="iocmap-import-bench-"))
    tmp.chmod(0o755)  # the cluster runs as the postgres user under root
    cluster = Cluster(tmp / "pg", port=free_port())
    try:
        t = time.perf_counter()
        files = make_files(tmp, args.features)
        print(f"generated {len(files)} files of {args.features:,} features "
              f"in {time.perf_counter() - t:.1f} s")
        cluster.start(fast_unsafe=False)
        engine = make_engine(cluster.url, pool_size=2)
        upgrade(engine)
        factory = make_sessionmaker(engine)
        print(f"{'file':<20}{'MB':>7}{'read s':>9}{'valid s':>9}{'write s':>9}{'total s':>9}{'feat/s':>10}"
              f"  notes")
        for name, (path, options) in files.items():
            best: tuple[float, dict] | None = None
            for _ in range(args.repeat):
                slug = f"bench-{name.replace('.', '-').replace('_', '-')}"
                with session_scope(factory) as s:
                    try:
                        layer_admin.managed_layer(s, slug)
                    except Exception:
                        layer_admin.create_layer(s, slug, {"title_vi": name}, None)
                start = time.perf_counter()
                with session_scope(factory) as s:
                    _, report = import_file(s, slug, path, path.name, options, ImportLimits(), None)
                total = time.perf_counter() - start  # includes the commit
                if best is None or total < best[0]:
                    best = (total, report)
            assert best is not None
            total, report = best
            tm = report["timings"]
            notes = (f"{report['geometry_type']}, crs {report['crs']['name']}, enc {report['encoding']}, "
                     f"repaired {report['repaired_count']}, rejected {report['rejected_count']}")
            print(f"{name:<20}{path.stat().st_size / 1e6:>7.1f}{tm['read_s']:>9.2f}{tm['validate_s']:>9.2f}"
                  f"{tm['write_s']:>9.2f}{total:>9.2f}{report['features_imported'] / total:>10,.0f}  {notes}")
        engine.dispose()
    finally:
        cluster.destroy()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
