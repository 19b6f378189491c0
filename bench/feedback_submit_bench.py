"""Benchmark of citizen-feedback submissions and of the public reports map (issue 4).

Builds a throwaway PostGIS cluster (normal durability: fsync and synchronous_commit on, as
a production server would run), loads N reports (default 1,000,000) with COPY using the
same generator as ``bench/h3_bench.py`` (points inside the district, H3 cells, two years of
statuses), then starts the real app with uvicorn (2 workers) and measures over HTTP:

1. the public map's clusters (``GET /api/v1/reports/clusters``) for a district view at
   zoom 11 and 12, a commune view at zoom 14 and a street view at zoom 17;
2. submissions (``POST /api/v1/reports``, JSON) sustained for ``--duration`` seconds at
   several closed-loop concurrencies (``--concurrency``: citizens each waiting for their
   answer) and open-loop rates (``--rates``: requests started per second, latency counted
   from each one's due time): each request has a unique ``Idempotency-Key``; a share
   of them is sent again with the same key afterwards and a share twice at the same
   moment; both must return the original tracking code and never a second report.

Every simulated citizen comes from their own address (``X-Forwarded-For``, which uvicorn
honours from 127.0.0.1), so the per-IP anonymous limit runs its real check on every
request but never trips; the limit is also raised to 1,000,000 per window
(``IOCMAP_FEEDBACK_ANON_LIMIT``) so a reused address cannot distort the numbers either.

Afterwards the database is counted (``count_after``): rows created == distinct codes
answered (lost = an answered code not stored; duplicated = one body or one key stored
twice; orphans = stored but never answered), every retry answered with the original code,
and the map tally (``feedback_report_cells``) equal to ``count(*)``.

    .venv/bin/python bench/feedback_submit_bench.py [--reports 1000000] [--duration 60]
        [--concurrency 1,2,4,8] [--rates 10,20] [--keep DIR] [--only all|map|submit]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import itertools
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import free_port, load_average, pct, shut_down, start_server  # noqa: E402
from h3_bench import district_points, load_reports  # noqa: E402

from layers.cluster import Cluster  # noqa: E402
from layers.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from layers.defaults import load_defaults  # noqa: E402
from layers.migrate import upgrade  # noqa: E402

KEEP_PORT = 54341  # a kept cluster keeps its socket name
TITLES = ("Ổ gà trên đường", "Đèn đường không sáng", "Rác tồn đọng", "Cống bị tắc", "Nước sinh hoạt đục")


# ---- the database ------------------------------------------------------------------------


def prepare(engine: Any, n: int, loaded: bool) -> None:
    if loaded:
        return
    with session_scope(make_sessionmaker(engine)) as s:
        load_defaults(s)
    print(f"loading {n:,} reports ...", flush=True)
    load_reports(engine, n, np.random.default_rng(2026))
    t = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE feedback_reports"))
    print(f"  VACUUM ANALYZE: {time.perf_counter() - t:.1f} s", flush=True)
    with engine.begin() as conn:  # the loader bypassed the triggers that keep the map's tally
        rows = conn.scalar(text("SELECT feedback_report_cells_rebuild()"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE feedback_report_cells"))
    print(f"  map tally rebuilt: {rows:,} rows", flush=True)


def current_points(engine: Any, n: int) -> list[tuple[float, float]]:
    """Random points inside today's communes (what a submission must hit)."""
    with session_scope(make_sessionmaker(engine)) as s:
        lons, lats, _ = district_points(s, n * 2, np.random.default_rng(7))
        inside = (
            s.execute(
                text("""
            SELECT p.i FROM unnest(CAST(:x AS float8[]), CAST(:y AS float8[])) WITH ORDINALITY AS p(x, y, i)
            WHERE EXISTS (SELECT 1 FROM admin_units u WHERE u.level = 'commune'
                            AND (u.valid_from IS NULL OR u.valid_from <= current_date)
                            AND (u.valid_to IS NULL OR u.valid_to >= current_date)
                            AND ST_Covers(u.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)))"""),
                {"x": [round(float(v), 6) for v in lons], "y": [round(float(v), 6) for v in lats]},
            )
            .scalars()
            .all()
        )
    pts = [(round(float(lons[i - 1]), 6), round(float(lats[i - 1]), 6)) for i in inside]
    return pts[:n]


