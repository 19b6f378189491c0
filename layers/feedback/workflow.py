"""The life of a report: explicit allowed transitions, who may make them, and the timeline.

    received ──▶ assigned ──▶ in_progress ──▶ resolved ──▶ closed
        │  ▲         │ ▲(re-assign)  │             │  citizen confirms, or 7 days of silence
        │  └── transferred ◀─────────┘             └─▶ in_progress (citizen disputes: escalated)
        └──────────┴──────────────┴──▶ rejected (reason) | duplicate (merged into another)

A transfer moves the case to another agency and back to ``received`` there (or straight to
``assigned`` when an officer of the new agency is named). The deadline does not restart:
the citizen's clock runs from receipt. Only officers of the responsible agency, leaders
and admins act on a report; every step records actor, time, from/to, a public note (shown
on the public timeline) and an internal note (staff only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from layers.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.feedback.models import OPEN_STATUSES, REJECT_REASONS, Report, Transition
from layers.feedback.reports import clean_text
from layers.models import Agency, User

CONFIRM_WINDOW = timedelta(days=7)
ACTIONS = ("assigned", "in_progress", "resolved", "closed", "rejected", "duplicate", "transferred")
ALLOWED: dict[str, frozenset[str]] = {
    "received": frozenset({"assigned", "rejected", "duplicate", "transferred"}),
    "assigned": frozenset({"assigned", "in_progress", "rejected", "duplicate", "transferred"}),
    "in_progress": frozenset({"assigned", "resolved", "rejected", "duplicate", "transferred"}),
    "resolved": frozenset({"closed"}),
    "closed": frozenset(),
    "rejected": frozenset(),
    "duplicate": frozenset(),
}
NOTE_LIMIT = (1, 4000)
ASSIGNABLE_ROLES = ("officer", "leader")


@dataclass(frozen=True)
class Step:
    """An officer's request to move a report."""

    to: str
    public_note: str | None = None
    internal_note: str | None = None
    assignee: str | None = None  # username, for assigned / transferred
    agency: str | None = None  # agency code, for transferred
    reason_code: str | None = None  # for rejected
    duplicate_of: str | None = None  # report code, for duplicate


def can_act(user: User, report: Report) -> bool:
    if user.role in ("admin", "leader"):
        return True
    return user.role == "officer" and any(a.id == report.agency_id for a in user.agencies)


def require_actor(user: User, report: Report) -> None:
    if not can_act(user, report):
        raise Forbidden("Chỉ cán bộ của cơ quan được giao, lãnh đạo hoặc quản trị mới được xử lý / "
                        "only officers of the responsible agency, leaders and admins may act",
                        code="not_responsible_agency", agency=report.agency.code)


def lock_report(session: Session, code: str) -> Report:
    """The report, row-locked until commit so two officers cannot act on it at once."""
    report = session.scalar(select(Report).where(Report.code == code).with_for_update(of=Report)
                            .execution_options(populate_existing=True))
    if report is None:
        raise NotFound(f"Không có phản ánh / no such report: {code}", code="report_not_found")
    return report


def record(session: Session, report: Report, *, action: str, actor: User | None, actor_kind: str,
           from_status: str | None, now: datetime, public_note: str | None = None,
           internal_note: str | None = None, reason_code: str | None = None,
           from_agency_id: int | None = None, to_agency_id: int | None = None,
           data: dict[str, object] | None = None) -> Transition:
    entry = Transition(
        report_id=report.id, at=now, actor_id=actor.id if actor else None, actor_kind=actor_kind,
        action=action, from_status=from_status, to_status=report.status, public_note=public_note,
        internal_note=internal_note, reason_code=reason_code, from_agency_id=from_agency_id,
        to_agency_id=to_agency_id, data=data or {},
    )
    session.add(entry)
    report.updated_at = now
    return entry


def _assignee(session: Session, username: str | None, actor: User, agency_id: int) -> User:
    if username is None:
        if actor.role in ASSIGNABLE_ROLES and any(a.id == agency_id for a in actor.agencies):
            return actor
        raise InvalidInput("Cần chọn cán bộ được giao / an assignee is required", code="assignee_required")
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.is_active or user.role not in ASSIGNABLE_ROLES \
            or not any(a.id == agency_id for a in user.agencies):
        raise InvalidInput(f"{username} không phải cán bộ đang hoạt động của cơ quan này / is not an "
                           "active officer of this agency", code="bad_assignee", assignee=username)
    return user


def _note(value: str | None, name: str, *, required: bool) -> str | None:
    return clean_text(value, name, NOTE_LIMIT, required=required)


