"""H3 heatmaps: each hexagon counts exactly the points inside it, at every resolution, from
the rollup and the base table alike; filters, rates, bbox and bad input."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import h3
import orjson
import pytest
from sqlalchemy import text

from layers.analytics import heatmap, window
from layers.errors import InvalidInput
from tests.layers.analytics.helpers import insert_reports, random_points, report_row

T0 = datetime(2025, 1, 10, tzinfo=UTC)


def resolved_window(db, **kw):
    w = window.Window(
        layer=kw.pop("layer", "reports"),
        start=kw.pop("start", T0 - timedelta(days=1)),
        end=kw.pop("end", T0 + timedelta(days=400)),
        **kw,
    )
    return window.resolve(db, w)


def counts(db, **kw):
    return {c.cell: c.n for c in heatmap.cell_counts(db, resolved_window(db, **kw))}


@pytest.fixture
def alone(db):
    """Committed rows of other tests (live-server tests commit) must not change the counts."""
    db.execute(text("DELETE FROM incident_reports"))
    db.execute(text("DELETE FROM feedback_reports"))
    db.execute(text("DELETE FROM incidents"))


@pytest.fixture
def random_reports(db, alone):
    """300 reports at random points over a year, a third of them settled (rollup) and spread
    over months so windows mix the rollup with the base table."""
    pts = random_points(300, seed=11)
    statuses = ["received", "closed", "in_progress", "rejected", "resolved", "duplicate"]
    rows = [
        report_row(
            float(lon),
            float(lat),
            T0 + timedelta(days=int(i * 1.2), hours=i % 24),
            status=statuses[i % len(statuses)],
            resolved_after=timedelta(days=2),
        )
        for i, (lon, lat) in enumerate(pts)
    ]
    insert_reports(db, rows)
    return rows


@pytest.mark.parametrize("resolution", [5, 6, 7, 8, 9, 10])
def test_stored_cells_and_hexagon_counts_match_h3_for_every_resolution(db, random_reports, resolution):
    stored = db.execute(text(f"SELECT ST_X(geom), ST_Y(geom), h3_r{resolution} FROM feedback_reports")).all()  # noqa: S608 (identifiers from constants; values bound)
    for lon, lat, cell in stored:
        assert h3.int_to_str(cell) == h3.latlng_to_cell(lat, lon, resolution)
    expected = Counter(
        h3.str_to_int(h3.latlng_to_cell(r["lat"], r["lon"], resolution)) for r in random_reports
    )
    assert counts(db, resolution=resolution) == expected


def test_the_parent_of_a_fine_cell_is_not_always_the_coarse_cell(random_reports):
    mismatched = sum(
        h3.cell_to_parent(h3.latlng_to_cell(r["lat"], r["lon"], 10), 7)
        != h3.latlng_to_cell(r["lat"], r["lon"], 7)
        for r in random_reports
    )
    assert mismatched > 0  # which is why each resolution is stored


def test_rollup_and_base_table_agree_for_any_window(db, random_reports):
    # windows with whole months (rollup + edges) and without (base table only)
    for start, end in [
        (T0, T0 + timedelta(days=200)),
        (T0 + timedelta(days=33), T0 + timedelta(days=50)),
        (datetime(2025, 2, 1, tzinfo=window.VN), datetime(2025, 6, 1, tzinfo=window.VN)),
    ]:
        got = counts(db, resolution=8, start=start, end=end)
        expected = Counter(r["r8"] for r in random_reports if start <= r["received_at"] < end)
        assert got == expected, (start, end)


def test_a_finished_month_is_built_once_and_rebuilt_after_a_late_change(db, random_reports):
    w = dict(resolution=8, start=datetime(2025, 2, 1, tzinfo=window.VN), end=datetime(2025, 5, 1, tzinfo=window.VN))
    first = counts(db, **w)
    built = db.execute(text("SELECT month, dirty FROM analytics_report_months ORDER BY 1")).all()
    assert [str(m) for m, _ in built] == ["2025-02-01", "2025-03-01", "2025-04-01"]
    assert not any(d for _, d in built)
    db.execute(text("UPDATE feedback_reports SET status = 'closed'"))  # status: the rollup does not care
    assert not db.execute(text("SELECT bool_or(dirty) FROM analytics_report_months")).scalar()
    moved = db.execute(text("UPDATE feedback_reports SET received_at = received_at + interval '100 days' "
                            "WHERE received_at >= '2025-03-01' AND received_at < '2025-03-20' RETURNING id")).all()
    assert moved
    assert db.execute(text("SELECT bool_or(dirty) FROM analytics_report_months")).scalar()
    after = counts(db, **w)
    assert after != first
    rows = db.execute(text("SELECT h3_r8 FROM feedback_reports WHERE received_at >= :a AND received_at < :b"),
                      {"a": w["start"], "b": w["end"]}).scalars()
    assert after == Counter(rows)
    assert not db.execute(text("SELECT bool_or(dirty) FROM analytics_report_months")).scalar()


def test_the_current_month_is_never_in_the_rollup(db, alone):
    now = datetime.now(UTC)
    insert_reports(db, [report_row(107.62, 12.45, now - timedelta(minutes=5))])
    assert counts(db, resolution=9, start=now - timedelta(days=400), end=now)
    this_month = window.month_start(now.astimezone(window.VN).date())
    assert db.execute(text("SELECT count(*) FROM analytics_report_months WHERE month >= :m"),
                      {"m": this_month}).scalar() == 0


def test_category_counts_from_the_rollup_match_the_base_table(db, random_reports):
    w = dict(resolution=7, start=datetime(2025, 2, 1, tzinfo=window.VN), end=datetime(2025, 6, 1, tzinfo=window.VN))
    db.execute(text("UPDATE feedback_reports SET category_id = (SELECT id FROM feedback_categories "
                    "WHERE code = 'waste') WHERE id % 3 = 0"))
    got = counts(db, categories=("waste",), **w)
    rows = db.execute(text("SELECT h3_r7 FROM feedback_reports r JOIN feedback_categories c ON c.id = r.category_id "
                           "WHERE c.code = 'waste' AND received_at >= :a AND received_at < :b"),
                      {"a": w["start"], "b": w["end"]}).scalars()
    assert got == Counter(rows) and got
    tops = {c.cell: c.top for c in heatmap.cell_counts(db, resolved_window(db, **w))}
    assert any(t and t[0][0] == "waste" for t in tops.values())


def test_filters_by_category_status_agency_and_commune(db, alone):
    rows = [
        report_row(107.62, 12.45, T0, category="roads"),
        report_row(107.62, 12.45, T0, category="waste", status="closed", resolved_after=timedelta(1)),
        report_row(107.62, 12.45, T0, category="waste", agency="phong-tnmt"),
        report_row(107.62, 12.45, T0 + timedelta(days=60), category="waste", commune="24667"),
    ]
    insert_reports(db, rows)
    cell = rows[0]["r7"]
    assert counts(db, resolution=7)[cell] == 4
    assert counts(db, resolution=7, categories=("waste",))[cell] == 3
    assert counts(db, resolution=7, categories=("waste",), statuses=("closed",))[cell] == 1
    assert counts(db, resolution=7, agency="phong-tnmt")[cell] == 1
    assert counts(db, resolution=7, commune="24667")[cell] == 1


def test_features_carry_overdue_share_top_categories_and_rates(db, alone):
    now = datetime.now(UTC)
    rows = [
        report_row(107.62, 12.45, now - timedelta(days=30), category="roads", due_in=timedelta(days=1)),
        report_row(107.62, 12.45, now - timedelta(days=30), category="roads", due_in=timedelta(days=90)),
        report_row(
            107.62,
            12.45,
            now - timedelta(days=30),
            category="waste",
            status="closed",
            resolved_after=timedelta(days=1),
        ),
    ]
    insert_reports(db, rows)
    w = resolved_window(db, resolution=9, start=now - timedelta(days=60), end=now)
    fc = heatmap.heatmap(db, w)
    feature = next(f for f in fc["features"] if f["properties"]["h3"] == h3.int_to_str(rows[0]["r9"]))
    p = feature["properties"]
    assert p["count"] == 3 and p["overdue"] == 1 and p["overdue_share"] == round(1 / 3, 4)
    assert p["top_categories"][0] == {"code": "roads", "count": 2}
    assert p["per_km2"] == pytest.approx(3 / h3.cell_area(p["h3"], "km^2"), rel=1e-3)
    assert p["per_1000_residents"] > 0 and p["residents_est"] > 0
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and 107 < ring[0][0] < 108 and 12 < ring[0][1] < 13  # lon, lat
    assert fc["meta"]["population"]["available"] is True and "2019" in fc["meta"]["population"]["source"]


def test_bbox_keeps_only_hexagons_intersecting_it(db, alone):
    a, b = report_row(107.58, 12.42, T0), report_row(107.68, 12.48, T0)
    insert_reports(db, [a, b])
    w = resolved_window(db, resolution=8, bbox=(107.57, 12.41, 107.59, 12.43))
    cells = {f["properties"]["h3"] for f in heatmap.heatmap(db, w)["features"]}
    assert h3.int_to_str(a["r8"]) in cells and h3.int_to_str(b["r8"]) not in cells


def test_incident_heatmap_groups_incidents_by_type(db, alone, make_user):
    from layers.incidents import service

    leader = make_user("leader")
    for t in ("fire", "fire", "flood"):
        service.create(
            db,
            service.NewIncident(
                type=t,
                title="Sự cố thử",
                severity=2,
                agency="ubnd-24664",
                geometry={"type": "Point", "coordinates": [107.62, 12.45]},
            ),
            leader,
        )
    now = datetime.now(UTC)
    w = window.resolve(
        db,
        window.Window(
            layer="incidents", start=now - timedelta(hours=1), end=now + timedelta(hours=1), resolution=6
        ),
    )
    fc = heatmap.heatmap(db, w)
    props = next(
        f["properties"]
        for f in fc["features"]
        if f["properties"]["h3"] == h3.latlng_to_cell(12.45, 107.62, 6)
    )
    assert props["count"] == 3 and props["top_categories"][0]["code"] == "fire" and "active_share" in props


@pytest.mark.parametrize(
    "kw, code",
    [
        ({"resolution": 4}, "bad_resolution"),
        ({"resolution": 11}, "bad_resolution"),
        ({"layer": "photos"}, "bad_layer"),
        ({"categories": ("volcano",)}, "unknown_category"),
        ({"statuses": ("lost",)}, "bad_status"),
        ({"agency": "khong-co"}, "unknown_agency"),
        ({"layer": "incidents", "categories": ("volcano",)}, "unknown_incident_type"),
    ],
)
def test_bad_questions_are_refused(db, kw, code):
    with pytest.raises(InvalidInput) as err:
        resolved_window(db, **kw)
    assert err.value.code == code


@pytest.mark.parametrize(
    "start, end, code",
    [
        (datetime(2025, 2, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), "bad_period"),
        (datetime(2015, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), "period_too_long"),
        (datetime(2025, 1, 1), datetime(2025, 2, 1, tzinfo=UTC), "naive_datetime"),
    ],
)
def test_bad_periods_are_refused(start, end, code):
    with pytest.raises(InvalidInput) as err:
        window.period(start, end)
    assert err.value.code == code


def test_full_months_are_vietnamese_calendar_months():
    start = datetime(2025, 1, 31, 17, 0, tzinfo=UTC)  # 1 Feb 00:00 in Vietnam
    end = datetime(2025, 4, 15, tzinfo=UTC)
    assert window.full_months(start, end) == (datetime(2025, 2, 1).date(), datetime(2025, 4, 1).date())
    assert window.full_months(start + timedelta(seconds=1), end)[0] == datetime(2025, 3, 1).date()
    assert window.full_months(start, start + timedelta(days=20)) is None


def test_the_serialised_heatmap_is_the_python_collection(db, random_reports):
    """The HTTP path (heatmap_json: cached outlines, one orjson pass) sends what heatmap() builds."""
    for kw in (
        dict(resolution=9),
        dict(resolution=7, categories=("roads",)),
        dict(resolution=8, statuses=("received",), bbox=(107.58, 12.41, 107.66, 12.47)),
        dict(resolution=6, layer="incidents"),
    ):
        w = resolved_window(db, **kw)
        sent = orjson.loads(heatmap.heatmap_json(db, w))
        built = orjson.loads(orjson.dumps(heatmap.heatmap(db, w)))
        assert sent == built, kw
        assert sent["type"] == "FeatureCollection" and (sent["features"] or kw.get("layer") == "incidents")


def test_rollup_sums_are_reused_only_while_their_months_are_unchanged(db, random_reports):
    heatmap.clear_cache()
    w = dict(resolution=8, start=datetime(2025, 2, 1, tzinfo=window.VN), end=datetime(2025, 8, 1, tzinfo=window.VN))
    first = counts(db, **w)
    assert len(heatmap.counts._rollup_cache) == 1
    assert counts(db, **w) == first and len(heatmap.counts._rollup_cache) == 1  # reused
    # A category filter is taken from the same cached sums and agrees with the base table.
    roads = counts(db, categories=("roads",), **w)
    rows = db.execute(text("SELECT h3_r8 FROM feedback_reports WHERE received_at >= :a AND received_at < :b"),
                      {"a": w["start"], "b": w["end"]}).scalars()
    assert roads == Counter(rows) and len(heatmap.counts._rollup_cache) == 1
    # Moving reports out of a built month (same transaction, same now()) rebuilds it: not stale.
    db.execute(text("UPDATE feedback_reports SET received_at = received_at + interval '1 year' "
                    "WHERE received_at >= '2025-03-01' AND received_at < '2025-04-01'"))
    after = counts(db, **w)
    rows = db.execute(text("SELECT h3_r8 FROM feedback_reports WHERE received_at >= :a AND received_at < :b"),
                      {"a": w["start"], "b": w["end"]}).scalars()
    assert after == Counter(rows) != first
    heatmap.clear_cache()
    assert counts(db, **w) == after
