"""API keys for machine clients (Open311 GeoReport v2 applications).

A key is a random secret shown once when it is created (by an admin in the UI or with
``iocmap apikey create``); only its SHA-256 is stored, so a database leak gives no usable
key. SHA-256 rather than Argon2: the secret has 256 bits of entropy, so there is nothing
to brute-force, and a keyed lookup by hash stays one index probe per request. The first
characters (``prefix``) are kept in clear to tell keys apart in lists and logs. Revoking
is immediate and permanent; the row stays so reports keep naming the client.
Table created by migration 0006_apikeys.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from layers.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.models import Base, User

KEY_PREFIX = "dmk_"
PREFIX_CHARS = 12
# Any script (Vietnamese names welcome); a letter first, so a number is always an id.
NAME_RE = re.compile(r"^[^\W\d_][\w .@-]{1,63}$")
# Writing last_used_at on every request would turn every read into a write; once a
# minute is precise enough to see which clients are alive.
TOUCH_EVERY = timedelta(minutes=1)


class ApiKey(Base):
    """One client's key: a name, the clear prefix, the hash; revocable."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its secret: the only moment the secret exists outside the client."""

    key: ApiKey
    secret: str


def key_hash(secret: str) -> str:
    return hashlib.sha256(f"iocmap-api-key:{secret}".encode()).hexdigest()


def _name(name: str) -> str:
    name = unicodedata.normalize("NFC", name or "").strip()
    if not NAME_RE.fullmatch(name):
        raise InvalidInput("Tên khóa: 2-64 ký tự, bắt đầu bằng chữ cái (chữ, số, khoảng trắng, . _ @ -) "
                           "/ key name: 2-64 characters starting with a letter (letters, digits, space, "
                           "._@-)", code="bad_key_name")
    return name


def create_key(session: Session, name: str, *, note: str | None = None, actor: User | None = None,
               now: datetime | None = None) -> IssuedKey:
    """A new active key; the name must be unused (revoked keys keep theirs)."""
    name = _name(name)
    if session.scalar(select(ApiKey.id).where(func.lower(ApiKey.name) == name.lower())) is not None:
        raise Conflict(f"Tên khóa đã có / a key with this name exists: {name}", code="key_name_taken")
    if note is not None and len(note) > 1000:
        raise InvalidInput("Ghi chú tối đa 1000 ký tự / note: at most 1000 characters", code="bad_note")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, prefix=secret[:PREFIX_CHARS], key_hash=key_hash(secret), note=note or None,
                 created_at=now or datetime.now(UTC), created_by=actor.id if actor else None)
    session.add(key)
    session.flush()
    return IssuedKey(key=key, secret=secret)


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def get_key(session: Session, ident: int | str) -> ApiKey:
    """By id, or by name (names start with a letter, so a number is always an id)."""
    if isinstance(ident, int) or ident.isdigit():
        key = session.get(ApiKey, int(ident))
    else:
        key = session.scalar(select(ApiKey).where(func.lower(ApiKey.name) == ident.strip().lower()))
    if key is None:
        raise NotFound(f"Không có khóa API / no such API key: {ident}", code="api_key_not_found")
    return key


def revoke_key(session: Session, ident: int | str, *, actor: User | None = None,
               now: datetime | None = None) -> ApiKey:
    """Revoke now; revoking a revoked key changes nothing (the first revocation is kept)."""
    key = get_key(session, ident)
    if key.revoked_at is None:
        key.revoked_at = now or datetime.now(UTC)
        key.revoked_by = actor.id if actor else None
        session.flush()
    return key


def authenticate(session: Session, secret: str | None, now: datetime | None = None) -> ApiKey:
    """The active key for ``secret``, or 403 (missing, unknown and revoked look the same)."""
    if not secret:
        raise Forbidden("Thiếu api_key / api_key is required to create a service request",
                        code="api_key_required")
    key = None
    if len(secret) <= 200:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash(secret)))
    if key is None or key.revoked_at is not None:
        raise Forbidden("api_key không hợp lệ hoặc đã bị thu hồi / invalid or revoked api_key",
                        code="api_key_invalid")
    now = now or datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        key.last_used_at = now
    return key
