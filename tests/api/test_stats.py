"""Public statistics checked against numbers worked out by hand on a small fixture.

March 2019 (Vietnam time), far from any other test's data:

roads → phong-ktht, 5 cases, deadline 10 days after receipt:
  r1 closed/confirmed, resolved after 24 h (on time), rating 5
  r2 closed/resolved_unconfirmed, resolved after 48 h (on time)
  r3 resolved (awaiting the citizen), after 480 h = 20 days (late)
  r4 in_progress after a dispute: resolved once, disputed, rating 2, past due (overdue now)
  r5 rejected
waste → ubnd-24664 (commune committee), 2 cases:
  r6 closed/confirmed after 10 h (on time), rating 4
  r7 received 31 March 23:30 (still March in Vietnam), open and past due
outside: one case at 1 April 00:10 Vietnam time (= 31 March 17:10 UTC), waste.

phong-ktht: received 5, resolved 3 (r1-r3), on time 2/3 = 66.7 %, hours [24, 48, 480] →
median 48, p90 = 48 + 0.8 × 432 = 393.6; open 1, overdue 1, rejected 1, unconfirmed 1;
resolved once 4 (r1-r4), disputed 1 → 25 %; ratings 2 (5, 2) → 3.5.
Total: received 7, resolved 4, on time 3/4 = 75 %, hours [10, 24, 48, 480] → median 36,
p90 = 48 + 0.7 × 432 = 350.4; ratings 3 → 3.67; resolved once 5, disputed 1 → 20 %.
The percentiles come from histograms: within stats_rollup.PERCENTILE_TOLERANCE of these.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from layers.feedback import stats, stats_rollup
from layers.feedback.calendar import VN_TZ
from layers.feedback.media import MediaStore
from layers.feedback.stats_rollup import PERCENTILE_TOLERANCE
from tests.layers.feedback.helpers import submit
from tests.layers.open311_data import set_state

DAY = datetime(2019, 3, 4, 0, 0, tzinfo=VN_TZ)
MARCH = {"start": "2019-03-01", "end": "2019-03-31"}


def _case(db, store, category, received, **values):
    report = submit(db, store, category=category).report
    return set_state(db, report, received_at=received, due_at=received + timedelta(days=10), **values)


def near(value, exact):
    """Within the histogram's stated tolerance (plus the rounding to 0.1 h)."""
    return value is not None and abs(value - exact) <= PERCENTILE_TOLERANCE * exact + 0.05


def _done(received, hours):
    return received + timedelta(hours=hours)


@pytest.fixture
def cases(db, tmp_path, settings):
    settings.stats_min_cases = 3
    store = MediaStore(tmp_path / "media")
    d = DAY
    _case(db, store, "roads", d, status="closed", closure="confirmed", resolved_at=_done(d, 24),
          closed_at=_done(d, 200), citizen_rating=5)
    _case(db, store, "roads", d, status="closed", closure="resolved_unconfirmed", resolved_at=_done(d, 48),
          closed_at=_done(d, 220))
    _case(db, store, "roads", d, status="resolved", resolved_at=_done(d, 480))
    _case(db, store, "roads", d, status="in_progress", resolved_at=_done(d, 72), dispute_count=1,
          escalated=True, citizen_rating=2)
    _case(db, store, "roads", d, status="rejected", reject_reason="other", closed_at=_done(d, 5))
    _case(db, store, "waste", d, status="closed", closure="confirmed", resolved_at=_done(d, 10),
          closed_at=_done(d, 100), citizen_rating=4)
    _case(db, store, "waste", datetime(2019, 3, 31, 23, 30, tzinfo=VN_TZ))
    _case(db, store, "waste", datetime(2019, 4, 1, 0, 10, tzinfo=VN_TZ))
    db.commit()


