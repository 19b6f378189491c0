# ruff: noqa
# Copied unchanged from ../shared/bench/peers/gen_data.py (the team's peer-benchmark harness) so that
# bench/ runs on its own; kept verbatim (hence no lint) to stay diffable against the original.
"""Deterministic synthetic data for the peer benchmarks (Dak Mil district bbox).

Tables (recreated on every run):
  reports(id bigint pk, category text, status text, created_at timestamptz,
          h3_r15 bigint, geom geometry(Point,4326))          -- 1,000,000 rows
  parcels(id bigint pk, land_use text, area_m2 double precision,
          geom geometry(Polygon,4326))                        -- 100,000 rows

Points: mixture of 15 anisotropic gaussians (towns / commune centres / farm
clusters, Zipf-like weights) + 15 % uniform noise, clipped to the bbox.
Rows are ordered by created_at (append-only event table), so id order is time
order and spatially random - the realistic worst case for bbox reads.
h3_r15 = H3 res-15 cell of the point (computed with h3ronpy), as BIGINT.

Usage: python gen_data.py DSN [--points N] [--parcels N] [--seed S]
"""
import argparse
import hashlib
import io
import math
import sys
import time

import numpy as np
import psycopg
import pyarrow as pa
from h3ronpy.vector import coordinates_to_cells

LON0, LON1, LAT0, LAT1 = 107.45, 107.80, 12.30, 12.60
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320 * math.cos(math.radians(12.45))

CATEGORIES = np.array([
    "pothole", "streetlight", "garbage", "flooding", "illegal_dumping", "noise",
    "water_supply", "power_outage", "traffic", "tree_fall", "animal", "other"])
CAT_P = np.array([18, 12, 16, 7, 9, 5, 8, 6, 7, 4, 3, 5], dtype=float)
STATUSES = np.array(["new", "in_progress", "resolved", "rejected"])
STATUS_P = np.array([15, 20, 55, 10], dtype=float)
LAND_USE = np.array(["residential", "coffee", "pepper", "rice", "forest", "public"])
LAND_P = np.array([30, 30, 15, 10, 10, 5], dtype=float)

T0 = np.datetime64("2023-01-01T00:00:00", "s")
SPAN_S = int((np.datetime64("2025-01-01T00:00:00", "s") - T0) / np.timedelta64(1, "s"))


def centres(rng):
    """15 cluster centres; the first one is the district town."""
    c = [(107.615, 12.448, 1.6, 1.1, 0.3, 30.0)]  # lon, lat, sigma_x km, sigma_y km, angle rad, weight
    for k in range(14):
        lon = rng.uniform(LON0 + 0.03, LON1 - 0.03)
        lat = rng.uniform(LAT0 + 0.03, LAT1 - 0.03)
        sx = rng.uniform(0.3, 2.5)
        sy = sx * rng.uniform(0.4, 1.0)
        ang = rng.uniform(0, math.pi)
        w = 20.0 / (k + 2) ** 0.9  # Zipf-like
        c.append((lon, lat, sx, sy, ang, w))
    return c


def sample_points(rng, n, cents, noise_frac):
    out_lon = np.empty(0)
    out_lat = np.empty(0)
    w = np.array([c[5] for c in cents])
    w = w / w.sum()
    while out_lon.size < n:
        m = int((n - out_lon.size) * 1.1) + 16
        is_noise = rng.random(m) < noise_frac
        comp = rng.choice(len(cents), size=m, p=w)
        z = rng.standard_normal((m, 2))
        lon = np.empty(m)
        lat = np.empty(m)
        for k, (clon, clat, sx, sy, ang, _) in enumerate(cents):
            sel = comp == k
            dx = z[sel, 0] * sx
            dy = z[sel, 1] * sy
            ca, sa = math.cos(ang), math.sin(ang)
            lon[sel] = clon + (dx * ca - dy * sa) / KM_PER_DEG_LON
            lat[sel] = clat + (dx * sa + dy * ca) / KM_PER_DEG_LAT
        lon[is_noise] = rng.uniform(LON0, LON1, is_noise.sum())
        lat[is_noise] = rng.uniform(LAT0, LAT1, is_noise.sum())
        ok = (lon > LON0) & (lon < LON1) & (lat > LAT0) & (lat < LAT1)
        out_lon = np.concatenate([out_lon, lon[ok]])
        out_lat = np.concatenate([out_lat, lat[ok]])
    return out_lon[:n], out_lat[:n]


