# ruff: noqa
# Copied unchanged from ../shared/bench/peers/gen_tiles.py (the team's peer-benchmark harness) so that
# bench/ runs on its own; kept verbatim (hence no lint) to stay diffable against the original.
"""Deterministic list of 200 XYZ tiles (WebMercatorQuad) over the reports data.

z12: all 20 tiles covering the district bbox; z14: 90 and z16: 90 distinct tiles
picked data-weighted (tile of a randomly drawn report, seeded), i.e. where a
map user would actually look. Writes lines "z/x/y" to the output file.

Usage: python gen_tiles.py DSN OUT_FILE
"""
import sys

import mercantile
import numpy as np
import psycopg

LON0, LON1, LAT0, LAT1 = 107.45, 107.80, 12.30, 12.60
QUOTA = {14: 90, 16: 90}


def main():
    dsn, out = sys.argv[1], sys.argv[2]
    with psycopg.connect(dsn) as con:
        xy = np.array(con.execute("select st_x(geom), st_y(geom) from reports order by id").fetchall())
    rng = np.random.default_rng(4242)
    tiles = [(t.z, t.x, t.y) for t in mercantile.tiles(LON0, LAT0, LON1, LAT1, [12])]
    for z, q in QUOTA.items():
        seen = []
        for i in rng.permutation(len(xy)):
            t = mercantile.tile(xy[i, 0], xy[i, 1], z)
            k = (t.z, t.x, t.y)
            if k not in seen:
                seen.append(k)
                if len(seen) == q:
                    break
        tiles += seen
    with open(out, "w") as f:
        for z, x, y in tiles:
            f.write(f"{z}/{x}/{y}\n")
    print(f"wrote {len(tiles)} tiles to {out}")


if __name__ == "__main__":
    main()
