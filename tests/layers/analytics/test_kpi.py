"""KPIs: each number on a known set of cases, the previous period, the breakdowns, and the
case lists behind the numbers (exactly the counted cases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from layers.analytics import kpi, window
from layers.errors import InvalidInput
from tests.layers.analytics.helpers import insert_reports, report_row

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
D = timedelta(days=1)
P = (107.62, 12.45)


@pytest.fixture
def cases(db):
    db.execute(text("DELETE FROM incident_reports"))
    db.execute(text("DELETE FROM feedback_reports"))
    db.execute(text("DELETE FROM incidents"))
    rows = {
        "A": report_row(*P, NOW - 10 * D, due_in=9 * D, code="DM-2099-000000001"),
        "B": report_row(
            *P, NOW - 10 * D, status="in_progress", due_in=13 * D, category="waste", code="DM-2099-000000002"
        ),
        "C": report_row(
            *P,
            NOW - 20 * D,
            status="closed",
            due_in=8 * D,
            resolved_after=5 * D,
            rating=4,
            code="DM-2099-000000003",
        ),
        "D": report_row(
            *P,
            NOW - 20 * D,
            status="closed",
            due_in=8 * D,
            resolved_after=15 * D,
            rating=2,
            agency="phong-ktht",
            commune="24667",
            code="DM-2099-000000004",
        ),
        "E": report_row(
            *P, NOW - 45 * D, status="closed", due_in=5 * D, resolved_after=2 * D, code="DM-2099-000000005"
        ),
        "F": report_row(*P, NOW - 50 * D, due_in=5 * D, code="DM-2099-000000006"),
    }
    insert_reports(db, list(rows.values()))
    return {k: v["code"] for k, v in rows.items()}


def question(db, **kw):
    return window.resolve(db, window.Window(layer="reports", start=NOW - 30 * D, end=NOW, **kw))


def test_the_numbers_and_their_previous_period(db, cases):
    out = kpi.kpis(db, question(db), now=NOW)["reports"]["totals"]
    values = {k: (v["value"], v["previous"]) for k, v in out.items()}
    assert values["received"] == (4, 2)
    assert values["open"] == (3, 1)
    assert values["overdue"] == (2, 1)
    assert values["due_this_week"] == (1, 0)
    assert values["resolved"] == (2, 1)
    assert values["on_time_rate"] == (0.5, 1.0)
    assert values["median_handling_hours"] == (240.0, 48.0)
    assert values["satisfaction"] == (3.0, None)
    assert values["rated"] == (2, 0)
    assert out["received"]["change"] == 2 and out["received"]["change_pct"] == 100.0
    assert out["overdue"]["link"].startswith("/api/v1/analytics/cases?metric=overdue&")


@pytest.mark.parametrize(
    "metric, expected",
    [
        ("received", "ABCD"),
        ("open", "ABF"),
        ("overdue", "AF"),
        ("due_this_week", "B"),
        ("resolved", "CD"),
        ("resolved_on_time", "C"),
        ("resolved_late", "D"),
        ("rated", "CD"),
    ],
)
def test_every_number_lists_exactly_its_cases(db, cases, metric, expected):
    fc = kpi.cases(db, metric, question(db), now=NOW)
    assert sorted(f["id"] for f in fc["features"]) == sorted(cases[k] for k in expected)
    assert all(f["geometry"]["type"] == "Point" for f in fc["features"])
    assert fc["meta"]["definition"]


def test_the_previous_period_has_its_own_case_list(db, cases):
    fc = kpi.cases(db, "received", question(db), previous=True, now=NOW)
    assert sorted(f["id"] for f in fc["features"]) == sorted([cases["E"], cases["F"]])


def test_breakdowns_by_agency_commune_and_category(db, cases):
    out = kpi.kpis(db, question(db), now=NOW)["reports"]
    agencies = {g["code"]: g["received"]["value"] for g in out["by_agency"]}
    assert agencies == {"ubnd-24664": 3, "phong-ktht": 1}
    communes = {g["code"]: g["received"]["value"] for g in out["by_commune"]}
    assert communes == {"24664": 3, "24667": 1}
    categories = {g["code"]: g["received"]["value"] for g in out["by_category"]}
    assert categories == {"roads": 3, "waste": 1}
    ktht = next(g for g in out["by_agency"] if g["code"] == "phong-ktht")
    assert ktht["on_time_rate"]["value"] == 0.0 and "agency=phong-ktht" in ktht["received"]["link"]


def test_filters_narrow_every_number(db, cases):
    out = kpi.kpis(db, question(db, categories=("waste",)), now=NOW)["reports"]["totals"]
    assert out["received"]["value"] == 1 and out["open"]["value"] == 1 and out["overdue"]["value"] == 0
    out = kpi.kpis(db, question(db, commune="24667"), now=NOW)["reports"]["totals"]
    assert out["received"]["value"] == 1 and out["resolved"]["value"] == 1


def test_incidents_by_status_and_active(db, cases, make_user):
    from layers.incidents import service

    leader = make_user("leader")
    point = {"type": "Point", "coordinates": list(P)}
    a = service.create(
        db,
        service.NewIncident(
            type="fire",
            title="Cháy rừng",
            severity=3,
            geometry=point,
            agency="ubnd-24664",
            occurred_at=NOW - 5 * D,
        ),
        leader,
        now=NOW - 5 * D,
    )
    service.create(
        db,
        service.NewIncident(
            type="flood",
            title="Ngập",
            severity=2,
            geometry=point,
            agency="ubnd-24664",
            occurred_at=NOW - 40 * D,
        ),
        leader,
        now=NOW - 40 * D,
    )
    service.transition(db, a.code, "closed", leader, note="Đã dập", now=NOW - 4 * D)
    out = kpi.kpis(db, question(db), now=NOW)["incidents"]
    assert out["by_status"]["closed"]["value"] == 1 and out["by_status"]["reported"]["previous"] == 1
    assert out["total"]["value"] == 1 and out["total"]["previous"] == 1
    assert out["active"]["value"] == 1 and out["active"]["previous"] == 1  # the flood is still open
    fc = kpi.cases(db, "incidents", question(db), status="closed", now=NOW)
    assert [f["id"] for f in fc["features"]] == [a.code]


def test_an_unknown_metric_is_refused(db):
    with pytest.raises(InvalidInput) as err:
        kpi.cases(db, "happiness", question(db), now=NOW)
    assert err.value.code == "bad_metric"
