"""The one place where domain exceptions become HTTP responses.

Every error body has the stable shape ``{"detail": ..., "code": ...}`` (plus optional
machine-readable members); a client never sees ``str(exc)`` of an unexpected error.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from layers import errors as e

log = logging.getLogger(__name__)

STATUS: dict[type[e.DomainError], int] = {
    e.InvalidInput: 422,
    e.NotFound: 404,
    e.Conflict: 409,
    e.NotAuthenticated: 401,
    e.Forbidden: 403,
    e.TooManyAttempts: 429,
    e.DatabaseUnavailable: 503,
    e.ClusterError: 503,
}

_HTTP_CODES = {
    400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict",
    413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid_input",
    429: "too_many_requests",
}


def status_for(exc: e.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(detail: Any, code: str, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code, **extra}


def add_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(e.DomainError)
    async def domain_error(request: Request, exc: e.DomainError) -> JSONResponse:
        status = status_for(exc)
        headers = {}
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if "retry_after" in exc.extra:
            headers["Retry-After"] = str(exc.extra["retry_after"])
        return JSONResponse(
            error_body(exc.message, exc.code, **exc.extra), status_code=status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg"), "type": err.get("type")}
            for err in exc.errors()
        ]
        return JSONResponse(
            error_body("Dữ liệu không hợp lệ / invalid input", "invalid_input", errors=errors),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(exc.detail, code), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("Lỗi máy chủ / internal server error", "internal_error"), status_code=500
        )