def test_totals_and_agencies_match_the_hand_computed_numbers(client, cases):
    r = client.get("/api/v1/stats", params={**MARCH, "group_by": "agency"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["start"], body["end"], body["min_cases"]) == ("2019-03-01", "2019-03-31", 3)
    total = body["total"]
    assert {k: total[k] for k in ("received", "resolved", "open", "overdue_now", "rejected", "duplicate",
                                  "resolved_unconfirmed", "ratings")} == {
        "received": 7, "resolved": 4, "open": 2, "overdue_now": 2, "rejected": 1, "duplicate": 0,
        "resolved_unconfirmed": 1, "ratings": 3}
    assert total["on_time_pct"] == 75.0
    assert near(total["median_hours"], 36.0) and near(total["p90_hours"], 350.4)
    assert total["satisfaction"] == 3.67 and total["dispute_rate_pct"] == 20.0
    assert total["suppressed"] is False and total["suppressed_metrics"] == []
    ktht, small = body["groups"]
    assert small["key"] == "ubnd-24664"
    assert ktht["key"] == "phong-ktht" and ktht["rank"] == 1 and ktht["name_vi"]
    assert {k: ktht[k] for k in ("received", "resolved", "open", "overdue_now", "rejected",
                                 "resolved_unconfirmed", "ratings")} == {
        "received": 5, "resolved": 3, "open": 1, "overdue_now": 1, "rejected": 1,
        "resolved_unconfirmed": 1, "ratings": 2}
    assert ktht["on_time_pct"] == 66.7 and near(ktht["median_hours"], 48.0) and near(ktht["p90_hours"], 393.6)
    assert ktht["dispute_rate_pct"] == 25.0
    # Only two ratings (< 3): the mean is withheld although the group is shown.
    assert ktht["satisfaction"] is None and ktht["suppressed_metrics"] == ["satisfaction"]
    assert ktht["suppressed"] is False


def test_a_group_below_the_minimum_shows_counts_but_no_rates_or_rank(client, cases):
    groups = client.get("/api/v1/stats", params={**MARCH, "group_by": "agency"}).json()["groups"]
    small = next(g for g in groups if g["key"] == "ubnd-24664")
    assert small["received"] == 2 and small["resolved"] == 1 and small["overdue_now"] == 1
    assert small["suppressed"] is True and small["rank"] is None
    assert all(small[m] is None for m in stats.RATES)
    assert small["suppressed_metrics"] == list(stats.RATES)


def test_the_default_minimum_of_ten_suppresses_everything_here(client, cases, settings):
    settings.stats_min_cases = 10
    body = client.get("/api/v1/stats", params=MARCH).json()
    assert body["total"]["received"] == 7 and body["total"]["on_time_pct"] is None
    assert all(g["suppressed"] and g["rank"] is None for g in body["groups"])


def test_grouping_by_category_and_commune(client, cases):
    by_cat = {g["key"]: g for g in client.get("/api/v1/stats", params={**MARCH, "group_by": "category"})
              .json()["groups"]}
    assert (by_cat["roads"]["received"], by_cat["waste"]["received"]) == (5, 2)
    assert by_cat["roads"]["name_en"] == "Roads and bridges"
    (town,) = client.get("/api/v1/stats", params={**MARCH, "group_by": "commune"}).json()["groups"]
    assert town["key"] == "24664" and town["received"] == 7 and town["name_vi"]


def test_filters_narrow_the_cases(client, cases):
    body = client.get("/api/v1/stats", params={**MARCH, "agency": "phong-ktht", "group_by": "category"}).json()
    assert body["total"]["received"] == 5 and [g["key"] for g in body["groups"]] == ["roads"]
    assert body["filters"] == {"agency": "phong-ktht", "commune": None, "category": None}
    waste = client.get("/api/v1/stats", params={**MARCH, "category": "waste"}).json()["total"]
    assert waste["received"] == 2
    assert client.get("/api/v1/stats", params={**MARCH, "commune": "24667"}).json()["total"]["received"] == 0


def test_the_last_day_ends_at_midnight_vietnam_time(client, cases):
    april = client.get("/api/v1/stats", params={"start": "2019-04-01", "end": "2019-04-01"}).json()
    assert april["total"]["received"] == 1
    only_31 = client.get("/api/v1/stats", params={"start": "2019-03-31", "end": "2019-03-31"}).json()
    assert only_31["total"]["received"] == 1


def test_monthly_trend_includes_empty_months(client, cases):
    r = client.get("/api/v1/stats/trend", params={"months": 3, "until": "2019-04"})
    assert r.status_code == 200, r.text
    series = r.json()["series"]
    assert [m["month"] for m in series] == ["2019-02", "2019-03", "2019-04"]
    assert [m["received"] for m in series] == [0, 7, 1]
    march = series[1]
    assert march["on_time_pct"] == 75.0 and near(march["median_hours"], 36.0)
    assert series[0]["suppressed"] is True and series[0]["on_time_pct"] is None
    filtered = client.get("/api/v1/stats/trend", params={"months": 1, "until": "2019-03",
                                                         "agency": "phong-ktht"}).json()["series"]
    assert filtered[0]["received"] == 5


def test_no_personal_data_in_statistics(client, db, tmp_path):
    store = MediaStore(tmp_path / "media")
    report = submit(db, store, reporter_name="Bí Mật Tên", reporter_phone="0911222333",
                    reporter_email="bimat@example.vn", ip="203.0.113.77").report
    set_state(db, report, received_at=DAY)
    db.commit()
    body = client.get("/api/v1/stats", params={**MARCH, "group_by": "commune"}).text
    assert all(s not in body for s in ("Bí Mật Tên", "0911222333", "bimat@example.vn", report.code))


@pytest.mark.parametrize("params, code", [
    ({"start": "2019-04-01", "end": "2019-03-01"}, "bad_period"),
    ({"start": "2010-01-01", "end": "2019-03-01"}, "period_too_long"),
    ({"start": "1990-01-01", "end": "1990-02-01"}, "bad_date"),
    ({"agency": "khong-co"}, "unknown_agency"),
    ({"category": "khong-co"}, "unknown_category"),
    ({"group_by": "village"}, "invalid_input"),
    ({"start": "hôm qua"}, "invalid_input"),
    ({"commune": "abc"}, "invalid_input"),
])
def test_bad_parameters_are_422(client, params, code):
    r = client.get("/api/v1/stats", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code


@pytest.mark.parametrize("params", [{"months": 0}, {"months": 61}, {"until": "2019-13"}, {"until": "2019"}])
def test_bad_trend_parameters_are_422(client, params):
    assert client.get("/api/v1/stats/trend", params=params).status_code == 422


def test_the_default_period_is_the_last_365_days(client):
    body = client.get("/api/v1/stats").json()
    first, last = datetime.fromisoformat(body["start"]), datetime.fromisoformat(body["end"])
    assert (last - first).days == 364
    assert body["end"] == datetime.now(UTC).astimezone(VN_TZ).date().isoformat()


def test_a_month_of_the_trend_equals_the_summary_of_that_month(client, cases):
    march = client.get("/api/v1/stats/trend", params={"months": 1, "until": "2019-03"}).json()["series"][0]
    total = client.get("/api/v1/stats", params=MARCH).json()["total"]
    assert {k: v for k, v in march.items() if k != "month"} == total


def test_a_case_resolved_after_its_month_was_folded_moves_the_numbers(client, cases, db):
    stats_rollup.compact(db)
    before = client.get("/api/v1/stats", params=MARCH).json()["total"]
    db.execute(text("UPDATE feedback_reports SET status = 'closed', closure = 'confirmed', "
                    "resolved_at = received_at + interval '5 hours', citizen_rating = 5 "
                    "WHERE status = 'received' AND received_at >= '2019-03-31 16:00Z' "
                    "AND received_at < '2019-03-31 17:00Z'"))
    db.commit()
    after = client.get("/api/v1/stats", params=MARCH).json()["total"]
    assert (after["received"], after["resolved"], after["open"], after["ratings"]) == (
        before["received"], before["resolved"] + 1, before["open"] - 1, before["ratings"] + 1)