def apply(session: Session, code: str, step: Step, actor: User, now: datetime | None = None) -> Report:
    """Move a report along an allowed transition, or refuse with 403/404/409/422."""
    now = now or datetime.now(UTC)
    if step.to not in ACTIONS:
        raise InvalidInput(f"Trạng thái đích không hợp lệ / unknown target: {step.to}",
                           code="bad_transition", allowed=list(ACTIONS))
    report = lock_report(session, code)
    require_actor(actor, report)
    before = report.status
    if step.to not in ALLOWED[before]:
        raise Conflict(f"Không chuyển được từ {before} sang {step.to} / transition not allowed",
                       code="transition_not_allowed", status=before,
                       allowed=sorted(ALLOWED[before]))
    public = _note(step.public_note, "public_note",
                   required=step.to in ("resolved", "rejected", "transferred", "duplicate"))
    internal = _note(step.internal_note, "internal_note", required=False)
    extra: dict[str, object] = {}
    from_agency = to_agency = None
    if step.to == "assigned":
        user = _assignee(session, step.assignee, actor, report.agency_id)
        report.assignee_id, report.assigned_at = user.id, now
        extra["assignee"] = user.username
    elif step.to == "in_progress":
        if report.assignee_id is None:
            report.assignee_id, report.assigned_at = actor.id, now
    elif step.to == "resolved":
        report.resolved_at = now
    elif step.to == "closed":
        if report.resolved_at and now < report.resolved_at + CONFIRM_WINDOW:
            raise Conflict("Đang chờ người dân xác nhận kết quả (7 ngày) / waiting for the citizen's "
                           "confirmation (7 days)", code="confirmation_pending",
                           until=(report.resolved_at + CONFIRM_WINDOW).isoformat())
        report.closure, report.closed_at = "resolved_unconfirmed", now
    elif step.to == "rejected":
        if step.reason_code not in REJECT_REASONS:
            raise InvalidInput("Cần lý do từ chối / a rejection reason is required",
                               code="bad_reject_reason", allowed=list(REJECT_REASONS))
        report.reject_reason, report.closed_at = step.reason_code, now
    elif step.to == "duplicate":
        target = _merge(session, report, step.duplicate_of, actor, now)
        extra["duplicate_of"] = target.code
    else:  # transferred
        from_agency, to_agency = _transfer(session, report, step, actor, now)
        extra["agency"] = to_agency.code
    report.status = _next_status(step, report)
    record(session, report, action=step.to, actor=actor, actor_kind="staff", from_status=before,
           now=now, public_note=public, internal_note=internal, reason_code=step.reason_code,
           from_agency_id=from_agency.id if from_agency else None,
           to_agency_id=to_agency.id if to_agency else None, data=extra)
    session.flush()
    session.refresh(report)
    return report


def _next_status(step: Step, report: Report) -> str:
    if step.to == "transferred":
        return "assigned" if report.assignee_id else "received"
    return step.to


def _transfer(session: Session, report: Report, step: Step, actor: User,
              now: datetime) -> tuple[Agency, Agency]:
    if not step.agency:
        raise InvalidInput("Cần cơ quan nhận / the receiving agency is required", code="agency_required")
    target = session.scalar(select(Agency).where(Agency.code == step.agency))
    if target is None:
        raise InvalidInput(f"Không có cơ quan / unknown agency: {step.agency}", code="unknown_agency")
    if target.id == report.agency_id:
        raise InvalidInput("Phản ánh đã thuộc cơ quan này / already at this agency", code="same_agency")
    source = report.agency
    report.agency_id = target.id
    report.assignee_id = report.assigned_at = None
    if step.assignee:
        user = _assignee(session, step.assignee, actor, target.id)
        report.assignee_id, report.assigned_at = user.id, now
    return source, target