def plain_categories(engine: Any) -> list[str]:
    """Categories whose extra questions are all optional (a bare submission is valid)."""
    with engine.connect() as conn:
        return list(
            conn.scalars(
                text(
                    "SELECT code FROM feedback_categories WHERE active AND NOT EXISTS (SELECT 1 FROM "
                    "jsonb_array_elements(extra_questions) q WHERE (q->>'required')::boolean) ORDER BY code"
                )
            )
        )


# ---- the public map ----------------------------------------------------------------------

MAP_VIEWS = (  # label, bbox, zoom: what a 1280x800 screen shows at that zoom
    ("district, zoom 11", (107.40, 12.30, 107.95, 12.72), 11),
    ("district, zoom 12", (107.53, 12.40, 107.80, 12.61), 12),
    ("commune (town), zoom 14", (107.588, 12.424, 107.657, 12.476), 14),
    ("town centre, zoom 15", (107.605, 12.437, 107.640, 12.463), 15),
    ("town centre, zoom 16", (107.614, 12.443, 107.631, 12.456), 16),
    ("street, zoom 17", (107.618, 12.4465, 107.627, 12.4530), 17),
)


def measure_map(base: str, runs: int) -> list[dict[str, Any]]:
    out = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for label, bbox, zoom in MAP_VIEWS:
            params: dict[str, str | int] = {"bbox": ",".join(f"{v:.5f}" for v in bbox), "zoom": zoom}
            r = client.get("/api/v1/reports/clusters", params=params)  # warm the worker
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                r = client.get("/api/v1/reports/clusters", params=params)
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text
            meta = r.json()["meta"]
            out.append(
                {
                    "view": label,
                    "zoom": zoom,
                    "mode": meta["mode"],
                    "resolution": meta["resolution"],
                    "source": meta["source"],
                    "features": len(r.json()["features"]),
                    "total": meta["total"],
                    "kb": len(r.content) / 1024,
                    "median": statistics.median(times),
                    "p95": pct(times, 95),
                    "max": max(times),
                    "min": min(times),  # the cost without other jobs' CPU contention, nearly
                }
            )
            row = out[-1]
            print(
                f"  {label:<26} {row['mode']:<8} r{row['resolution'] or '-'} {row['features']:>5} features "
                f"{row['total']:>9,} reports {row['kb']:7.1f} KB  min {row['min']:6.1f} ms  "
                f"median {row['median']:6.1f} ms  p95 {row['p95']:6.1f} ms",
                flush=True,
            )
    return out


# ---- submissions -------------------------------------------------------------------------


@dataclass
class Level:
    concurrency: int
    rate: float = 0.0  # open loop: requests started per second (0: closed loop)
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # first attempts, ms
    created: dict[str, str] = field(default_factory=dict)  # idempotency key -> code (201)
    statuses: Counter[str] = field(default_factory=Counter)
    replays: int = 0
    replay_mismatches: int = 0
    twins: int = 0
    twin_mismatches: int = 0
    ambiguous: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)  # failed: retried later
    unresolved: int = 0  # failed again on every retry: unknown whether stored (counted as lost)
    load: str = ""