def ewkb_point_hex(lon, lat):
    """Vectorised hex EWKB (little endian, SRID 4326) for points."""
    n = lon.size
    buf = np.zeros((n, 25), dtype=np.uint8)
    buf[:, 0] = 1
    buf[:, 1:5] = np.frombuffer(np.uint32(0x20000001).tobytes(), np.uint8)
    buf[:, 5:9] = np.frombuffer(np.uint32(4326).tobytes(), np.uint8)
    buf[:, 9:17] = lon.astype("<f8").view(np.uint8).reshape(n, 8)
    buf[:, 17:25] = lat.astype("<f8").view(np.uint8).reshape(n, 8)
    return np.frombuffer(buf.tobytes().hex().upper().encode(), dtype="S50")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dsn")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20240601)
    a = ap.parse_args()

    t_start = time.perf_counter()
    rng = np.random.default_rng(a.seed)
    cents = centres(rng)

    # ---------------- reports ----------------
    n = a.points
    lon, lat = sample_points(rng, n, cents, noise_frac=0.15)
    cat = rng.choice(len(CATEGORIES), size=n, p=CAT_P / CAT_P.sum())
    st = rng.choice(len(STATUSES), size=n, p=STATUS_P / STATUS_P.sum())
    # growth trend over 2 years (density rises ~2x), daytime-peaked hour of day
    day = np.floor((np.sqrt(1 + 3 * rng.random(n)) - 1) * (SPAN_S // 86400)).astype(np.int64)
    day = np.clip(day, 0, SPAN_S // 86400 - 1)
    hour = np.clip(rng.normal(13.0, 4.0, n), 0, 23.999)
    secs = day * 86400 + (hour * 3600).astype(np.int64)
    order = np.argsort(secs, kind="stable")
    lon, lat, cat, st, secs = lon[order], lat[order], cat[order], st[order], secs[order]
    ts = (T0 + secs.astype("timedelta64[s]")).astype(str)
    h3_15 = pa.array(coordinates_to_cells(lat, lon, 15)).to_numpy().astype(np.int64)
    geom = ewkb_point_hex(lon, lat)
    digest = hashlib.sha256(lon.tobytes() + lat.tobytes() + secs.tobytes() + cat.tobytes()).hexdigest()[:16]
    t_gen = time.perf_counter() - t_start

    with psycopg.connect(a.dsn, autocommit=True) as con:
        con.execute("set timezone='UTC'")
        con.execute("drop table if exists reports")
        con.execute("drop table if exists parcels")
        con.execute("""create table reports(
            id bigint primary key, category text not null, status text not null,
            created_at timestamptz not null, h3_r15 bigint not null,
            geom geometry(Point,4326) not null)""")
        t0 = time.perf_counter()
        with con.cursor() as cur:
            with cur.copy("copy reports(id,category,status,created_at,h3_r15,geom) from stdin") as cp:
                step = 200_000
                for s in range(0, n, step):
                    e = min(n, s + step)
                    lines = "\n".join(
                        f"{i + 1}\t{c}\t{s_}\t{t}Z\t{h}\t{g.decode()}"
                        for i, c, s_, t, h, g in zip(
                            range(s, e), CATEGORIES[cat[s:e]], STATUSES[st[s:e]],
                            ts[s:e], h3_15[s:e], geom[s:e]))
                    cp.write(lines + "\n")
        t_copy_r = time.perf_counter() - t0

        # ---------------- parcels ----------------
        m = a.parcels
        rng2 = np.random.default_rng(a.seed + 1)
        # parcel centres: 75 % around the same settlements (wider spread), 25 % uniform
        wide = [(c[0], c[1], c[2] * 2.0, c[3] * 2.0, c[4], c[5]) for c in cents]
        plon, plat = sample_points(rng2, m, wide, noise_frac=0.25)
        w_m = rng2.uniform(15, 80, m)
        h_m = w_m * rng2.uniform(1.0, 3.0, m)
        ang = rng2.uniform(0, math.pi, m)
        corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
        jit = rng2.uniform(-0.08, 0.08, (m, 4, 2))
        dx = (corners[None, :, 0] + jit[:, :, 0]) * w_m[:, None]
        dy = (corners[None, :, 1] + jit[:, :, 1]) * h_m[:, None]
        ca, sa = np.cos(ang)[:, None], np.sin(ang)[:, None]
        xs = plon[:, None] + (dx * ca - dy * sa) / 1000.0 / KM_PER_DEG_LON
        ys = plat[:, None] + (dx * sa + dy * ca) / 1000.0 / KM_PER_DEG_LAT
        lu = rng2.choice(len(LAND_USE), size=m, p=LAND_P / LAND_P.sum())
        # shoelace area in m2 of the jittered quad (before projection)
        area = 0.5 * np.abs(np.sum(dx * np.roll(dy, -1, axis=1) - np.roll(dx, -1, axis=1) * dy, axis=1))
        con.execute("""create table parcels(
            id bigint primary key, land_use text not null, area_m2 double precision not null,
            geom geometry(Polygon,4326) not null)""")
        t0 = time.perf_counter()
        with con.cursor() as cur:
            with cur.copy("copy parcels(id,land_use,area_m2,geom) from stdin") as cp:
                buf = io.StringIO()
                for i in range(m):
                    x, y = xs[i], ys[i]
                    buf.write(
                        f"{i + 1}\t{LAND_USE[lu[i]]}\t{area[i]:.1f}\tSRID=4326;POLYGON(("
                        f"{x[0]:.7f} {y[0]:.7f},{x[1]:.7f} {y[1]:.7f},{x[2]:.7f} {y[2]:.7f},"
                        f"{x[3]:.7f} {y[3]:.7f},{x[0]:.7f} {y[0]:.7f}))\n")
                cp.write(buf.getvalue())
        t_copy_p = time.perf_counter() - t0

        t0 = time.perf_counter()
        con.execute("create index reports_geom_gist on reports using gist(geom)")
        con.execute("create index reports_created_at on reports(created_at)")
        con.execute("create index parcels_geom_gist on parcels using gist(geom)")
        con.execute("vacuum analyze reports")
        con.execute("vacuum analyze parcels")
        t_idx = time.perf_counter() - t0
        row = con.execute("""select count(*), min(created_at), max(created_at),
                 st_astext(st_extent(geom)::geometry)
                 from reports""").fetchone()
        sizes = con.execute("""select pg_size_pretty(pg_total_relation_size('reports')),
                 pg_size_pretty(pg_total_relation_size('parcels')),
                 (select count(*) from parcels), (select avg(area_m2) from parcels)""").fetchone()

    print(f"seed={a.seed} points={n} parcels={m} digest={digest}")
    print(f"numpy generation {t_gen:.1f}s, COPY reports {t_copy_r:.1f}s, COPY parcels {t_copy_p:.1f}s, "
          f"indexes+vacuum analyze {t_idx:.1f}s, total {time.perf_counter() - t_start:.1f}s")
    print(f"reports: count={row[0]} created_at {row[1]} .. {row[2]} extent={row[3]}")
    print(f"sizes: reports {sizes[0]} parcels {sizes[1]} (n={sizes[2]}, mean area {sizes[3]:.0f} m2)")


if __name__ == "__main__":
    main()
