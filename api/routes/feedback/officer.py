"""Officers' side: the inbox, the staff view, transitions, bulk assignment, moderation.

Officers act on their own agencies' reports only (403 ``not_responsible_agency``);
leaders and admins on all.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from api.deps import RequireRoles, SessionDep
from api.geojson import GeoJSONResponse
from api.routes.feedback import schemas as s
from api.routes.feedback.deps import parse_bbox, points_collection
from layers.feedback import moderation, queries, views, workflow
from layers.models import User

STAFF = RequireRoles("admin", "leader", "officer")
StaffUser = Annotated[User, Depends(STAFF)]
Code = Annotated[str, Path(pattern=s.CODE_PATTERN, description="Mã theo dõi / tracking code")]

inbox = APIRouter(prefix="/api/v1/inbox", tags=["feedback: officers"], dependencies=[Depends(STAFF)])
actions = APIRouter(prefix="/api/v1/reports", tags=["feedback: officers"], dependencies=[Depends(STAFF)])


def _now() -> datetime:
    return datetime.now(UTC)


def _filters(
    status: Annotated[list[str] | None, Query(max_length=7, description="default: all not closed")] = None,
    overdue: bool | None = None,
    due_within_hours: Annotated[int | None, Query(ge=1, le=24 * 60, description="due soon")] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    commune: Annotated[str | None, Query(pattern=s.COMMUNE_PATTERN)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=64, description="username, or `me`")] = None,
    escalated: bool | None = None,
    bbox: Annotated[str | None, Query(max_length=100)] = None,
    sort: Annotated[str, Query(pattern=r"^-?(received_at|due_at)$")] = "due_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> queries.Filters:
    return queries.Filters(
        statuses=tuple(status or ("received", "assigned", "in_progress", "resolved")),
        overdue=overdue, due_within=timedelta(hours=due_within_hours) if due_within_hours else None,
        category=category, commune=commune, agency=agency, assignee=assignee, escalated=escalated,
        bbox=parse_bbox(bbox), sort=sort, limit=limit, offset=offset,
    )


FiltersDep = Annotated[queries.Filters, Depends(_filters)]


def _mine(f: queries.Filters, user: User) -> queries.Filters:
    if f.assignee == "me":
        return replace(f, assignee=user.username)
    return f


@inbox.get("", response_model=s.InboxPage, summary="Hộp thư xử lý / the inbox",
           description="Cases of your agencies (all agencies for leaders and admins). Filters: "
           "status, overdue, due within N hours, category, commune, agency, assignee (`me`), "
           "escalated (disputed by the citizen). Resolved cases whose 7-day confirmation window "
           "passed are closed first.")
def list_inbox(session: SessionDep, user: StaffUser, f: FiltersDep) -> Any:
    workflow.close_unconfirmed(session)
    scope = queries.inbox_scope(user, f.agency)
    items, total = queries.list_reports(session, _mine(f, user), agency_ids=scope, count=True)
    now = _now()
    return {"items": [views.staff(r, now, timeline=[]) for r in items], "total": total or 0,
            "limit": f.limit, "offset": f.offset}


@inbox.get("/map", response_class=GeoJSONResponse, summary="Bản đồ các vụ việc / the cases on a map",
           description="The inbox filter as GeoJSON points (at most 5000, no text).")
def inbox_map(session: SessionDep, user: StaffUser, f: FiltersDep) -> Any:
    scope = queries.inbox_scope(user, f.agency)
    return points_collection(queries.as_points(session, _mine(f, user), agency_ids=scope), _now())


@inbox.post("/assign", response_model=s.ReportList, summary="Giao việc hàng loạt / bulk assign",
            description="All or nothing: if one report cannot be assigned, none is, and the "
            "error names it (`report_code`).")
def bulk_assign(body: s.BulkAssign, session: SessionDep, user: StaffUser) -> Any:
    done = workflow.bulk_assign(session, body.codes, body.assignee, user, public_note=body.public_note,
                                internal_note=body.internal_note)
    now = _now()
    return {"items": [views.staff(r, now, timeline=[]) for r in done]}


@inbox.get("/{code}", response_model=s.ReportStaff, summary="Chi tiết cho cán bộ / the staff view",
           description="With internal notes, hidden content (flagged) and the reporter's contact "
           "when they agreed to share it.")
def staff_view(code: Code, session: SessionDep, user: StaffUser) -> Any:
    report = queries.staff_report(session, code, user)
    return views.staff(report, _now(), timeline=queries.timeline(session, report))


@actions.post("/{code}/transitions", response_model=s.ReportStaff,
              summary="Chuyển trạng thái / move a report",
              description="Allowed: received→assigned; assigned→assigned|in_progress; "
              "in_progress→assigned|resolved; resolved→closed (after the 7-day confirmation "
              "window); received|assigned|in_progress→rejected (reason_code), duplicate "
              "(duplicate_of) or transferred (agency, optional assignee). `public_note` is "
              "required for resolved, rejected, duplicate and transferred.",
              responses={403: {"description": "not your agency"}, 409: {"description": "not allowed now"}})
def transition(code: Code, body: s.TransitionRequest, session: SessionDep, user: StaffUser) -> Any:
    step = workflow.Step(**body.model_dump())
    report = workflow.apply(session, code, step, user)
    return views.staff(report, _now(), timeline=queries.timeline(session, report))


@actions.post("/{code}/moderation", response_model=s.ReportStaff,
              summary="Ẩn/hiện nội dung / hide or show text or a photo",
              description="Hidden text and photos disappear from every public view; the reason "
              "is logged (internal).")
def moderate(code: Code, body: s.ModerationRequest, session: SessionDep, user: StaffUser) -> Any:
    report = moderation.moderate(session, code, target=body.target, hidden=body.hidden, reason=body.reason,
                                 actor=user, photo_id=body.photo_id)
    return views.staff(report, _now(), timeline=queries.timeline(session, report))


@actions.get("/{code}/moderation", response_model=list[dict[str, Any]],
             summary="Nhật ký kiểm duyệt / moderation log")
def moderation_log(code: Code, session: SessionDep, user: StaffUser) -> Any:
    report = queries.staff_report(session, code, user)
    return [{"at": m.at, "target": m.target, "action": m.action, "photo_id": m.photo_id,
             "reason": m.reason, "actor_id": m.actor_id} for m in moderation.log(session, report)]
