"""Request dependencies: database session, current principal, role guards, parsed params.

``RequireRoles`` is the single authorisation dependency: every protected route declares
the roles it admits with it, and the role-matrix test reads those declarations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from layers import accounts
from layers.db import session_scope
from layers.errors import Forbidden, InvalidInput, NotAuthenticated
from layers.models import User
from layers.settings import Settings

SESSION_COOKIE = "iocmap_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed before the response, rolled back on error."""
    with session_scope(request.app.state.sessionmaker) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


@dataclass
class Principal:
    """Who is calling, and how they proved it."""

    user: User | None
    via: str | None = None  # "cookie" | "bearer"
    token: str | None = None
    csrf_token: str | None = None


def get_principal(request: Request, session: SessionDep) -> Principal:
    """Bearer token first, then the session cookie; an invalid bearer token is a 401.

    Cookie-authenticated requests that change state must echo the session's CSRF token
    in ``X-CSRF-Token`` (the cookie is also SameSite=Lax).
    """
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("Sai kiểu xác thực / unsupported authorization", code="bad_auth_scheme")
        auth = accounts.resolve_session(session, token.strip(), kind="bearer")
        if auth is None:
            raise NotAuthenticated("Token không hợp lệ hoặc đã hết hạn / invalid or expired token",
                                   code="invalid_token")
        return Principal(user=auth.user, via="bearer", token=token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        auth = accounts.resolve_session(session, cookie, kind="cookie")
        if auth is not None:
            if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != auth.csrf_token:
                raise Forbidden("Thiếu hoặc sai mã CSRF / missing or wrong CSRF token", code="csrf_failed")
            return Principal(user=auth.user, via="cookie", token=cookie, csrf_token=auth.csrf_token)
    return Principal(user=None)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


# Only declares the password flow in the OpenAPI document, so /docs offers "Authorize" on
# the guarded operations; get_principal does the actual reading of the header or cookie.
_OPENAPI_BEARER = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token", auto_error=False, scheme_name="iocmap",
    description="Tên đăng nhập và mật khẩu / username and password (or a session cookie)",
)


class RequireRoles:
    """Admit only signed-in users with one of ``roles``: 401 anonymous, 403 wrong role."""

    def __init__(self, *roles: str) -> None:
        self.roles = frozenset(roles)

    def __call__(self, principal: PrincipalDep,
                 _doc: Annotated[str | None, Depends(_OPENAPI_BEARER)] = None) -> User:
        if principal.user is None:
            raise NotAuthenticated("Cần đăng nhập / sign-in required", code="not_authenticated")
        if principal.user.role not in self.roles:
            raise Forbidden("Vai trò không được phép / role not allowed", code="forbidden",
                            required_roles=sorted(self.roles))
        return principal.user


class Public:
    """Marks a route as open to anonymous visitors (what it shows may still depend on the role).

    Every route carries either this or ``RequireRoles``; the role-matrix test enforces it.
    ``async`` so FastAPI calls it on the event loop: a plain ``def`` dependency costs a
    worker-thread hop on every request of every public route (measured on the tile route).
    """

    async def __call__(self) -> None:
        return None


PUBLIC = Public()
ANY_USER = RequireRoles("admin", "leader", "planner", "officer", "citizen")
ADMIN = RequireRoles("admin")


def on_date(
    date_: Annotated[
        date | None,
        Query(alias="date", description="Ngày hiệu lực (YYYY-MM-DD); mặc định hôm nay / "
              "validity date, default today"),
    ] = None,
) -> date:
    day = date_ or date.today()
    if not date(1900, 1, 1) <= day <= date(2200, 1, 1):
        raise InvalidInput("Ngày ngoài phạm vi / date out of range", code="bad_date")
    return day


DateDep = Annotated[date, Depends(on_date)]
