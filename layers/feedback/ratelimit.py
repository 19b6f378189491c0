"""Anonymous submissions per IP: at most N in a sliding window, counted in the database.

The reports themselves are the log (``reporter_ip_hash`` is kept only for anonymous
submissions), so the limit holds across worker processes without another table. A
transaction-scoped advisory lock per IP serialises concurrent submissions from one
address until the first commits, so a burst cannot slip through between count and insert.
Index: ``ix_feedback_reports_ip_recent`` (reporter_ip_hash, received_at).
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from layers.errors import TooManyAttempts
from layers.feedback.models import Report

#: First key of the two-integer advisory locks taken by feedback (second: a hash).
LOCK_RATE = 4_001


def ip_hash(ip: str | None) -> str:
    """A stable pseudonym for a client address (the address itself is not stored)."""
    return hashlib.sha256(f"iocmap-feedback-ip:{ip or 'unknown'}".encode()).hexdigest()


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
