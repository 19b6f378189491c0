from datetime import timedelta

import pytest
from sqlalchemy import select

from layers.errors import Conflict, Forbidden, InvalidInput
from layers.feedback import queries, workflow
from layers.feedback.models import Report, Transition
from layers.feedback.workflow import Step
from tests.layers.feedback.helpers import NOW, TOWN, near, submit


@pytest.fixture
def officer(make_user):
    return make_user("officer", agency_codes=["phong-ktht"], full_name="Cán bộ KTHT")


@pytest.fixture
def report(db, media):
    return submit(db, media).report  # roads -> phong-ktht


def _go(db, report, actor, to, at=NOW, **kw):
    return workflow.apply(db, report.code, Step(to=to, **kw), actor, at)


def _entries(db, report):
    return db.scalars(select(Transition).where(Transition.report_id == report.id)
                      .order_by(Transition.at, Transition.id)).all()


def test_the_happy_path_records_every_step(db, report, officer):
    _go(db, report, officer, "assigned", internal_note="Giao anh Tuấn")
    _go(db, report, officer, "in_progress", public_note="Đang khảo sát hiện trường")
    r = _go(db, report, officer, "resolved", public_note="Đã vá ổ gà")
    assert (r.status, r.assignee_id) == ("resolved", officer.id)
    steps = [(t.action, t.from_status, t.to_status) for t in _entries(db, report)]
    assert steps == [("created", None, "received"), ("assigned", "received", "assigned"),
                     ("in_progress", "assigned", "in_progress"), ("resolved", "in_progress", "resolved")]
    assert _entries(db, report)[1].internal_note == "Giao anh Tuấn"
    assert _entries(db, report)[1].actor_id == officer.id


@pytest.mark.parametrize("to", ["in_progress", "resolved", "closed"])
def test_steps_cannot_be_skipped(db, report, officer, to):
    with pytest.raises(Conflict) as err:
        _go(db, report, officer, to, public_note="x")
    assert err.value.code == "transition_not_allowed"
    assert "assigned" in err.value.extra["allowed"]


def test_officers_of_another_agency_cannot_act_but_leaders_and_admins_can(db, report, make_user):
    other = make_user("officer", agency_codes=["phong-yte"])
    with pytest.raises(Forbidden) as err:
        _go(db, report, other, "assigned", assignee=other.username)
    assert err.value.code == "not_responsible_agency"
    leader = make_user("leader")
    officer = make_user("officer", agency_codes=["phong-ktht"])
    assert _go(db, report, leader, "assigned", assignee=officer.username).assignee_id == officer.id


def test_only_active_officers_of_the_agency_can_be_assigned(db, report, officer, make_user):
    outsider = make_user("officer", agency_codes=["phong-yte"])
    citizen = make_user("citizen")
    for name in (outsider.username, citizen.username, "khong-ton-tai"):
        with pytest.raises(InvalidInput) as err:
            _go(db, report, officer, "assigned", assignee=name)
        assert err.value.code == "bad_assignee"
    admin = make_user("admin")
    with pytest.raises(InvalidInput) as err:  # an admin is not an officer of the agency
        _go(db, report, admin, "assigned")
    assert err.value.code == "assignee_required"


def test_resolving_needs_a_public_note(db, report, officer):
    _go(db, report, officer, "assigned")
    _go(db, report, officer, "in_progress")
    with pytest.raises(InvalidInput) as err:
        _go(db, report, officer, "resolved")
    assert err.value.code == "missing_field"


def test_rejection_needs_a_reason_code(db, report, officer):
    with pytest.raises(InvalidInput) as err:
        _go(db, report, officer, "rejected", public_note="Không rõ vị trí")
    assert err.value.code == "bad_reject_reason"
    r = _go(db, report, officer, "rejected", public_note="Không rõ vị trí",
            reason_code="insufficient_information")
    assert (r.status, r.reject_reason) == ("rejected", "insufficient_information")
    assert r.closed_at is not None
    with pytest.raises(Conflict):
        _go(db, report, officer, "assigned")


def test_transfer_moves_the_case_and_its_clock_keeps_running(db, report, officer, make_user):
    _go(db, report, officer, "assigned")
    due = report.due_at
    r = _go(db, report, officer, "transferred", agency="cap-nuoc", public_note="Thuộc đơn vị cấp nước")
    assert (r.status, r.agency.code, r.assignee_id, r.due_at) == ("received", "cap-nuoc", None, due)
    last = _entries(db, report)[-1]
    assert (last.from_agency.code, last.to_agency.code) == ("phong-ktht", "cap-nuoc")
    with pytest.raises(Forbidden):  # the old agency has no hand on it any more
        _go(db, report, officer, "assigned")
    water = make_user("officer", agency_codes=["cap-nuoc"])
    r = _go(db, report, water, "transferred", agency="phong-ktht", assignee=officer.username,
            public_note="Trả lại")
    assert (r.status, r.assignee_id) == ("assigned", officer.id)


