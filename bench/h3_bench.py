"""Benchmark of the leaders' analytics and live feed (issue 5).

Loads 1,000,000 reports over two years and 50,000 incidents into a throwaway PostGIS
cluster, then measures:
  * the H3 heatmap for the whole district over one year, resolutions 5-9: the SQL
    aggregation alone, the layer function (GeoJSON built) and the HTTP endpoint;
  * the Gi* hotspot computation for one year at resolution 8;
  * live events: 200 concurrent SSE clients of a real uvicorn server, latency from the
    commit of a change to its arrival at every client.

    .venv/bin/python bench/h3_bench.py [--reports 1000000] [--incidents 50000] [--runs 40]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import h3
import httpx
import numpy as np
import shapely
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import free_port, pct, shut_down, start_server  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from layers import accounts  # noqa: E402
from layers.analytics import heatmap, hotspots, rollup, window  # noqa: E402
from layers.cluster import Cluster  # noqa: E402
from layers.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from layers.defaults import load_defaults  # noqa: E402
from layers.migrate import upgrade  # noqa: E402
from layers.settings import get_settings  # noqa: E402

PASSWORD = "mat-khau-bench-1"
NOW = datetime.now(UTC)


# ---- data --------------------------------------------------------------------------------


def district_points(session, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points inside the district: 65 % around settlements, 35 % spread out; with communes."""
    rows = session.execute(
        text("""
        SELECT code, ST_AsBinary(geom) FROM admin_units WHERE level = 'commune' AND geom IS NOT NULL
          AND (valid_to IS NULL OR valid_to >= DATE '2025-06-30')
          AND (valid_from IS NULL OR valid_from <= DATE '2025-06-30')
        ORDER BY code""")
    ).all()
    communes = [(code, shapely.from_wkb(bytes(wkb))) for code, wkb in rows]
    union = shapely.union_all([g for _, g in communes])
    minx, miny, maxx, maxy = union.bounds
    centres = np.array([[g.representative_point().x, g.representative_point().y] for _, g in communes])
    lons, lats = np.empty(0), np.empty(0)
    while len(lons) < n:
        m = int((n - len(lons)) * 1.6) + 1000
        clustered = rng.random(m) < 0.65
        pick = centres[rng.integers(0, len(centres), m)]
        x = np.where(clustered, pick[:, 0] + rng.normal(0, 0.012, m), rng.uniform(minx, maxx, m))
        y = np.where(clustered, pick[:, 1] + rng.normal(0, 0.012, m), rng.uniform(miny, maxy, m))
        inside = shapely.contains_xy(union, x, y)
        lons, lats = np.concatenate([lons, x[inside]]), np.concatenate([lats, y[inside]])
    lons, lats = lons[:n], lats[:n]
    commune = np.full(n, communes[0][0], dtype=object)
    for code, g in communes:
        commune[shapely.contains_xy(g, lons, lats)] = code
    return lons, lats, commune


def cells(lons: np.ndarray, lats: np.ndarray) -> dict[int, np.ndarray]:
    return {
        r: np.fromiter(
            (h3.str_to_int(h3.latlng_to_cell(y, x, r)) for x, y in zip(lons, lats, strict=True)),
            dtype=np.int64,
            count=len(lons),
        )
        for r in range(5, 11)
    }