class Driver:
    """Closed-loop citizens: each sends a report, waits for the answer, sends the next."""

    def __init__(
        self,
        base: str,
        points: list[tuple[float, float]],
        categories: list[str],
        retry_share: float,
        twin_share: float,
        seed: int,
    ) -> None:
        self.base = base
        self.points = points
        self.categories = categories
        self.retry_share = retry_share
        self.twin_share = twin_share
        self.rng = random.Random(seed)
        self.next_ip = itertools.count(1)

    def body(self) -> dict[str, Any]:
        lon, lat = self.rng.choice(self.points)
        body: dict[str, Any] = {
            "category": self.rng.choice(self.categories),
            "title": self.rng.choice(TITLES),
            "description": f"Phản ánh thử tải {uuid.uuid4().hex[:12]}: cần xử lý sớm.",
            "lon": lon,
            "lat": lat,
        }
        if self.rng.random() < 0.3:
            body.update(reporter_name="Người dân thử", reporter_phone="0905 123 456", share_contact=True)
        return body

    def ip(self) -> str:
        i = next(self.next_ip)
        return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"

    async def post(
        self, client: httpx.AsyncClient, key: str, body: dict[str, Any], ip: str
    ) -> httpx.Response:
        return await client.post(
            "/api/v1/reports", json=body, headers={"Idempotency-Key": key, "X-Forwarded-For": ip}
        )

    async def one(
        self, client: httpx.AsyncClient, level: Level, record: bool, scheduled: float | None = None
    ) -> None:
        key, body, ip = f"bench-{uuid.uuid4()}", self.body(), self.ip()
        roll = self.rng.random()
        twin = roll < self.twin_share
        t = scheduled if scheduled is not None else time.perf_counter()  # open loop: from the due time
        try:
            if twin:  # the same request twice at the same moment (a double tap, a proxy retry)
                first, second = await asyncio.gather(
                    self.post(client, key, body, ip), self.post(client, key, body, ip)
                )
            else:
                first, second = await self.post(client, key, body, ip), None
        except httpx.HTTPError as exc:
            if record:
                level.statuses[type(exc).__name__] += 1
                level.ambiguous.append((key, body, ip))
            return
        if not record:
            return
        level.latencies.append((time.perf_counter() - t) * 1000)
        level.statuses[str(first.status_code)] += 1
        if first.status_code not in (200, 201) or (
            second is not None and second.status_code not in (200, 201)
        ):
            level.ambiguous.append((key, body, ip))
            return
        code = first.json()["code"]
        level.created[key] = code
        if second is not None:
            level.twins += 1
            codes = {code, second.json()["code"]}
            if len(codes) != 1 or sorted((first.status_code, second.status_code)) != [200, 201]:
                level.twin_mismatches += 1
        elif roll < self.twin_share + self.retry_share:  # the answer was "lost": send it again
            again = await self.post(client, key, body, ip)
            level.replays += 1
            if again.status_code != 200 or again.json()["code"] != code:
                level.replay_mismatches += 1

    async def run(self, concurrency: int, seconds: float, record: bool = True, rate: float = 0) -> Level:
        """Closed loop (``concurrency`` citizens each waiting for their answer), or open loop
        at ``rate`` requests per second whatever the answers' speed (latency counted from
        each request's due time, so a stalled server cannot hide its queue)."""
        level = Level(concurrency if not rate else int(rate), rate=rate)
        size = max(concurrency, 64) * 2 + 4
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        async with httpx.AsyncClient(base_url=self.base, timeout=30, limits=limits) as client:
            stop = time.perf_counter() + seconds
            start = time.perf_counter()
            if rate:
                tasks = []
                for i in range(int(seconds * rate)):
                    due = start + i / rate
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    tasks.append(asyncio.create_task(self.one(client, level, record, scheduled=due)))
                await asyncio.gather(*tasks)
            else:

                async def citizen() -> None:
                    while time.perf_counter() < stop:
                        await self.one(client, level, record)

                await asyncio.gather(*(citizen() for _ in range(concurrency)))
            level.seconds = time.perf_counter() - start
            # a failed request may or may not have stored its report: ask again with its key
            for key, body, ip in level.ambiguous:
                for attempt in range(5):
                    try:
                        r = await self.post(client, key, body, ip)
                    except httpx.HTTPError:
                        await asyncio.sleep(1 + attempt)
                        continue
                    if r.status_code in (200, 201):
                        level.created[key] = r.json()["code"]
                        break
                else:
                    level.unresolved += 1
        level.load = load_average()
        return level


def count_after(engine: Any, since_id: int, levels: list[Level]) -> dict[str, int]:
    """Rows the runs created against the codes the clients were given.

    lost: a code answered with 201/200 but not stored; duplicated: one request body (each
    carries a unique marker) or one key stored twice; orphans: stored but never answered
    (a request the client gave up on); tally_off_by: the map tally against the reports.
    """
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT code, description, idempotency_key_hash FROM feedback_reports WHERE id > :i"),
            {"i": since_id},
        ).all()
        tally = conn.scalar(text("SELECT coalesce(sum(n), 0) FROM feedback_report_cells"))
        reports = conn.scalar(text("SELECT count(*) FROM feedback_reports"))
    answered = {code for level in levels for code in level.created.values()}
    given = [code for level in levels for code in level.created.values()]
    stored = {r.code for r in rows}
    return {
        "rows": len(rows),
        "answered": len(answered),
        "lost": len(answered - stored),
        "duplicated": max(
            len(rows) - len({r.description for r in rows}),
            len(rows) - len({r.idempotency_key_hash for r in rows}),
        ),
        "orphans": len(stored - answered),
        "unresolved_failures": sum(level.unresolved for level in levels),
        "codes_given_twice": len(given) - len(answered),
        "tally_off_by": int(tally) - int(reports),
    }


