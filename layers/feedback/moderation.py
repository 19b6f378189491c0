"""Moderation: staff hide (or show again) a report's text or one of its photos.

The content is kept (it may be evidence) but left out of every public view and the photo
file is no longer served publicly. Each action is logged with actor, time and reason; the
reason is internal. The public timeline only says that something was hidden.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from layers.errors import InvalidInput, NotFound
from layers.feedback.models import ModerationAction, Photo, Report
from layers.feedback.reports import clean_text
from layers.feedback.workflow import lock_report, record, require_actor
from layers.models import User

TARGETS = ("text", "photo")


def moderate(session: Session, code: str, *, target: str, hidden: bool, reason: str | None,
             actor: User, photo_id: int | None = None, now: datetime | None = None) -> Report:
    now = now or datetime.now(UTC)
    if target not in TARGETS:
        raise InvalidInput("Đối tượng không hợp lệ / target must be text or photo", code="bad_target",
                           allowed=list(TARGETS))
    reason = clean_text(reason, "reason", (3, 1000), required=True)
    report = lock_report(session, code)
    require_actor(actor, report)
    photo = None
    if target == "photo":
        photo = session.scalar(select(Photo).where(Photo.id == photo_id, Photo.report_id == report.id))
        if photo is None:
            raise NotFound("Không có ảnh này trong phản ánh / no such photo in this report",
                           code="photo_not_found")
        photo.hidden = hidden
    else:
        report.text_hidden = hidden
    action = "hide" if hidden else "show"
    session.add(ModerationAction(report_id=report.id, photo_id=photo.id if photo else None, target=target,
                                 action=action, reason=reason or "", actor_id=actor.id, at=now))
    notes = {("text", True): "Nội dung phản ánh đã bị ẩn / the text was hidden",
             ("text", False): "Nội dung phản ánh được hiển thị lại / the text is shown again",
             ("photo", True): "Một ảnh đã bị ẩn / a photo was hidden",
             ("photo", False): "Một ảnh được hiển thị lại / a photo is shown again"}
    record(session, report, action=f"{target}_{'hidden' if hidden else 'shown'}", actor=actor,
           actor_kind="staff", from_status=report.status, now=now, public_note=notes[(target, hidden)],
           internal_note=reason, data={"photo_id": photo.id} if photo else {})
    session.flush()
    session.refresh(report)
    return report


def log(session: Session, report: Report) -> list[ModerationAction]:
    return list(session.scalars(select(ModerationAction).where(ModerationAction.report_id == report.id)
                                .order_by(ModerationAction.at, ModerationAction.id)))


def photo_for_serving(session: Session, code: str, photo_id: int, *, staff: bool) -> Photo:
    """A photo of a report; hidden photos exist only for staff (404 otherwise, no hint)."""
    photo = session.scalar(select(Photo).join(Report).where(Report.code == code, Photo.id == photo_id))
    if photo is None or (photo.hidden and not staff):
        raise NotFound("Không có ảnh / no such photo", code="photo_not_found")
    return photo
