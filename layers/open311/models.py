"""What an Open311 client sent that a report has no column for. Created by 0006_apikeys.

``device_id`` and ``account_id`` identify a person's phone or account in the client's
system: private, never in any output (``account_id`` is only echoed to the client that
sent it, in the POST response, as the standard asks). ``media_url`` is stored as text and
never fetched.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from layers.models import Base


class Open311Request(Base):
    __tablename__ = "open311_requests"

    report_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("feedback_reports.id", ondelete="CASCADE"), primary_key=True
    )
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), index=True
    )
    media_url: Mapped[str | None] = mapped_column(Text)
    device_id: Mapped[str | None] = mapped_column(String(200))
    account_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