def load_reports(engine, n: int, rng: np.random.Generator) -> None:
    with session_scope(make_sessionmaker(engine)) as s:
        lons, lats, commune = district_points(s, n, rng)
        cats = [r[0] for r in s.execute(text("SELECT id FROM feedback_categories ORDER BY id"))]
        agencies = [r[0] for r in s.execute(text("SELECT id FROM agencies ORDER BY id"))]
    t = time.perf_counter()
    hexes = cells(lons, lats)
    print(f"  h3 cells for {n:,} points x 6 resolutions: {time.perf_counter() - t:.1f} s")
    # In time order, as a live system writes them (physical order follows received_at).
    received = sorted(NOW - timedelta(days=730) * rng.random(n))
    age_days = np.array([(NOW - r).total_seconds() / 86400 for r in received])
    u = rng.random(n)
    old = age_days > 45
    status = np.where(
        old,
        np.select(
            [u < 0.85, u < 0.90, u < 0.93, u < 0.96, u < 0.98],
            ["closed", "rejected", "duplicate", "resolved", "in_progress"],
            "received",
        ),
        np.select(
            [u < 0.35, u < 0.45, u < 0.60, u < 0.80],
            ["closed", "resolved", "in_progress", "assigned"],
            "received",
        ),
    )
    handle = rng.gamma(2.0, 4.0, n)
    category = rng.choice(cats, n, p=np.linspace(2, 1, len(cats)) / np.linspace(2, 1, len(cats)).sum())
    agency = rng.choice(agencies, n)
    buf = io.StringIO()
    for i in range(n):
        rec = received[i]
        st = status[i]
        due = rec + timedelta(days=14)
        resolved = rec + timedelta(days=float(handle[i])) if st in ("closed", "resolved") else None
        closed = (resolved or rec + timedelta(days=2)) if st in ("closed", "rejected", "duplicate") else None
        rating = int(rng.integers(1, 6)) if st == "closed" and i % 3 == 0 else None
        fields = [
            f"DM-{rec.year}-{i:07d}",
            str(category[i]),
            "Phản ánh thử",
            "Nội dung thử",
            "{}",
            st,
            "web",
            f"SRID=4326;POINT({lons[i]:.6f} {lats[i]:.6f})",
            "point",
            commune[i],
            "Xã",
            *(str(hexes[r][i]) for r in range(5, 11)),
            str(agency[i]),
            "thử",
            "test",
            rec.isoformat(),
            "10",
            due.isoformat(),
            resolved.isoformat() if resolved else "\\N",
            closed.isoformat() if closed else "\\N",
            str(rating) if rating else "\\N",
            (closed.isoformat() if rating and closed else "\\N"),
            "0",
            "f",
            "f",
            "0",
            "f",
            f"h{i}",
        ]
        buf.write("\t".join(fields) + "\n")
    columns = (
        "code, category_id, title, description, answers, status, source, geom, location_precision, "
        "commune_code, commune_name, h3_r5, h3_r6, h3_r7, h3_r8, h3_r9, h3_r10, agency_id, "
        "routing_explanation_vi, routing_explanation_en, received_at, deadline_days, due_at, resolved_at, "
        "closed_at, citizen_rating, citizen_feedback_at, supporters, text_hidden, escalated, dispute_count, "
        "share_contact, private_token_hash"
    )
    t = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SET session_replication_role = replica")  # bulk load: no per-row triggers
        with cur.copy(f"COPY feedback_reports ({columns}) FROM STDIN") as copy:
            data = buf.getvalue().encode()
            for start in range(0, len(data), 1 << 20):
                copy.write(data[start : start + (1 << 20)])
        cur.execute("SET session_replication_role = origin")
        raw.commit()
    finally:
        raw.close()
    print(f"  COPY {n:,} reports: {time.perf_counter() - t:.1f} s")


def load_incidents(engine, n: int, rng: np.random.Generator) -> None:
    with session_scope(make_sessionmaker(engine)) as s:
        lons, lats, commune = district_points(s, n, rng)
        agencies = [r[0] for r in s.execute(text("SELECT id FROM agencies ORDER BY id"))]
    hexes = cells(lons, lats)
    types = [
        "fire",
        "flood",
        "landslide",
        "drought",
        "storm_damage",
        "traffic_accident",
        "power_outage",
        "water_outage",
        "animal_disease",
        "public_order",
        "other",
    ]
    buf = io.StringIO()
    for i in range(n):
        occurred = NOW - timedelta(days=730 * float(rng.random()))
        st = (
            "closed"
            if (NOW - occurred).days > 10
            else str(rng.choice(["reported", "responding", "contained"]))
        )
        point = f"SRID=4326;POINT({lons[i]:.6f} {lats[i]:.6f})"
        fields = [
            f"SC-{occurred.year}-{i:07d}",
            str(rng.choice(types)),
            "Sự cố thử",
            "\\N",
            str(int(rng.integers(1, 5))),
            st,
            point,
            point,
            "\\N",
            commune[i],
            *(str(hexes[r][i]) for r in range(5, 11)),
            str(rng.choice(agencies)),
            occurred.isoformat(),
            occurred.isoformat(),
            "\\N",
            "\\N",
            (occurred + timedelta(days=2)).isoformat() if st == "closed" else "\\N",
            occurred.isoformat(),
        ]
        buf.write("\t".join(fields) + "\n")
    columns = (
        "code, type, title, description, severity, status, geom, point, area_km2, commune_code, "
        "h3_r5, h3_r6, h3_r7, h3_r8, h3_r9, h3_r10, agency_id, occurred_at, reported_at, responding_at, "
        "contained_at, closed_at, updated_at"
    )
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SET session_replication_role = replica")
        with cur.copy(f"COPY incidents ({columns}) FROM STDIN") as copy:
            copy.write(buf.getvalue().encode())
        raw.commit()
    finally:
        raw.close()


# ---- measurements ------------------------------------------------------------------------


