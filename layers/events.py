"""Live events: PostgreSQL LISTEN/NOTIFY → one listener per app process → every subscriber.

Producers are the triggers of migration 0005 (``iocmap_emit_event``): a report or an
incident is created or changes status, a row goes into ``event_log`` (its id is the event
id) and ``pg_notify('iocmap_events', ...)`` fires when the transaction commits, whichever
process or tool wrote it. Each app process keeps ONE listening connection (psycopg async,
in the event loop) and fans the events out to its subscribers' queues, so 200 browsers
cost 200 queues, not 200 database connections.

Resuming: a client that reconnects with ``Last-Event-ID: N`` gets the logged events after
N (``replay``); the log keeps ``RETENTION`` (7 days) and a client further behind gets a
``reset`` (reload the state). The listener itself catches up from the log after losing its
connection. Known limit: ids come from a sequence, so a transaction that took id 9 but
committed after the one that took id 10 is seen live, but would be skipped by a replay
that resumes from exactly 10 while it was still uncommitted (a millisecond-wide window).

Visibility (``Scope``): leaders and admins see everything; officers see all incident
events (operational awareness) and report events of their own agencies only. No event
ever carries personal data (see the trigger: codes, status, category, agency, point).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
import psycopg
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

CHANNEL = "iocmap_events"
RETENTION = timedelta(days=7)
QUEUE_SIZE = 1000
REPLAY_LIMIT = 5000
_PING_SECONDS = 30.0
_PRUNE_SECONDS = 600.0


@dataclass(frozen=True)
class Scope:
    """What a subscriber may see; ``agencies=None`` means everything."""

    agencies: frozenset[str] | None = None

    def visible(self, event: dict[str, Any]) -> bool:
        if self.agencies is None or event.get("type") == "incident":
            return True
        return event.get("agency") in self.agencies


def scope_for(role: str, agency_codes: list[str]) -> Scope:
    return Scope(None) if role in ("admin", "leader") else Scope(frozenset(agency_codes))


def conninfo(engine: Engine) -> str:
    """A libpq URI for psycopg from the SQLAlchemy engine's URL (same server, same user)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


# ---- reading the log (sync; run in a worker thread from async code) ----------------------


def _rows_to_events(rows: Any) -> list[dict[str, Any]]:
    return [{**row.payload, "seq": int(row.id)} for row in rows]


def replay(
    engine: Engine, after: int, scope: Scope, limit: int = REPLAY_LIMIT
) -> tuple[list[dict[str, Any]], bool]:
    """Events after id ``after`` that ``scope`` may see, and whether the client fell too far
    behind (events it missed were already pruned: it must reload its state)."""
    with engine.connect() as conn:
        oldest = conn.execute(text("SELECT min(id) FROM event_log")).scalar()
        rows = conn.execute(
            text("SELECT id, payload FROM event_log WHERE id > :after ORDER BY id LIMIT :limit"),
            {"after": after, "limit": limit},
        ).all()
    reset = (oldest is not None and after < oldest - 1) or len(rows) == limit
    return [e for e in _rows_to_events(rows) if scope.visible(e)], reset


def recent(engine: Engine, scope: Scope, *, after: int | None, limit: int) -> dict[str, Any]:
    """A page of the log for clients that poll instead of streaming."""
    with engine.connect() as conn:
        last = conn.execute(text("SELECT coalesce(max(id), 0) FROM event_log")).scalar_one()
        if after is None:
            rows = conn.execute(
                text(
                    "SELECT id, payload FROM (SELECT id, payload FROM event_log "
                    "ORDER BY id DESC LIMIT :limit) t ORDER BY id"
                ),
                {"limit": limit},
            ).all()
            reset = False
        else:
            oldest = conn.execute(text("SELECT min(id) FROM event_log")).scalar()
            rows = conn.execute(
                text("SELECT id, payload FROM event_log WHERE id > :after ORDER BY id LIMIT :limit"),
                {"after": after, "limit": limit},
            ).all()
            reset = oldest is not None and after < oldest - 1
    events = _rows_to_events(rows)
    cursor = events[-1]["seq"] if events else (after if after is not None else int(last))
    return {"events": [e for e in events if scope.visible(e)], "last_id": cursor, "reset": reset}


def prune(engine: Engine, keep: timedelta = RETENTION) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(text("DELETE FROM event_log WHERE at < now() - :keep"), {"keep": keep}).rowcount
        )


