"""Sign-in: browser session cookie (with CSRF token) and OAuth2 password-flow bearer tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ANY_USER, PUBLIC, SESSION_COOKIE, PrincipalDep, SessionDep, SettingsDep
from api.schemas import LoginRequest, Me, Token, UserPublic
from layers import accounts
from layers.models import User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _authenticate(session: SessionDep, settings: SettingsDep, username: str, password: str) -> User:
    return accounts.authenticate(
        session, username, password,
        max_failures=settings.login_max_failures, lockout_minutes=settings.login_lockout_minutes,
    )


@router.post(
    "/token", response_model=Token, dependencies=[Depends(PUBLIC)],
    summary="Lấy bearer token (OAuth2 password flow) / get a bearer token",
    responses={401: {"description": "bad credentials"}, 429: {"description": "account locked"}},
)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, settings: SettingsDep
) -> Token:
    user = _authenticate(session, settings, form.username, form.password)
    issued = accounts.issue_session(session, user, kind="bearer", hours=settings.session_hours)
    return Token(access_token=issued.token, expires_at=issued.expires_at)


@router.post(
    "/login", response_model=Me, dependencies=[Depends(PUBLIC)],
    summary="Đăng nhập trình duyệt / browser sign-in",
    description="Sets an HttpOnly, SameSite=Lax session cookie and returns the CSRF token "
    "to echo in `X-CSRF-Token` on state-changing requests.",
    responses={401: {"description": "bad credentials"}, 429: {"description": "account locked"}},
)
def login(body: LoginRequest, response: Response, session: SessionDep, settings: SettingsDep) -> Me:
    user = _authenticate(session, settings, body.username, body.password)
    issued = accounts.issue_session(session, user, kind="cookie", hours=settings.session_hours)
    response.set_cookie(
        SESSION_COOKIE, issued.token, max_age=settings.session_hours * 3600, httponly=True,
        samesite="lax", secure=settings.secure_cookies, path="/",
    )
    return Me(user=UserPublic.of(user), csrf_token=issued.csrf_token)


@router.post(
    "/logout", status_code=204,
    summary="Đăng xuất / sign out",
    description="Revokes the current cookie session or bearer token.",
    dependencies=[Depends(ANY_USER)],
)
def logout(principal: PrincipalDep, response: Response, session: SessionDep) -> Response:
    if principal.token:
        accounts.revoke_session(session, principal.token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = 204
    return response


@router.get(
    "/me", response_model=Me, summary="Tài khoản hiện tại / current account",
    dependencies=[Depends(ANY_USER)],
)
def me(principal: PrincipalDep) -> Me:
    assert principal.user is not None
    return Me(user=UserPublic.of(principal.user), csrf_token=principal.csrf_token)