def _timed(fn, runs: int, before=None) -> list[float]:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


def measure_h3(engine, runs: int) -> list[tuple[str, int, float, float]]:
    """Per layer and resolution: the SQL (``cell_table``), the layer function serialising the
    GeoJSON (``heatmap_json``, what the endpoint sends) and the HTTP endpoint, warm (the
    in-memory rollup sums reused, as for every request after the first on the same months)
    and, for reports, cold (those sums dropped before each run)."""
    out = []
    factory = make_sessionmaker(engine)
    settings = get_settings(database_url=str(engine.url.render_as_string(hide_password=False)))
    app = create_app(settings, engine=engine)
    with TestClient(app) as client:
        tok = client.post(
            "/api/v1/auth/token", data={"username": "bench-leader", "password": PASSWORD}
        ).json()
        headers = {"Authorization": f"Bearer {tok['access_token']}"}
        start, end = NOW - timedelta(days=365), NOW
        for layer in ("reports", "incidents"):
            for res in range(5, 10):
                with session_scope(factory) as s:
                    w = window.resolve(s, window.Window(layer=layer, start=start, end=end, resolution=res))
                    for label, fn in (
                        ("sql", lambda s=s, w=w: heatmap.cell_table(s, w)),
                        ("geojson", lambda s=s, w=w: heatmap.heatmap_json(s, w)),
                    ):
                        fn()
                        times = _timed(fn, runs)
                        out.append((f"{layer} {label}", res, statistics.median(times), pct(times, 99)))
                        if layer == "reports" and label == "sql":
                            times = _timed(fn, runs, before=heatmap.clear_cache)
                            out.append((f"{layer} sql cold", res, statistics.median(times), pct(times, 99)))
                params = {
                    "layer": layer,
                    "resolution": res,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                }
                r = client.get("/api/v1/analytics/h3", params=params, headers=headers)
                assert r.status_code == 200, r.text
                ncells = len(r.json()["features"])

                def get(params=params):
                    r = client.get("/api/v1/analytics/h3", params=params, headers=headers)
                    assert r.status_code == 200, r.text

                times = _timed(get, runs)
                out.append((f"{layer} http ({ncells} cells)", res, statistics.median(times), pct(times, 99)))
                if layer == "reports":
                    times = _timed(get, runs, before=heatmap.clear_cache)
                    out.append((f"{layer} http cold", res, statistics.median(times), pct(times, 99)))
        # What the IOC page's time control asks: one calendar month, one week (resolution 8).
        this_month = window.month_start(NOW.astimezone(window.VN).date())
        last_month = window.month_start(this_month - timedelta(days=1))
        month = (window.month_instant(last_month), window.month_instant(this_month))
        for label, (a, b) in (("month", month), ("week", (NOW - timedelta(days=7), NOW))):
            params = {"layer": "reports", "resolution": 8, "start": a.isoformat(), "end": b.isoformat()}
            get(params)
            times = _timed(lambda p=params: get(p), runs)
            out.append((f"reports http, one {label}", 8, statistics.median(times), pct(times, 99)))
    return out


def measure_hotspots(engine) -> tuple[float, float, dict]:
    with session_scope(make_sessionmaker(engine)) as s:
        w = window.resolve(
            s, window.Window(layer="reports", start=NOW - timedelta(days=365), end=NOW, resolution=8)
        )
        t = time.perf_counter()
        fc = hotspots.hotspots(s, w)
        cold = time.perf_counter() - t
        times = []
        for _ in range(5):
            t = time.perf_counter()
            fc = hotspots.hotspots(s, w)
            times.append(time.perf_counter() - t)
    return cold, statistics.median(times), fc["meta"]