# ---- the listener and its subscribers ------------------------------------------------------


@dataclass(eq=False)
class Subscription:
    """One connected client: a bounded queue; on overflow it is dropped (the client resumes)."""

    scope: Scope
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: bool = False
    _sent: deque[int] = field(default_factory=lambda: deque(maxlen=2000))
    _sent_set: set[int] = field(default_factory=set)

    def offer(self, event: dict[str, Any]) -> bool:
        if self.dropped or not self.scope.visible(event):
            return True
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            return False
        return True

    async def next(self, timeout: float) -> dict[str, Any] | None:
        """The next event not yet sent to this client, or None after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.dropped:
            left = deadline - loop.time()
            if left <= 0:
                return None
            try:
                event = await asyncio.wait_for(self.queue.get(), left)
            except TimeoutError:
                return None
            if self.mark_sent(int(event["seq"])):
                return event
        return None

    def mark_sent(self, seq: int) -> bool:
        """Remember ``seq``; False if it was sent already (replay and live overlap)."""
        if seq in self._sent_set:
            return False
        if len(self._sent) == self._sent.maxlen:
            self._sent_set.discard(self._sent[0])
        self._sent.append(seq)
        self._sent_set.add(seq)
        return True


class EventHub:
    """The process's single LISTEN connection and its subscribers."""

    def __init__(self, dsn: str, *, channel: str = CHANNEL) -> None:
        self.dsn = dsn
        self.channel = channel
        self.subscribers: set[Subscription] = set()
        self.connected = asyncio.Event()
        self.last_seen: int | None = None
        self.received = 0
        self.backend_pid: int | None = None  # of the listening connection (for operators and tests)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="iocmap-events")

    async def ready(self, timeout: float = 10.0) -> bool:
        self.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), timeout)
        return self.connected.is_set()

    async def subscribe(self, scope: Scope) -> Subscription:
        """Register first, then the caller replays the log: nothing falls between the two."""
        await self.ready()
        sub = Subscription(scope=scope)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscribers.discard(sub)

    def dispatch(self, event: dict[str, Any]) -> None:
        seq = int(event.get("seq", 0))
        self.last_seen = max(self.last_seen or 0, seq)
        self.received += 1
        for sub in list(self.subscribers):
            if not sub.offer(event):
                log.warning("event subscriber too slow, dropped (it will resume by Last-Event-ID)")
                self.subscribers.discard(sub)

    async def _catch_up(self, conn: psycopg.AsyncConnection[Any]) -> None:
        cur = await conn.execute("SELECT coalesce(max(id), 0) FROM event_log")
        row = await cur.fetchone()
        newest = int(row[0]) if row else 0
        if self.last_seen is not None and newest > self.last_seen:
            cur = await conn.execute(
                "SELECT id, payload FROM event_log WHERE id > %s ORDER BY id LIMIT %s",
                (self.last_seen, REPLAY_LIMIT),
            )
            for seq, payload in await cur.fetchall():
                self.dispatch({**payload, "seq": int(seq)})
        self.last_seen = max(self.last_seen or 0, newest)

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        async with await psycopg.AsyncConnection.connect(
            self.dsn, autocommit=True, application_name="iocmap-events"
        ) as conn:
            self.backend_pid = conn.info.backend_pid
            await conn.execute(f"LISTEN {self.channel}")  # a module constant, never input
            await self._catch_up(conn)
            self.connected.set()
            log.info("listening for live events on %s", self.channel)
            next_prune = loop.time()
            while True:
                async for note in conn.notifies(timeout=_PING_SECONDS):
                    try:
                        self.dispatch(orjson.loads(note.payload))
                    except (orjson.JSONDecodeError, TypeError, ValueError):
                        log.warning("ignored a malformed event payload")
                await conn.execute("SELECT 1")  # a quiet half-open connection fails here
                if loop.time() >= next_prune:
                    next_prune = loop.time() + _PRUNE_SECONDS
                    await conn.execute("DELETE FROM event_log WHERE at < now() - %s", (RETENTION,))

    async def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any database trouble: wait, reconnect, catch up
                self.connected.clear()
                log.warning(
                    "event listener lost its connection (%s); retrying in %.1fs", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            else:
                delay = 0.5

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        self.connected.clear()
        for sub in list(self.subscribers):
            sub.dropped = True
        self.subscribers.clear()
