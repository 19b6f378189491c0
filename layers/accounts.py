"""Accounts, roles, login and sessions.

Passwords are hashed with Argon2id. Session cookies and bearer tokens are random
secrets of which only a SHA-256 is stored, so a database leak gives no usable token.
Repeated failed logins lock the account for a while (brute force slowed).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from layers.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, TooManyAttempts
from layers.models import ROLES, Agency, AuthSession, User

_HASHER = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 8
STAFF_ROLES = ("admin", "leader", "planner", "officer")


@dataclass(frozen=True)
class IssuedSession:
    token: str
    csrf_token: str | None
    expires_at: datetime


def now() -> datetime:
    return datetime.now(UTC)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự / "
            f"password must have at least {MIN_PASSWORD} characters",
            code="weak_password",
        )


def _normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.fullmatch(name):
        raise InvalidInput(
            "Tên đăng nhập 3-64 ký tự a-z, 0-9, '.', '_', '-' / "
            "username must be 3-64 characters of a-z, 0-9, '.', '_', '-'",
            code="bad_username",
        )
    return name


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(
            f"Vai trò không hợp lệ / unknown role: {role}", code="bad_role", allowed=list(ROLES)
        )


def _agencies(session: Session, codes: list[str]) -> list[Agency]:
    if not codes:
        return []
    found = session.scalars(select(Agency).where(Agency.code.in_(codes))).all()
    missing = sorted(set(codes) - {a.code for a in found})
    if missing:
        raise InvalidInput(
            f"Không có cơ quan / unknown agencies: {', '.join(missing)}", code="unknown_agency"
        )
    return list(found)


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    full_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    agency_codes: list[str] | None = None,
) -> User:
    name = _normalise_username(username)
    _check_role(role)
    _check_password_rules(password)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"Tên đăng nhập đã tồn tại / username taken: {name}", code="username_taken")
    user = User(
        username=name, password_hash=hash_password(password), role=role, full_name=full_name,
        email=email, phone=phone, is_active=True, failed_logins=0,
    )
    user.agencies = _agencies(session, agency_codes or [])
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"Không có tài khoản / no such user: {username}", code="user_not_found")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def set_role(session: Session, username: str, role: str, agency_codes: list[str] | None = None) -> User:
    _check_role(role)
    user = get_user(session, username)
    user.role = role
    if agency_codes is not None:
        user.agencies = _agencies(session, agency_codes)
    session.flush()
    return user


def set_active(session: Session, username: str, active: bool) -> User:
    """Disabling also revokes every open session and token of the account."""
    user = get_user(session, username)
    user.is_active = active
    if not active:
        session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now())
        )
    session.flush()
    return user


def set_password(session: Session, username: str, password: str) -> User:
    _check_password_rules(password)
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def authenticate(
    session: Session, username: str, password: str, *, max_failures: int, lockout_minutes: int
) -> User:
    """Check a password; count failures and lock the account after too many.

    The failure counter must persist even though we raise, so this commits it itself.
    The same message is given for an unknown user and a wrong password.
    """
    bad = NotAuthenticated(
        "Sai tên đăng nhập hoặc mật khẩu / wrong username or password", code="bad_credentials"
    )
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        _verify(_DUMMY_HASH, password)
        raise bad
    if user.locked_until is not None and user.locked_until > now():
        raise TooManyAttempts(
            "Tài khoản tạm khóa do đăng nhập sai nhiều lần, thử lại sau / "
            "account temporarily locked after repeated failures, try later",
            retry_after=int((user.locked_until - now()).total_seconds()) + 1,
        )
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now() + timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
        session.commit()
        raise bad
    if not user.is_active:
        raise NotAuthenticated("Tài khoản đã bị khóa / account disabled", code="account_disabled")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now()
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def issue_session(session: Session, user: User, *, kind: str, hours: int) -> IssuedSession:
    """A cookie session (with its CSRF token) or a bearer token for API clients."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24) if kind == "cookie" else None
    expires = now() + timedelta(hours=hours)
    session.add(AuthSession(
        user_id=user.id, token_hash=_token_hash(token), kind=kind, csrf_token=csrf,
        expires_at=expires,
    ))
    session.flush()
    return IssuedSession(token=token, csrf_token=csrf, expires_at=expires)


def resolve_session(session: Session, token: str, *, kind: str) -> AuthSession | None:
    """The live session for a token, or None if unknown, expired, revoked or disabled."""
    auth = session.scalar(
        select(AuthSession).where(
            AuthSession.token_hash == _token_hash(token), AuthSession.kind == kind
        )
    )
    if auth is None or auth.revoked_at is not None or auth.expires_at <= now():
        return None
    if not auth.user.is_active:
        return None
    return auth


def revoke_session(session: Session, token: str) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == _token_hash(token), AuthSession.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def ensure_admin(session: Session, password: str | None) -> str | None:
    """Create the first admin (username ``admin``) if absent; return a generated password."""
    if session.scalar(select(User.id).where(User.username == "admin")) is not None:
        return None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    create_user(session, username="admin", password=password, role="admin",
                full_name="Quản trị hệ thống")
    return generated