async def measure_sse(base: str, token: str, engine, clients: int, changes: int) -> list[float]:
    headers = {"Accept": "text/event-stream", "Authorization": f"Bearer {token}"}
    arrivals: dict[str, list[float]] = {}
    ready = 0
    limits = httpx.Limits(max_connections=clients + 10)

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal ready
        async with client.stream("GET", f"{base}/api/v1/events", headers=headers) as r:
            first = True
            async for line in r.aiter_lines():
                if first:
                    ready += 1
                    first = False
                if line.startswith("data: ") and '"SC-BENCH-' in line:
                    code = line.split('"id":"', 1)[1].split('"', 1)[0]
                    arrivals.setdefault(code, []).append(time.perf_counter())

    async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=120), limits=limits) as client:
        # Browsers arrive over time, not in one burst: open the streams in waves of 20.
        tasks = []
        for wave in range(0, clients, 20):
            tasks += [asyncio.create_task(one(client)) for _ in range(min(20, clients - wave))]
            while ready < len(tasks):
                await asyncio.sleep(0.05)
        sent: dict[str, float] = {}
        for i in range(changes):
            code = f"SC-BENCH-{i:04d}"

            def commit(code: str = code) -> float:
                with engine.begin() as conn:
                    conn.execute(
                        text("""
                        INSERT INTO incidents (code, type, title, severity, status, geom, point, commune_code,
                            h3_r5, h3_r6, h3_r7, h3_r8, h3_r9, h3_r10, agency_id, occurred_at, reported_at,
                            updated_at)
                        SELECT :code, type, 'bench', severity, 'reported', geom, point, commune_code,
                               h3_r5, h3_r6,
                               h3_r7, h3_r8, h3_r9, h3_r10, agency_id, now(), now(), now()
                        FROM incidents LIMIT 1"""),
                        {"code": code},
                    )
                return time.perf_counter()

            sent[code] = await asyncio.to_thread(commit)
            await asyncio.sleep(0.2)
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline and any(len(arrivals.get(c, [])) < clients for c in sent):
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [(t - sent[c]) * 1000 for c, ts in arrivals.items() for t in ts]
    missing = sum(clients - len(arrivals.get(c, [])) for c in sent)
    print(f"  SSE: {clients} clients x {changes} changes, deliveries {len(latencies)}, missing {missing}")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="keep (or reuse) the loaded cluster in this directory")
    parser.add_argument("--only", choices=("all", "h3", "hotspots", "sse"), default="all")
    args = parser.parse_args()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="iocmap-h3bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    tmp.chmod(0o755)  # as root the cluster runs as the postgres user
    loaded = (tmp / "loaded").exists()
    cluster = Cluster(tmp, port=54329 if args.keep else free_port())
    cluster.start(fast_unsafe=True)
    server = None
    try:
        engine = make_engine(cluster.url)
        upgrade(engine)
        if not loaded:
            with session_scope(make_sessionmaker(engine)) as s:
                load_defaults(s)
            rng = np.random.default_rng(2026)
            print(f"loading {args.reports:,} reports and {args.incidents:,} incidents ...")
            load_reports(engine, args.reports, rng)
            load_incidents(engine, args.incidents, rng)
            (tmp / "loaded").touch()
        t = time.perf_counter()
        with session_scope(make_sessionmaker(engine)) as s:
            months = rollup.build_all(s, NOW)
        print(f"  monthly rollup: {months} months built in {time.perf_counter() - t:.1f} s")
        print("database:", cluster.url)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("DELETE FROM incidents WHERE code LIKE 'SC-BENCH-%'"))
            conn.execute(text("DELETE FROM auth_sessions"))
            conn.execute(text("DELETE FROM users WHERE username = 'bench-leader'"))
            conn.execute(text("VACUUM ANALYZE"))
            sizes = conn.execute(
                text("SELECT resolution, count(*) FROM analytics_report_cells GROUP BY 1 ORDER BY 1")
            ).all()
        print("  rollup rows per resolution:", dict(sizes))

        with session_scope(make_sessionmaker(engine)) as s:
            accounts.create_user(s, username="bench-leader", password=PASSWORD, role="leader")
        load_before = os.getloadavg()
        rows = measure_h3(engine, args.runs) if args.only in ("all", "h3") else []
        print(f"\nH3 heatmap, whole district, one year ({args.runs} runs each; ms)")
        print(f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
        print(f"{'what':<34}{'res':>4}{'median':>10}{'p99':>10}")
        for what, res, med, p99 in rows:
            print(f"{what:<34}{res:>4}{med:>10.1f}{p99:>10.1f}")

        cold, warm, meta = measure_hotspots(engine) if args.only in ("all", "hotspots") else (0, 0, None)
        if meta:
            print(
                f"\nGi* hotspots, one year, res 8: first call {cold:.2f} s (imports esda), "
                f"then median {warm:.3f} s; "
                f"{meta['study_cells']} cells, hot 99% {meta['summary']['hot'][99]}"
            )

        if args.only not in ("all", "sse"):
            return
        server, base = start_server(cluster.url)
        tok = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "bench-leader", "password": PASSWORD}
        ).json()
        lat = asyncio.run(measure_sse(base, tok["access_token"], engine, args.clients, args.changes))
        if lat:
            print(
                f"SSE event latency (commit -> client): median {statistics.median(lat):.1f} ms, "
                f"p99 {pct(lat, 99):.1f} ms, max {max(lat):.1f} ms"
            )
    finally:
        shut_down(server, cluster, tmp, bool(args.keep))


if __name__ == "__main__":
    main()
