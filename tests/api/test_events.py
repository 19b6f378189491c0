"""The live feed over real HTTP: a change made elsewhere reaches a streaming client within
2 s, a reconnect with Last-Event-ID replays what was missed, and only staff get in."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text

from layers.db import make_sessionmaker, session_scope
from tests.conftest import PASSWORD
from tests.layers.incidents.helpers import TOWN

SSE = {"Accept": "text/event-stream"}


def token(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class Reader(threading.Thread):
    """Reads an SSE stream in the background and records (id, event, data, arrival time)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.base, self.headers = base, headers
        self.events: list[dict[str, Any]] = []
        self.comments: list[str] = []
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.status: int | None = None

    def run(self) -> None:
        with (
            httpx.Client(timeout=httpx.Timeout(10, read=30)) as client,
            client.stream("GET", f"{self.base}/api/v1/events", headers={**SSE, **self.headers}) as r,
        ):
            self.status = r.status_code
            block: dict[str, Any] = {}
            for line in r.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith(":"):
                    self.comments.append(line)
                    self.connected.set()
                elif line.startswith("id: "):
                    block["id"] = int(line[4:])
                elif line.startswith("event: "):
                    block["event"] = line[7:]
                elif line.startswith("data: "):
                    block["data"] = orjson.loads(line[6:])
                elif line == "" and block:
                    block["arrived"] = time.monotonic()
                    self.events.append(block)
                    block = {}

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in list(self.events):
                if "data" in e and predicate(e["data"]):
                    return e
            time.sleep(0.01)
        return None


CREATED: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def cleanup(engine):
    """Committed rows would be seen by every later test: remove what this module created."""
    yield
    with session_scope(make_sessionmaker(engine)) as s:
        s.execute(text("DELETE FROM incidents WHERE code = ANY(:c)"), {"c": CREATED})
        s.execute(text("DELETE FROM feedback_reports WHERE code = ANY(:c)"), {"c": CREATED})


@pytest.fixture(scope="module")
def staff(live_server, committed_users):
    return {role: token(live_server, committed_users[role]) for role in ("leader", "officer", "admin")}


def start_reader(base: str, headers: dict[str, str]) -> Reader:
    reader = Reader(base, headers)
    reader.start()
    assert reader.connected.wait(10), "the stream did not open"
    assert reader.status == 200
    return reader


def submit_report(base: str, headers: dict[str, str], title: str = "Đèn đường hỏng") -> str:
    r = httpx.post(
        f"{base}/api/v1/reports",
        headers=headers,
        json={
            "category": "street_lighting",
            "title": title,
            "description": "Tối cả đoạn đường",
            "lon": TOWN[0],
            "lat": TOWN[1],
            "reporter_name": "Nguyễn Văn Bí Mật",
            "reporter_phone": "0912345678",
            "share_contact": True,
        },
    )
    assert r.status_code == 201, r.text
    CREATED.append(r.json()["code"])
    return str(r.json()["code"])


def create_incident(base: str, headers: dict[str, str]) -> str:
    r = httpx.post(
        f"{base}/api/v1/incidents",
        headers=headers,
        json={
            "type": "storm_damage",
            "title": "Cây đổ chắn đường",
            "severity": 2,
            "agency": "ubnd-24664",
            "geometry": {"type": "Point", "coordinates": list(TOWN)},
        },
    )
    assert r.status_code == 201, r.text
    CREATED.append(r.json()["code"])
    return str(r.json()["code"])


def test_a_new_report_and_incident_reach_a_leader_live(live_server, staff, committed_users):
    reader = start_reader(live_server, staff["leader"])
    citizen = token(live_server, committed_users["citizen"])
    code = submit_report(live_server, citizen)
    event = reader.wait_for(lambda d: d["id"] == code)
    assert event is not None, reader.events  # how fast: bench/h3_bench.py, not a stopwatch here
    data = event["data"]
    assert data["kind"] == "report.created" and data["type"] == "report" and data["status"] == "received"
    assert abs(data["lon"] - TOWN[0]) < 1e-5 and abs(data["lat"] - TOWN[1]) < 1e-5 and data["at"]
    raw = orjson.dumps(reader.events).decode()
    assert "Bí Mật" not in raw and "0912345678" not in raw and "Đèn đường" not in raw  # no personal data

    incident = create_incident(live_server, staff["leader"])
    event = reader.wait_for(lambda d: d["id"] == incident)
    assert event is not None
    assert event["data"]["kind"] == "incident.created" and event["data"]["type"] == "incident"
    r = httpx.post(
        f"{live_server}/api/v1/incidents/{incident}/transitions",
        headers=staff["leader"],
        json={"to": "responding"},
    )
    assert r.status_code == 200
    moved = reader.wait_for(lambda d: d["id"] == incident and d["kind"] == "incident.status_changed")
    assert moved is not None and moved["data"]["from_status"] == "reported"
    assert moved["data"]["status"] == "responding" and moved["id"] > event["id"]
    reader.stop.set()


