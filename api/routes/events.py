"""``GET /api/v1/events``: the live operations feed as server-sent events.

Who: leaders, officers and admins (the IOC page); planners work on layers and get
analytics, not the live feed. Bearer token or session cookie. Officers get report events
of their agencies only, plus every incident event (``layers.events.Scope``).

Content negotiation: a client that asks for ``text/event-stream`` (EventSource always
does; curl needs ``-H 'Accept: text/event-stream'``) gets the stream; any other client
gets a JSON page of the event log (``?after=<id>``), which also serves the feed's first
paint and clients that cannot stream.

The stream: ``retry:``, then the missed events when ``Last-Event-ID`` (header, or the
``last_event_id`` query parameter) is given, then live events as ``id: <seq>`` +
``data: <json>``; a ``: ping`` comment every 15 s keeps proxies from closing an idle
connection. After ``STREAM_SECONDS`` the server ends the stream and EventSource
reconnects with Last-Event-ID, losing nothing, so a revoked session stops receiving
within that time.

Database connections: a stream lives for minutes, so it must not keep one of the app's
pooled connections (pool 10 + overflow 10). ``LiveGuard`` signs the caller in within ONE
worker-thread call that checks a connection out, reads the session and gives it back,
instead of the request-scoped ``SessionDep``: 200 browsers opening at once (a leader's
meeting, a restarted server) then queue for milliseconds each and never starve the pool
(measured: tests/api/test_events_burst.py). The replay of missed events and the JSON page
also check out, read and return in one call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.responses import StreamingResponse

from api.deps import RequireRoles, get_principal
from layers import events
from layers.db import session_scope
from layers.errors import Forbidden, InvalidInput, NotAuthenticated


@dataclass(frozen=True)
class Listener:
    """What a stream needs to know of its user, read once (no ORM object outlives the check)."""

    username: str
    role: str
    agencies: tuple[str, ...]


def _sign_in(request: Request) -> Listener | None:
    """Bearer token or session cookie, exactly as ``get_principal``; the connection is back in
    the pool when this returns."""
    with session_scope(request.app.state.sessionmaker) as session:
        user = get_principal(request, session).user
        if user is None:
            return None
        return Listener(user.username, user.role, tuple(a.code for a in user.agencies))


class LiveGuard(RequireRoles):
    """``RequireRoles`` for long-lived streams: same roles, same 401/403, but no pooled
    connection held by a request-scoped session (see the module docstring)."""

    async def __call__(self, request: Request) -> Listener:  # type: ignore[override]
        listener = await anyio.to_thread.run_sync(_sign_in, request)
        if listener is None:
            raise NotAuthenticated("Cần đăng nhập / sign-in required", code="not_authenticated")
        if listener.role not in self.roles:
            raise Forbidden("Vai trò không được phép / role not allowed", code="forbidden",
                            required_roles=sorted(self.roles))
        return listener


LIVE = LiveGuard("admin", "leader", "officer")
Live = Annotated[Listener, Depends(LIVE)]
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 900.0
RETRY_MS = 3000

router = APIRouter(prefix="/api/v1", tags=["live events"])


def hub_for(app: FastAPI) -> events.EventHub:
    """The process's listener, made on first use (a process nobody streams from never listens)."""
    hub: events.EventHub | None = getattr(app.state, "events_hub", None)
    if hub is None:
        hub = events.EventHub(events.conninfo(app.state.engine))
        app.state.events_hub = hub
    return hub


async def close_hub(app: FastAPI) -> None:
    """Called by the app's lifespan on shutdown."""
    hub: events.EventHub | None = getattr(app.state, "events_hub", None)
    if hub is not None:
        await hub.close()
        app.state.events_hub = None


def _sse(event: dict[str, Any]) -> bytes:
    body = {k: v for k, v in event.items() if k != "seq"}
    return b"id: %d\ndata: %s\n\n" % (int(event["seq"]), orjson.dumps(body))


def _last_id(header: str | None, query: int | None) -> int | None:
    raw = header if header is not None else (str(query) if query is not None else None)
    if raw is None or raw.strip() == "":
        return None
    if not raw.strip().isdigit() or len(raw.strip()) > 18:
        raise InvalidInput(
            "Last-Event-ID phải là số / Last-Event-ID must be a number", code="bad_last_event_id"
        )
    return int(raw.strip())


async def _stream(app: FastAPI, scope: events.Scope, last_id: int | None) -> AsyncIterator[bytes]:
    hub = hub_for(app)
    sub = await hub.subscribe(scope)
    try:
        yield b"retry: %d\n: connected\n\n" % RETRY_MS
        if last_id is not None:
            missed, reset = await anyio.to_thread.run_sync(events.replay, app.state.engine, last_id, scope)
            if reset:
                yield b'event: reset\ndata: {"reason": "too_far_behind"}\n\n'
            for old in missed:
                if sub.mark_sent(int(old["seq"])):
                    yield _sse(old)
        deadline = anyio.current_time() + STREAM_SECONDS
        while anyio.current_time() < deadline and not sub.dropped:
            event = await sub.next(timeout=min(HEARTBEAT_SECONDS, max(deadline - anyio.current_time(), 0.01)))
            yield _sse(event) if event is not None else b": ping\n\n"
    finally:
        hub.unsubscribe(sub)


@router.get(
    "/events",
    summary="Sự kiện trực tiếp (SSE) / live events",
    description="`Accept: text/event-stream`: a server-sent event stream; each `data:` is JSON "
    "`{kind, type, id, status, from_status, lon, lat, at, ...}` (`kind`: report.created, "
    "report.status_changed, report.transferred, incident.created, incident.status_changed, "
    "incident.updated; `id`: the tracking code or incident code) with the SSE `id:` = log sequence; "
    "resume with `Last-Event-ID`. Other `Accept`: a JSON page `{events, last_id, reset}` of the log "
    "after `after` (default: the latest `limit`).",
    responses={200: {"content": {"text/event-stream": {}, "application/json": {}}}},
)
async def live_events(
    request: Request,
    user: Live,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
    last_event_id_q: Annotated[int | None, Query(alias="last_event_id", ge=0)] = None,
    after: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    scope = events.scope_for(user.role, list(user.agencies))
    if "text/event-stream" in request.headers.get("accept", "").lower():
        resume = _last_id(last_event_id, last_event_id_q)
        return StreamingResponse(
            _stream(request.app, scope, resume),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return await anyio.to_thread.run_sync(
        lambda: events.recent(request.app.state.engine, scope, after=after, limit=limit)
    )