def print_levels(levels: list[Level]) -> None:
    print(
        "\n| citizens / rate | created/s | req/s | p50 ms | p99 ms | max ms | errors "
        "| replays (bad) | twins (bad) | load avg after |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for lv in levels:
        errors = sum(n for s, n in lv.statuses.items() if s not in ("200", "201"))
        requests = len(lv.latencies) + lv.twins + lv.replays
        print(
            f"| {f'{lv.rate:g}/s open' if lv.rate else lv.concurrency} "
            f"| {len(lv.created) / lv.seconds:.1f} | {requests / lv.seconds:.1f} "
            f"| {pct(lv.latencies, 50):.0f} | {pct(lv.latencies, 99):.0f} "
            f"| {max(lv.latencies, default=0):.0f} | {errors} | {lv.replays} ({lv.replay_mismatches}) "
            f"| {lv.twins} ({lv.twin_mismatches}) | {lv.load} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--concurrency", default="1,2,4,8", help="closed-loop levels ('' for none)")
    parser.add_argument("--rates", default="", help="open-loop levels, requests per second, e.g. 10,20,30")
    parser.add_argument("--retry-share", type=float, default=0.05, help="sent again after the answer")
    parser.add_argument("--twin-share", type=float, default=0.02, help="sent twice at the same moment")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--map-runs", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="keep (or reuse) the loaded cluster in this directory")
    parser.add_argument("--only", choices=("all", "map", "submit"), default="all")
    args = parser.parse_args()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="iocmap-bench-submit-"))
    tmp.mkdir(parents=True, exist_ok=True)
    tmp.chmod(0o755)  # as root the cluster runs as the postgres user
    loaded = (tmp / "loaded").exists()
    cluster = Cluster(tmp, port=KEEP_PORT if args.keep else free_port())
    cluster.start()  # normal durability: fsync and synchronous_commit stay on
    server = None
    try:
        engine = make_engine(cluster.url)
        upgrade(engine)
        prepare(engine, args.reports, loaded)
        (tmp / "loaded").touch()
        media = Path(tempfile.mkdtemp(prefix="iocmap-bench-media-"))  # photos, the IP pepper
        atexit.register(shutil.rmtree, media, True)
        server, base = start_server(cluster.url, workers=args.workers, keep_alive=75, env={
            "IOCMAP_DATA_DIR": str(media), "IOCMAP_FEEDBACK_ANON_LIMIT": "1000000"})
        print(
            f"database {cluster.url}; server {base} ({args.workers} workers); load average {load_average()}"
        )
        if args.only in ("all", "map"):
            print(
                f"\npublic map, GET /api/v1/reports/clusters, {args.map_runs} sequential requests per view:"
            )
            measure_map(base, args.map_runs)
        if args.only in ("all", "submit"):
            points = current_points(engine, 20_000)
            driver = Driver(
                base, points, plain_categories(engine), args.retry_share, args.twin_share, seed=2026
            )
            asyncio.run(driver.run(4, 5, record=False))  # warm up pools and plans, not counted
            with engine.connect() as conn:
                since = int(conn.scalar(text("SELECT coalesce(max(id), 0) FROM feedback_reports")))
            levels = []
            plan = [(int(v), 0.0) for v in args.concurrency.split(",") if v]
            plan += [(0, float(v)) for v in args.rates.split(",") if v]
            for c, rate in plan:
                print(
                    f"\n{f'{rate:g} requests/s' if rate else f'{c} concurrent citizens'} "
                    f"for {args.duration:.0f} s "
                    f"(load average before {load_average()}) ...",
                    flush=True,
                )
                levels.append(asyncio.run(driver.run(c, args.duration, rate=rate)))
                print_levels(levels[-1:])
            print_levels(levels)
            counts = count_after(engine, since, levels)
            print(f"\nafter the runs: {counts}")
            ok = [lv for lv in levels if pct(lv.latencies, 99) < 300]
            if ok:
                best = max(ok, key=lambda lv: len(lv.created) / lv.seconds)
                print(
                    "highest sustained rate with p99 < 300 ms: "
                    f"{len(best.created) / best.seconds:.1f} reports/s "
                    f"({f'open loop {best.rate:g}/s' if best.rate else f'{best.concurrency} concurrent'})"
                )
            else:
                print("no level kept p99 under 300 ms")
        engine.dispose()
    finally:
        shut_down(server, cluster, tmp, bool(args.keep))


if __name__ == "__main__":
    main()
