"""What each audience may see of a report. The privacy rules live here, in one place.

* public (anyone, lists and detail, Open311 and statistics build on it): never the
  reporter's name, phone, email, account, IP hash, idempotency key or private token;
  hidden text and hidden photos are left out; the timeline shows public notes only.
* private (the reporter, through the private link): public + their own contact details
  and whether they may still confirm or dispute.
* staff (responsible officers, leaders, admins): public + internal notes, assignee,
  hidden content (flagged), and the reporter's contact only when they agreed to share it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2.shape import to_shape
from shapely.geometry import Point

from layers.feedback.models import OPEN_STATUSES, Photo, Report, Transition
from layers.feedback.workflow import CONFIRM_WINDOW

HIDDEN_VI = "Nội dung đã bị ẩn do vi phạm quy định / content hidden by a moderator"


def _photo(report: Report, photo: Photo, *, staff: bool) -> dict[str, Any]:
    url = f"/api/v1/reports/{report.code}/photos/{photo.id}"
    out = {"id": photo.id, "url": url, "thumb_url": f"{url}?size=thumb", "width": photo.width,
           "height": photo.height, "media_type": photo.media_type}
    if staff:
        out["hidden"] = photo.hidden
    return out


def deadline(report: Report, now: datetime) -> dict[str, Any]:
    """Time left (negative = overdue) while open; whether it finished on time once done."""
    info: dict[str, Any] = {"working_days": report.deadline_days, "due_at": report.due_at}
    if report.status in OPEN_STATUSES:
        left = int((report.due_at - now).total_seconds())
        info.update(seconds_left=left, overdue=left < 0, on_time=None)
    else:
        done = report.resolved_at if report.status in ("resolved", "closed") else report.closed_at
        info.update(seconds_left=None, overdue=False,
                    on_time=None if done is None else done <= report.due_at)
    return info


def _location(report: Report) -> dict[str, Any]:
    point = to_shape(report.geom)
    assert isinstance(point, Point)
    return {"lon": round(point.x, 6), "lat": round(point.y, 6), "precision": report.location_precision}


def public(report: Report, now: datetime, *, timeline: list[Transition] | None = None,
           staff: bool = False) -> dict[str, Any]:
    """The public view (``staff=True`` only adds hidden content back, flagged)."""
    show_text = staff or not report.text_hidden
    out: dict[str, Any] = {
        "code": report.code,
        "status": report.status,
        "category": {"code": report.category.code, "name_vi": report.category.name_vi,
                     "name_en": report.category.name_en, "icon": report.category.icon},
        "title": report.title if show_text else HIDDEN_VI,
        "description": report.description if show_text else None,
        "address": report.address if show_text else None,
        "answers": report.answers if show_text else {},
        "text_hidden": report.text_hidden,
        "location": _location(report),
        "commune": {"code": report.commune_code, "name": report.commune_name},
        "agency": {"code": report.agency.code, "name_vi": report.agency.name_vi,
                   "name_en": report.agency.name_en},
        "routing": {"explanation_vi": report.routing_explanation_vi,
                    "explanation_en": report.routing_explanation_en},
        "received_at": report.received_at,
        "deadline": deadline(report, now),
        "resolved_at": report.resolved_at,
        "closed_at": report.closed_at,
        "closure": report.closure,
        "reject_reason": report.reject_reason,
        "duplicate_of": report.duplicate_of.code if report.duplicate_of_id and report.duplicate_of else None,
        "supporters": report.supporters,
        "escalated": report.escalated,
        "citizen_rating": report.citizen_rating,
        "source": report.source,
        "photos": [_photo(report, p, staff=staff) for p in report.photos if staff or not p.hidden],
        "url": f"/api/v1/reports/{report.code}",
    }
    if timeline is not None:
        out["timeline"] = [_entry(t, staff=staff) for t in timeline]
    return out


def _entry(t: Transition, *, staff: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "at": t.at, "action": t.action, "actor_kind": t.actor_kind,
        "from_status": t.from_status, "to_status": t.to_status, "public_note": t.public_note,
        "reason_code": t.reason_code,
        "from_agency": t.from_agency.name_vi if t.from_agency else None,
        "to_agency": t.to_agency.name_vi if t.to_agency else None,
    }
    if staff:
        out.update(internal_note=t.internal_note, actor=t.actor.username if t.actor else None,
                   data=t.data)
    return out


def private(report: Report, now: datetime, *, timeline: list[Transition]) -> dict[str, Any]:
    """The reporter's view through the private link."""
    out = public(report, now, timeline=timeline)
    respond_until = (report.resolved_at + CONFIRM_WINDOW) if report.resolved_at else None
    out["reporter"] = {"name": report.reporter_name, "phone": report.reporter_phone,
                       "email": report.reporter_email, "share_contact": report.share_contact}
    out["citizen_comment"] = report.citizen_comment
    out["can_respond"] = bool(report.status == "resolved" and respond_until and now <= respond_until)
    out["respond_until"] = respond_until if report.status == "resolved" else None
    return out


def staff(report: Report, now: datetime, *, timeline: list[Transition]) -> dict[str, Any]:
    """The officers' view; the contact only with the reporter's consent."""
    out = public(report, now, timeline=timeline, staff=True)
    shared = report.share_contact
    out["reporter"] = {
        "share_contact": shared,
        "name": report.reporter_name if shared else None,
        "phone": report.reporter_phone if shared else None,
        "email": report.reporter_email if shared else None,
    }
    out["assignee"] = ({"username": report.assignee.username, "full_name": report.assignee.full_name}
                       if report.assignee else None)
    out.update(assigned_at=report.assigned_at, escalated_at=report.escalated_at,
               dispute_count=report.dispute_count, citizen_comment=report.citizen_comment,
               routing_rule_id=report.routing_rule_id)
    return out