@pytest.mark.parametrize("kw, code", [
    ({}, "agency_required"), ({"agency": "khong-co"}, "unknown_agency"), ({"agency": "phong-ktht"}, "same_agency"),
])
def test_bad_transfers_are_refused(db, report, officer, kw, code):
    with pytest.raises(InvalidInput) as err:
        _go(db, report, officer, "transferred", public_note="Chuyển", **kw)
    assert err.value.code == code


def test_a_duplicate_is_merged_and_its_supporters_carried_over(db, media, report, officer):
    dup = submit(db, media, point=near(TOWN, 10), title="Ổ gà trước chợ (gửi lại)").report
    for fp in ("a", "b"):
        queries.support(db, dup.code, fp, now=NOW)
    queries.support(db, report.code, "b", now=NOW)  # supported both: counted once
    r = _go(db, dup, officer, "duplicate", duplicate_of=report.code, public_note="Trùng phản ánh trước")
    assert (r.status, r.duplicate_of_id) == ("duplicate", report.id)
    original = db.get(Report, report.id)
    db.refresh(original)
    assert original.supporters == 3  # a, b and the duplicate's reporter
    assert _entries(db, report)[-1].action == "merged"


def test_a_report_cannot_be_merged_into_itself_or_a_rejected_one(db, media, report, officer):
    with pytest.raises(InvalidInput) as err:
        _go(db, report, officer, "duplicate", duplicate_of=report.code, public_note="x")
    assert err.value.code == "bad_duplicate_target"
    other = submit(db, media).report
    _go(db, other, officer, "rejected", reason_code="other", public_note="Không phải ổ gà")
    with pytest.raises(InvalidInput):
        _go(db, report, officer, "duplicate", duplicate_of=other.code, public_note="x")


def _resolved(db, report, officer, at=NOW):
    _go(db, report, officer, "assigned", at=at)
    _go(db, report, officer, "in_progress", at=at)
    return _go(db, report, officer, "resolved", at=at, public_note="Đã sửa")


def test_the_citizen_confirms_within_seven_days_and_the_report_closes(db, report, officer):
    _resolved(db, report, officer)
    r = workflow.citizen_feedback(db, report, confirm=True, rating=5, comment="Cảm ơn",
                                  now=NOW + timedelta(days=6))
    assert (r.status, r.closure, r.citizen_rating) == ("closed", "confirmed", 5)


def test_a_dispute_reopens_and_escalates(db, report, officer):
    _resolved(db, report, officer)
    r = workflow.citizen_feedback(db, report, confirm=False, rating=1, comment="Vẫn còn ổ gà",
                                  now=NOW + timedelta(days=1))
    assert (r.status, r.escalated, r.dispute_count) == ("in_progress", True, 1)
    assert _entries(db, report)[-1].actor_kind == "citizen"
    r = _go(db, report, officer, "resolved", public_note="Đã vá lại", at=NOW + timedelta(days=2))
    assert r.status == "resolved"


def test_feedback_after_the_window_or_before_resolution_is_refused(db, report, officer):
    with pytest.raises(Conflict) as err:
        workflow.citizen_feedback(db, report, confirm=True, rating=4, comment=None, now=NOW)
    assert err.value.code == "not_resolved"
    _resolved(db, report, officer)
    with pytest.raises(Conflict) as err:
        workflow.citizen_feedback(db, report, confirm=True, rating=4, comment=None,
                                  now=NOW + timedelta(days=7, seconds=1))
    assert err.value.code == "confirmation_window_closed"


def test_silence_for_seven_days_closes_as_resolved_unconfirmed(db, report, officer):
    _resolved(db, report, officer)
    assert workflow.close_unconfirmed(db, NOW + timedelta(days=6)) == 0
    assert workflow.close_unconfirmed(db, NOW + timedelta(days=7, minutes=1)) >= 1
    db.refresh(report)
    assert (report.status, report.closure) == ("closed", "resolved_unconfirmed")
    assert _entries(db, report)[-1].action == "auto_closed"
    assert workflow.close_unconfirmed(db, NOW + timedelta(days=8)) == 0


def test_staff_may_close_only_after_the_confirmation_window(db, report, officer):
    _resolved(db, report, officer)
    with pytest.raises(Conflict) as err:
        _go(db, report, officer, "closed", at=NOW + timedelta(days=1))
    assert err.value.code == "confirmation_pending"
    assert _go(db, report, officer, "closed", at=NOW + timedelta(days=8)).closure == "resolved_unconfirmed"


def test_bulk_assign_is_all_or_nothing(db, media, officer, make_user):
    a, b = submit(db, media).report, submit(db, media).report
    c = submit(db, media, category="health").report  # phong-yte: not this officer's
    db.commit()
    with pytest.raises(Forbidden) as err:
        workflow.bulk_assign(db, [a.code, b.code, c.code], officer.username, officer)
    assert err.value.extra["report_code"] == c.code
    db.rollback()  # what the request's unit of work does with the error
    assert {db.get(Report, r.id).status for r in (a, b)} == {"received"}
    done = workflow.bulk_assign(db, [a.code, b.code], officer.username, officer)
    assert {r.status for r in done} == {"assigned"}
