"""The tiles of the 200-tile list where tipg serves every feature of both layers.

tipg stops at 10,000 features per tile without saying so; on the tiles listed here it
does not, so tipg and our full-detail tiles do exactly the same work. Counts use tipg's
own filter (ST_Intersects with the tile envelope transformed to EPSG:4326).

Usage: .venv/bin/python bench/tiles_complete.py BENCH_DSN TILES_IN TILES_OUT
"""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg

TIPG_LIMIT = 10_000
COUNT = """SELECT count(*) FROM {table}
           WHERE ST_Intersects(geom, ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326))"""


def main() -> None:
    dsn, src, out = sys.argv[1:4]
    tiles = [tuple(int(v) for v in line.split("/")) for line in Path(src).read_text().split() if line]
    keep, over = [], {"reports": 0, "parcels": 0}
    with psycopg.connect(dsn) as con:
        for z, x, y in tiles:
            counts = {t: con.execute(COUNT.format(table=t), (z, x, y)).fetchone()[0] for t in over}  # type: ignore[index]
            for t, n in counts.items():
                over[t] += n > TIPG_LIMIT
            if all(n <= TIPG_LIMIT for n in counts.values()):
                keep.append((z, x, y))
    Path(out).write_text("".join(f"{z}/{x}/{y}\n" for z, x, y in keep))
    by_zoom = {z: sum(1 for t in keep if t[0] == z) for z in sorted({t[0] for t in tiles})}
    print(f"{len(keep)} of {len(tiles)} tiles complete in tipg (per zoom {by_zoom}); "
          f"tiles over {TIPG_LIMIT} features: {over}")


if __name__ == "__main__":
    main()
