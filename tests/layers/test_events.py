"""The event hub: triggers log and NOTIFY committed changes, one listener fans them out,
scopes filter them, the log replays and resets, and a lost connection is caught up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from layers import events
from layers.db import make_sessionmaker, session_scope
from layers.incidents import service
from tests.layers.incidents.helpers import TOWN

POINT = {"type": "Point", "coordinates": list(TOWN)}


@pytest.fixture
def committed(engine: Engine) -> Iterator[list[str]]:
    """Incident codes committed by a test, deleted afterwards."""
    codes: list[str] = []
    yield codes
    with session_scope(make_sessionmaker(engine)) as s:
        s.execute(text("DELETE FROM incidents WHERE code = ANY(:c)"), {"c": codes})


def commit_incident(engine: Engine, codes: list[str], agency: str = "ubnd-24664") -> str:
    from layers import accounts

    with session_scope(make_sessionmaker(engine)) as s:
        try:
            leader = accounts.get_user(s, "events-leader")
        except Exception:
            leader = accounts.create_user(
                s, username="events-leader", password="mat-khau-dai-du", role="leader"
            )
        inc = service.create(
            s,
            service.NewIncident(type="fire", title="Cháy thử", severity=2, geometry=POINT, agency=agency),
            leader,
        )
        codes.append(inc.code)
        return inc.code


def test_a_write_logs_an_event_without_personal_data_in_the_same_transaction(db, make_user):
    leader = make_user("leader")
    inc = service.create(
        db,
        service.NewIncident(
            type="flood",
            title="Ngập sâu",
            severity=3,
            geometry=POINT,
            agency="ubnd-24664",
            description="Nhà ông Nguyễn Văn A",
        ),
        leader,
    )
    row = db.execute(
        text("SELECT kind, type, public_id, agency_code, payload FROM event_log WHERE public_id = :c"),
        {"c": inc.code},
    ).one()
    assert (row.kind, row.type, row.agency_code) == ("incident.created", "incident", "ubnd-24664")
    assert row.payload["lon"] == pytest.approx(TOWN[0]) and row.payload["incident_type"] == "flood"
    assert "Nguyễn" not in str(row.payload) and "Ngập sâu" not in str(row.payload)
    service.update(db, inc.code, service.Changes(severity=4), leader)
    service.transition(db, inc.code, "responding", leader)
    kinds = db.execute(text("SELECT kind FROM event_log WHERE public_id = :c ORDER BY id"), {"c": inc.code})
    assert list(kinds.scalars()) == ["incident.created", "incident.updated", "incident.status_changed"]


def test_scopes_show_officers_incidents_and_their_agencies_reports():
    officer = events.scope_for("officer", ["ubnd-24664"])
    assert officer.visible({"type": "incident", "agency": "phong-ktht"})
    assert officer.visible({"type": "report", "agency": "ubnd-24664"})
    assert not officer.visible({"type": "report", "agency": "phong-ktht"})
    assert events.scope_for("leader", []).visible({"type": "report", "agency": "phong-ktht"})


def test_the_hub_delivers_a_committed_change_to_every_subscriber(engine, committed):
    async def scenario() -> None:
        hub = events.EventHub(events.conninfo(engine))
        try:
            subs = [await hub.subscribe(events.Scope(None)) for _ in range(3)]
            narrow = await hub.subscribe(events.Scope(frozenset({"phong-ktht"})))
            code = await asyncio.to_thread(commit_incident, engine, committed)
            for sub in subs:
                got = await sub.next(timeout=2)
                assert got is not None and got["id"] == code and got["kind"] == "incident.created"
            got = await narrow.next(timeout=2)  # incidents are for every officer
            assert got is not None and got["id"] == code
        finally:
            await hub.close()

    asyncio.run(scenario())


def test_the_listener_catches_up_after_losing_its_connection(engine, committed):
    async def scenario() -> None:
        hub = events.EventHub(events.conninfo(engine))
        try:
            sub = await hub.subscribe(events.Scope(None))
            killed = hub.backend_pid
            with engine.connect() as conn:  # kill the listening backend
                assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed}).scalar()
            for _ in range(200):
                if not hub.connected.is_set():
                    break
                await asyncio.sleep(0.01)
            assert not hub.connected.is_set()
            # committed while nobody listens: only the catch-up from the log can deliver it
            code = await asyncio.to_thread(commit_incident, engine, committed)
            got = await sub.next(timeout=5)
            while got is not None and got["id"] != code:
                got = await sub.next(timeout=5)
            assert got is not None and got["id"] == code
            assert hub.backend_pid != killed
        finally:
            await hub.close()

    asyncio.run(scenario())


def test_replay_returns_later_events_and_resets_when_too_far_behind(engine, committed):
    first = commit_incident(engine, committed)
    with engine.connect() as conn:
        seq = conn.execute(
            text("SELECT max(id) FROM event_log WHERE public_id = :c"), {"c": first}
        ).scalar_one()
    second = commit_incident(engine, committed)
    missed, reset = events.replay(engine, seq, events.Scope(None))
    assert [e["id"] for e in missed if e["id"] in (first, second)] == [second] and reset is False
    assert all(e["seq"] > seq for e in missed)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM event_log WHERE id <= :s"), {"s": seq})
    _, reset = events.replay(engine, seq - 5, events.Scope(None))
    assert reset is True


def test_polling_pages_the_log(engine, committed):
    code = commit_incident(engine, committed)
    page = events.recent(engine, events.Scope(None), after=None, limit=5)
    assert page["events"][-1]["id"] == code and page["last_id"] == page["events"][-1]["seq"]
    later = events.recent(engine, events.Scope(None), after=page["last_id"], limit=5)
    assert later["events"] == [] and later["last_id"] == page["last_id"]


def test_old_events_are_pruned(engine):
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO event_log (at, kind, type, public_id, payload) "
                "VALUES (now() - interval '30 days', 'report.created', 'report', 'DM-1999-000001', '{}')"
            )
        )
    assert events.prune(engine, keep=timedelta(days=7)) >= 1
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM event_log WHERE public_id = 'DM-1999-000001'")).scalar()
            == 0
        )


def test_a_slow_subscriber_is_dropped_instead_of_blocking_the_others():
    async def scenario() -> None:
        hub = events.EventHub("postgresql://unused")
        slow, fast = events.Subscription(events.Scope(None)), events.Subscription(events.Scope(None))
        hub.subscribers |= {slow, fast}
        for i in range(events.QUEUE_SIZE + 1):
            hub.dispatch({"seq": i + 1, "type": "report", "id": f"DM-2026-{i:06d}"})
            if i % 100 == 0:
                while not fast.queue.empty():
                    fast.queue.get_nowait()
        assert slow.dropped and slow not in hub.subscribers and fast in hub.subscribers

    asyncio.run(scenario())