def test_a_reconnect_with_last_event_id_replays_the_missed_events(live_server, staff, committed_users):
    reader = start_reader(live_server, staff["leader"])
    citizen = token(live_server, committed_users["citizen"])
    first = submit_report(live_server, citizen)
    seen = reader.wait_for(lambda d: d["id"] == first)
    assert seen is not None
    reader.stop.set()  # the client goes away; two changes happen meanwhile
    missed = [submit_report(live_server, citizen), create_incident(live_server, staff["leader"])]
    again = Reader(live_server, {**staff["leader"], "Last-Event-ID": str(seen["id"])})
    again.start()
    for code in missed:
        assert again.wait_for(lambda d, c=code: d["id"] == c, timeout=5) is not None, again.events
    assert all(e["id"] > seen["id"] for e in again.events if "id" in e)
    assert first not in [e["data"]["id"] for e in again.events if "data" in e]
    again.stop.set()


def test_officers_see_incidents_and_only_their_agencies_reports(live_server, staff, committed_users, engine):
    reader = start_reader(live_server, staff["officer"])  # live-officer belongs to ubnd-24664
    leader_reader = start_reader(live_server, staff["leader"])
    from layers.feedback.models import Report

    citizen = token(live_server, committed_users["citizen"])
    code = submit_report(live_server, citizen)
    assert leader_reader.wait_for(lambda d: d["id"] == code) is not None
    with session_scope(make_sessionmaker(engine)) as s:
        agency = s.query(Report).filter_by(code=code).one().agency.code
    own = reader.wait_for(lambda d: d["id"] == code, timeout=1.0)
    assert (own is not None) == (agency == "ubnd-24664")
    incident = create_incident(live_server, staff["leader"])
    assert reader.wait_for(lambda d: d["id"] == incident) is not None
    # a report routed elsewhere (district water supply unit) never reaches this officer
    r = httpx.post(
        f"{live_server}/api/v1/reports",
        headers=citizen,
        json={
            "category": "water_supply",
            "title": "Mất nước",
            "description": "Cả khu phố",
            "lon": TOWN[0],
            "lat": TOWN[1],
        },
    )
    other = r.json()
    CREATED.append(other["code"])
    assert leader_reader.wait_for(lambda d: d["id"] == other["code"]) is not None
    with session_scope(make_sessionmaker(engine)) as s:
        other_agency = s.query(Report).filter_by(code=other["code"]).one().agency.code
    if other_agency != "ubnd-24664":
        assert reader.wait_for(lambda d: d["id"] == other["code"], timeout=1.0) is None
    reader.stop.set()
    leader_reader.stop.set()


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("citizen", 403), ("planner", 403)])
def test_only_leaders_officers_and_admins_may_listen(live_server, committed_users, role, status):
    headers = {} if role == "anonymous" else token(live_server, committed_users[role])
    r = httpx.get(f"{live_server}/api/v1/events", headers={**SSE, **headers}, timeout=5)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")


def test_without_event_stream_accept_the_log_is_answered_as_json(live_server, staff, committed_users):
    citizen = token(live_server, committed_users["citizen"])
    code = submit_report(live_server, citizen)
    page = httpx.get(f"{live_server}/api/v1/events", headers=staff["admin"], params={"limit": 500}).json()
    assert code in [e["id"] for e in page["events"]]
    mine = next(e for e in page["events"] if e["id"] == code)
    after = httpx.get(
        f"{live_server}/api/v1/events", headers=staff["admin"], params={"after": mine["seq"]}
    ).json()
    assert all(e["seq"] > mine["seq"] for e in after["events"]) and after["reset"] is False
    bad = httpx.get(f"{live_server}/api/v1/events", headers={**SSE, **staff["admin"], "Last-Event-ID": "abc"})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_last_event_id"


def test_a_stream_opens_with_a_retry_hint_and_event_stream_headers(live_server, staff):
    with (
        httpx.Client(timeout=10) as client,
        client.stream("GET", f"{live_server}/api/v1/events", headers={**SSE, **staff["admin"]}) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["cache-control"] == "no-cache"
        first = next(r.iter_lines())
        assert first.startswith("retry: ")


def test_many_clients_share_one_listener_and_all_receive_the_event(live_server, staff, engine):
    import asyncio

    async def scenario() -> None:
        seen: list[dict[str, float]] = [{} for _ in range(50)]
        opened = 0

        async def one(client: httpx.AsyncClient, i: int) -> None:
            nonlocal opened
            headers = {**SSE, **staff["leader"]}
            async with client.stream("GET", f"{live_server}/api/v1/events", headers=headers) as r:
                assert r.status_code == 200
                opened += 1
                async for line in r.aiter_lines():
                    if line.startswith("data: "):
                        seen[i][orjson.loads(line[6:])["id"]] = time.monotonic()

        limits = httpx.Limits(max_connections=60)
        async with httpx.AsyncClient(timeout=httpx.Timeout(20, read=20), limits=limits) as client:
            tasks = [asyncio.create_task(one(client, i)) for i in range(50)]
            for _ in range(400):
                if opened == 50:
                    break
                await asyncio.sleep(0.05)
            assert opened == 50
            code = await asyncio.to_thread(create_incident, live_server, staff["leader"])
            for _ in range(300):
                if all(code in s for s in seen):
                    break
                await asyncio.sleep(0.05)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        assert all(code in s for s in seen)

    asyncio.run(scenario())
    with engine.connect() as conn:
        listeners = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                      "'iocmap-events'")).scalar()
    assert listeners == 1  # one per server process, whatever the number of clients
