"""200 live-map clients opening their streams in one burst against a real server.

A stream must not hold one of the app's pooled database connections (pool 10 + overflow
10) while it is open: the sign-in check takes one for milliseconds and gives it back. So
all 200 open, ordinary API requests still get a connection while they are open, and one
change reaches every client.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from sqlalchemy import text

from layers.db import make_sessionmaker, session_scope
from tests.api.test_events import SSE, token
from tests.layers.incidents.helpers import TOWN

CLIENTS = 200
CREATED: list[str] = []
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: Playwright's sync API keeps a loop running in the
    main thread when browser tests ran earlier in the session."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="module", autouse=True)
def cleanup(engine):
    yield
    with session_scope(make_sessionmaker(engine)) as s:
        s.execute(text("DELETE FROM incidents WHERE code = ANY(:c)"), {"c": CREATED})


async def _burst(base: str, headers: dict[str, str]) -> dict[str, Any]:
    opened: list[float] = []
    statuses: list[int] = []
    seen: list[dict[str, float]] = [{} for _ in range(CLIENTS)]

    async def one(client: httpx.AsyncClient, i: int) -> None:
        async with client.stream("GET", f"{base}/api/v1/events", headers={**SSE, **headers}) as r:
            statuses.append(r.status_code)
            if r.status_code != 200:
                return
            async for line in r.aiter_lines():
                if line.startswith("retry:"):
                    opened.append(time.monotonic())
                elif line.startswith("data: "):
                    seen[i][orjson.loads(line[6:])["id"]] = time.monotonic()

    limits = httpx.Limits(max_connections=CLIENTS + 20, max_keepalive_connections=0)
    timeout = httpx.Timeout(40, read=40)
    async with (
        httpx.AsyncClient(timeout=timeout, limits=limits) as streams,
        httpx.AsyncClient(base_url=base, timeout=20, headers=headers) as plain,
    ):
        start = time.monotonic()
        tasks = [asyncio.create_task(one(streams, i)) for i in range(CLIENTS)]
        while len(opened) < CLIENTS and len(statuses) - statuses.count(200) == 0:
            if time.monotonic() - start > 25:
                break
            await asyncio.sleep(0.05)
        open_seconds = time.monotonic() - start
        # 30 ordinary requests at once while the 200 streams are open: more than the pool holds
        replies = await asyncio.gather(*(plain.get("/api/v1/incidents", params={"limit": 1}) for _ in range(30)))
        sent = time.monotonic()
        r = await plain.post(
            "/api/v1/incidents",
            json={"type": "fire", "title": "Cháy thử nghiệm", "severity": 1, "agency": "ubnd-24664",
                  "geometry": {"type": "Point", "coordinates": list(TOWN)}},
        )
        assert r.status_code == 201, r.text
        code = r.json()["code"]
        CREATED.append(code)
        while time.monotonic() - sent < 30 and not all(code in s for s in seen):
            await asyncio.sleep(0.02)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    arrivals = [s[code] - sent for s in seen if code in s]
    return {
        "statuses": statuses,
        "opened": len(opened),
        "open_seconds": open_seconds,
        "plain": [x.status_code for x in replies],
        "received": len(arrivals),
        "latest": max(arrivals, default=float("inf")),
    }


def test_two_hundred_streams_open_at_once_and_leave_the_pool_free(live_server, committed_users):
    headers = token(live_server, committed_users["leader"])
    out = run(_burst(live_server, headers))
    print(f"\n200-stream burst: open in {out['open_seconds']:.2f} s, event to all in {out['latest']:.2f} s")
    assert out["statuses"].count(200) == CLIENTS, sorted(set(out["statuses"]))
    assert out["opened"] == CLIENTS
    assert out["plain"] == [200] * 30  # the pool was not held by the open streams
    assert out["received"] == CLIENTS  # how fast: bench/h3_bench.py (SSE fan-out), not a stopwatch here


def test_a_stream_authenticated_by_cookie_holds_no_database_connection(live_server, committed_users, engine):
    login = httpx.post(f"{live_server}/api/v1/auth/login",
                       json={"username": committed_users["admin"], "password": "mat-khau-thu-nghiem-1"})
    assert login.status_code == 200, login.text
    cookies = dict(login.cookies)

    def busy() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()")).scalar_one())

    async def scenario() -> tuple[int, int]:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=20), cookies=cookies) as client:
            async def one() -> None:
                async with client.stream("GET", f"{live_server}/api/v1/events", headers=SSE) as r:
                    assert r.status_code == 200
                    async for _ in r.aiter_lines():
                        pass

            tasks = [asyncio.create_task(one()) for _ in range(25)]
            await asyncio.sleep(1.5)
            held = await asyncio.to_thread(busy)
            done = sum(t.done() for t in tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            return held, done

    held, finished = run(scenario())
    assert finished == 0  # all 25 streams were still open (more than the pool's 20)
    assert held == 0  # and none of them kept a transaction (a checked-out connection) open
