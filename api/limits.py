"""Refuse oversized request bodies before they are read into memory."""

from __future__ import annotations

import re

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _message(limit: int) -> str:
    return (f"Dữ liệu gửi lên quá lớn (tối đa {limit} byte) / request body too large "
            f"(limit {limit} bytes)")


class BodyTooLarge(HTTPException):
    """An HTTPException so that body parsers re-raise it instead of calling it a bad body."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_message(limit))


class BodySizeLimit:
    """413 when Content-Length, or the bytes actually streamed, exceed ``max_bytes``.

    Routes that take uploads may be given a larger limit by path prefix.
    """

    def __init__(self, app: ASGIApp, max_bytes: int,
                 overrides: dict[str | re.Pattern[str], int] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = overrides or {}

    def _limit(self, path: str) -> int:
        """A str key is a path prefix; a compiled pattern must match the whole path."""
        for key, limit in self.overrides.items():
            if path.startswith(key) if isinstance(key, str) else key.fullmatch(path):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _reject(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _reject(send, limit)


async def _reject(send: Send, limit: int) -> None:
    body = orjson.dumps({
        "detail": _message(limit),
        "code": "payload_too_large",
        "limit_bytes": limit,
    })
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