def _merge(session: Session, report: Report, target_code: str | None, actor: User, now: datetime) -> Report:
    """Close ``report`` as a duplicate of ``target_code``; carry its supporters over.

    The duplicate's own reporter counts as a supporter of the original; fingerprints
    deduplicate people who supported both.
    """
    if not target_code:
        raise InvalidInput("Cần mã phản ánh gốc / the original report's code is required",
                           code="duplicate_of_required")
    target = session.scalar(select(Report).where(Report.code == target_code).with_for_update(of=Report))
    if target is None:
        raise InvalidInput(f"Không có phản ánh / no such report: {target_code}", code="unknown_report")
    if target.id == report.id or target.status in ("duplicate", "rejected"):
        raise InvalidInput("Không gộp được vào phản ánh này / cannot merge into this report",
                           code="bad_duplicate_target", status=target.status)
    reporter = f"user:{report.reporter_user_id}" if report.reporter_user_id else f"report:{report.id}"
    session.execute(text("""
        INSERT INTO feedback_supports (report_id, fingerprint, created_at)
        SELECT :target, fingerprint, created_at FROM feedback_supports WHERE report_id = :dup
        UNION ALL SELECT :target, encode(sha256(convert_to(:reporter, 'UTF8')), 'hex'), :now
        ON CONFLICT DO NOTHING"""), {"target": target.id, "dup": report.id, "reporter": reporter, "now": now})
    session.execute(text("""
        UPDATE feedback_reports SET supporters =
            (SELECT count(*) FROM feedback_supports WHERE report_id = :target)
        WHERE id = :target"""), {"target": target.id})
    report.duplicate_of_id, report.closed_at = target.id, now
    note = f"Gộp phản ánh {report.code} vào phản ánh này / {report.code} merged into this report"
    record(session, target, action="merged", actor=actor, actor_kind="staff", from_status=target.status,
           now=now, public_note=note, data={"merged": report.code})
    return target


# ---- the citizen's answer after resolution ---------------------------------------------


def citizen_feedback(session: Session, report: Report, *, confirm: bool, rating: int,
                     comment: str | None, now: datetime | None = None) -> Report:
    """Confirm (closes) or dispute (reopens to in_progress and escalates) within 7 days."""
    now = now or datetime.now(UTC)
    report = lock_report(session, report.code)
    if report.status != "resolved" or report.resolved_at is None:
        raise Conflict("Chỉ đánh giá được khi phản ánh đã được xử lý / only a resolved report can "
                       "be confirmed or disputed", code="not_resolved", status=report.status)
    if now > report.resolved_at + CONFIRM_WINDOW:
        raise Conflict("Đã quá 7 ngày để xác nhận / the 7-day confirmation window has closed",
                       code="confirmation_window_closed")
    if not 1 <= rating <= 5:
        raise InvalidInput("Điểm đánh giá từ 1 đến 5 / rating must be 1-5", code="bad_rating")
    comment = clean_text(comment, "comment", (1, 2000), required=False)
    before = report.status
    report.citizen_rating, report.citizen_comment, report.citizen_feedback_at = rating, comment, now
    if confirm:
        report.status, report.closure, report.closed_at = "closed", "confirmed", now
    else:
        report.status, report.escalated, report.escalated_at = "in_progress", True, now
        report.dispute_count += 1
    record(session, report, action="confirmed" if confirm else "disputed", actor=None,
           actor_kind="citizen", from_status=before, now=now, data={"rating": rating})
    session.flush()
    session.refresh(report)
    return report


def close_unconfirmed(session: Session, now: datetime | None = None) -> int:
    """Close resolved reports whose 7-day window passed in silence (``resolved_unconfirmed``).

    Run periodically (``iocmap feedback close-stale``) and before inbox listings. One
    statement, so concurrent runs never close a report twice. Index: ix_feedback_reports_resolved.
    """
    now = now or datetime.now(UTC)
    closed = session.execute(text("""
        WITH closed AS (
            UPDATE feedback_reports SET status = 'closed', closure = 'resolved_unconfirmed',
                   closed_at = :now, updated_at = :now
            WHERE status = 'resolved' AND resolved_at <= :cutoff
            RETURNING id)
        INSERT INTO feedback_transitions (report_id, at, actor_kind, action, from_status, to_status, data)
        SELECT id, :now, 'system', 'auto_closed', 'resolved', 'closed', '{}'::jsonb FROM closed
        RETURNING report_id"""), {"now": now, "cutoff": now - CONFIRM_WINDOW}).all()
    return len(closed)


def bulk_assign(session: Session, codes: list[str], assignee: str, actor: User, *,
                public_note: str | None = None, internal_note: str | None = None,
                now: datetime | None = None) -> list[Report]:
    """Assign many reports to one officer: all or none (the first refusal names its report)."""
    now = now or datetime.now(UTC)
    if len(set(codes)) != len(codes):
        raise InvalidInput("Mã phản ánh bị lặp / repeated report codes", code="repeated_codes")
    done = []
    for code in sorted(codes):  # a fixed order: two bulk requests never deadlock
        try:
            done.append(apply(session, code, Step(to="assigned", assignee=assignee, public_note=public_note,
                                                  internal_note=internal_note), actor, now))
        except (Conflict, Forbidden, InvalidInput, NotFound) as exc:
            exc.extra.setdefault("report_code", code)
            raise
    return done


def is_open(report: Report) -> bool:
    return report.status in OPEN_STATUSES
