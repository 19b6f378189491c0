from datetime import timedelta

import pytest
from sqlalchemy import text

from layers.errors import Conflict, Forbidden, InvalidInput
from layers.feedback import queries, workflow
from layers.feedback.workflow import Step
from tests.layers.feedback.helpers import NOW, TOWN, near, submit


def _codes(found):
    return [r.code for r, _ in found]


def test_nearby_finds_open_reports_of_the_category_within_50_m(db, media):
    close = submit(db, media, point=near(TOWN, 30)).report
    far = submit(db, media, point=near(TOWN, 80)).report
    other = submit(db, media, point=near(TOWN, 10), category="waste").report
    found = queries.nearby(db, *TOWN, "roads", now=NOW)
    assert _codes(found) == [close.code]
    assert 25 < found[0][1] < 35
    assert far.code not in _codes(queries.nearby(db, *TOWN, None, now=NOW))
    assert other.code in _codes(queries.nearby(db, *TOWN, None, now=NOW))


def test_nearby_ignores_old_and_finished_reports(db, media, make_user):
    old = submit(db, media, now=NOW - timedelta(days=31)).report
    done = submit(db, media).report
    officer = make_user("officer", agency_codes=["phong-ktht"])
    workflow.apply(db, done.code, Step(to="rejected", reason_code="other", public_note="Không xử lý"),
                   officer, NOW)
    assert queries.nearby(db, *TOWN, "roads", now=NOW) == []
    assert old.code in _codes(queries.nearby(db, *TOWN, "roads", now=NOW, days=40))


def test_nearby_with_an_unknown_category_is_refused(db):
    with pytest.raises(InvalidInput) as err:
        queries.nearby(db, *TOWN, "khong-co", now=NOW)
    assert err.value.code == "unknown_category"


def test_the_nearby_query_prefilters_with_the_partial_gist_index(db, media):
    submit(db, media)
    db.execute(text("SET LOCAL enable_seqscan = off"))
    sql = queries._NEARBY_SQL.format(category="AND r.category_id = :category")
    plan = "\n".join(db.execute(text("EXPLAIN " + sql), {
        "lon": TOWN[0], "lat": TOWN[1], "category": 1, "since": NOW, "dlon": 0.001, "dlat": 0.001,
        "metres": 50}).scalars())
    assert "ix_feedback_reports_open_geom" in plan


def test_support_counts_each_person_once(db, media):
    r = submit(db, media).report
    assert queries.support(db, r.code, "person-a", NOW)[1] is True
    assert queries.support(db, r.code, "person-a", NOW)[1] is False
    report, added = queries.support(db, r.code, "person-b", NOW)
    assert (report.supporters, added) == (2, True)


def test_fingerprints_separate_accounts_from_anonymous_browsers(make_user):
    user = make_user("citizen")
    assert queries.fingerprint(user, "1.2.3.4", "ua") == queries.fingerprint(user, "5.6.7.8", "other")
    assert queries.fingerprint(None, "1.2.3.4", "ua") != queries.fingerprint(None, "1.2.3.4", "ua2")
    assert queries.fingerprint(None, "1.2.3.4", "ua") == queries.fingerprint(None, "1.2.3.4", "ua")


def test_anonymous_fingerprints_are_keyed_not_a_plain_hash_of_the_address():
    import hashlib

    plain = hashlib.sha256(b"anon:1.2.3.4|ua").hexdigest()
    assert queries.fingerprint(None, "1.2.3.4", "ua") != plain


def test_a_closed_report_cannot_be_supported(db, media, make_user):
    r = submit(db, media).report
    officer = make_user("officer", agency_codes=["phong-ktht"])
    workflow.apply(db, r.code, Step(to="rejected", reason_code="other", public_note="x"), officer, NOW)
    with pytest.raises(Conflict) as err:
        queries.support(db, r.code, "person-a", NOW)
    assert err.value.code == "report_not_open"


def test_filters_overdue_and_due_soon(db, media):
    late = submit(db, media, now=NOW - timedelta(days=30)).report
    fresh = submit(db, media).report
    f = queries.Filters(overdue=True, limit=200)
    codes = [r.code for r in queries.list_reports(db, f, NOW)[0]]
    assert late.code in codes and fresh.code not in codes
    soon = queries.Filters(due_within=timedelta(days=30), limit=200)
    assert fresh.code in [r.code for r in queries.list_reports(db, soon, NOW)[0]]


def test_officers_see_only_their_agencies_in_the_inbox(make_user):
    officer = make_user("officer", agency_codes=["phong-ktht"])
    assert queries.inbox_scope(officer, None) == [a.id for a in officer.agencies]
    assert queries.inbox_scope(make_user("leader"), None) is None
    with pytest.raises(Forbidden):
        queries.inbox_scope(officer, "phong-yte")


@pytest.mark.parametrize("f, code", [
    (queries.Filters(statuses=("open",)), "bad_status"),
    (queries.Filters(sort="title"), "bad_sort"),
    (queries.Filters(limit=0), "bad_paging"),
    (queries.Filters(category="khong-co"), "unknown_category"),
])
def test_bad_filters_are_refused(db, f, code):
    with pytest.raises(InvalidInput) as err:
        queries.list_reports(db, f, NOW)
    assert err.value.code == code
