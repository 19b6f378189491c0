"""Anonymous submissions per IP: at most N in a sliding window, counted in the database.

The reports themselves are the log (``reporter_ip_hash``, a keyed hash of the address,
is kept only for anonymous submissions), so the limit holds across worker processes without another table. A
transaction-scoped advisory lock per IP serialises concurrent submissions from one
address until the first commits, so a burst cannot slip through between count and insert.
Index: ``ix_feedback_reports_ip_recent`` (reporter_ip_hash, received_at).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from layers.errors import TooManyAttempts
from layers.feedback.models import Report
from layers.settings import Settings, get_settings

#: First key of the two-integer advisory locks taken by feedback (second: a hash).
LOCK_RATE = 4_001


#: Where a generated pepper is kept when ``IOCMAP_FEEDBACK_IP_PEPPER`` is not set.
PEPPER_FILE = Path("secrets") / "feedback-ip-pepper"
_pepper: bytes | None = None


def pepper_from(settings: Settings) -> bytes:
    """``IOCMAP_FEEDBACK_IP_PEPPER``, else the secret in the data dir (made on first use, 0600).

    Several workers may start at once: the file is created exclusively and a loser reads
    the winner's secret.
    """
    if settings.feedback_ip_pepper is not None:
        value = settings.feedback_ip_pepper.get_secret_value().encode()
        if len(value) < 16:
            raise ValueError("IOCMAP_FEEDBACK_IP_PEPPER must be at least 16 characters")
        return value
    path = settings.data_dir / PEPPER_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the winner may not have written it yet
            value = path.read_bytes().strip()
            if value:
                return value
            time.sleep(0.02)
        raise RuntimeError(f"empty pepper file {path}") from None
    value = secrets.token_urlsafe(32).encode()
    with os.fdopen(fd, "wb") as f:
        f.write(value)
    return value


def ip_hash(ip: str | None, pepper: bytes | None = None) -> str:
    """A stable pseudonym for a client address (the address itself is not stored).

    HMAC-SHA-256 keyed by the pepper: without the secret the 2^32 IPv4 addresses cannot
    be tried against the stored hashes. The process-wide pepper comes from the settings.
    """
    global _pepper
    if pepper is None:
        if _pepper is None:
            _pepper = pepper_from(get_settings())
        pepper = _pepper
    return hmac.new(pepper, f"iocmap-feedback-ip:{ip or 'unknown'}".encode(), hashlib.sha256).hexdigest()


def check_anonymous(session: Session, ip_digest: str, *, limit: int, window: timedelta,
                    now: datetime) -> None:
    """429 ``rate_limited`` with ``retry_after`` seconds when the IP used up its quota."""
    session.execute(select(func.pg_advisory_xact_lock(LOCK_RATE, func.hashtext(ip_digest))))
    recent = session.scalars(
        select(Report.received_at)
        .where(Report.reporter_ip_hash == ip_digest, Report.received_at > now - window)
        .order_by(Report.received_at)
        .limit(limit)
    ).all()
    if len(recent) >= limit:
        retry = max(1, math.ceil((recent[0] + window - now).total_seconds()))
        minutes = int(window.total_seconds() // 60)
        raise TooManyAttempts(
            f"Bạn đã gửi {limit} phản ánh trong {minutes} phút; vui lòng thử lại sau {retry} giây "
            f"(hoặc đăng nhập) / you sent {limit} reports in {minutes} minutes; try again in "
            f"{retry} seconds (or sign in)",
            code="rate_limited", retry_after=retry, limit=limit, window_seconds=int(window.total_seconds()),
        )
