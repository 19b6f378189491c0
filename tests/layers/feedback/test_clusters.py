"""The public map's clusters: the tally the triggers keep, H3 ancestors, counts and means."""

from __future__ import annotations

import h3
import pytest
from sqlalchemy import text

from layers.errors import InvalidInput
from layers.feedback import clusters
from tests.layers.feedback.cluster_data import NORTH, TOWN, insert_reports, scatter

DISTRICT = (107.45, 12.25, 107.95, 12.80)


def _tally_matches_reports(db) -> None:
    tally = dict(((c, k, s), (n, x, y)) for c, k, s, n, x, y in db.execute(text(
        "SELECT cell, category_id, status, n, sum_lon, sum_lat FROM feedback_report_cells WHERE n <> 0")))
    truth = dict(((c, k, s), (n, x, y)) for c, k, s, n, x, y in db.execute(text(
        "SELECT h3_r8, category_id, status, count(*), sum(ST_X(geom)), sum(ST_Y(geom)) "
        "FROM feedback_reports GROUP BY 1, 2, 3")))
    assert tally.keys() == truth.keys()
    for key, (n, x, y) in truth.items():
        assert tally[key][0] == n
        assert tally[key][1] == pytest.approx(x, abs=1e-7)
        assert tally[key][2] == pytest.approx(y, abs=1e-7)


@pytest.mark.parametrize("resolution", [5, 6, 7, 8])
def test_ancestor_bits_give_the_h3_parent(resolution):
    keep, set_ = clusters.ancestor_bits(resolution)
    for lon, lat in scatter(TOWN, 50, 0.2, seed=resolution):
        cell = h3.latlng_to_cell(lat, lon, 8)
        assert (h3.str_to_int(cell) & keep) | set_ == h3.str_to_int(h3.cell_to_parent(cell, resolution))


def test_the_resolution_follows_the_zoom_at_dak_mil():
    got = {z: clusters.resolution_for_zoom(z) for z in range(8, 17)}
    assert got == {8: 5, 9: 5, 10: 5, 11: 6, 12: 7, 13: 7, 14: 8, 15: 9, 16: 9}


def test_the_tally_follows_inserts_updates_and_deletes(db):
    codes = insert_reports(db, scatter(TOWN, 60, 0.03, seed=2) + scatter(NORTH, 40, 0.02, seed=3))
    _tally_matches_reports(db)
    db.execute(text("UPDATE feedback_reports SET status = 'closed' WHERE code = ANY(:c)"), {"c": codes[:25]})
    db.execute(text("UPDATE feedback_reports SET geom = ST_SetSRID(ST_MakePoint(107.70, 12.60), 4326), "
                    "h3_r8 = :cell WHERE code = :c"),
               {"c": codes[30], "cell": h3.str_to_int(h3.latlng_to_cell(12.60, 107.70, 8))})
    db.execute(text("UPDATE feedback_reports SET supporters = supporters + 1 WHERE code = ANY(:c)"),
               {"c": codes[:50]})  # changes nothing the map counts
    _tally_matches_reports(db)
    db.execute(text("DELETE FROM feedback_reports WHERE code = ANY(:c)"), {"c": codes[40:70]})
    _tally_matches_reports(db)


def test_clusters_count_every_report_once_and_sit_at_the_mean_of_their_points(db):
    insert_reports(db, scatter(TOWN, 150, 0.05, seed=4) + scatter(NORTH, 120, 0.04, seed=5))
    total = db.scalar(text("SELECT count(*) FROM feedback_reports"))
    for zoom in (9, 11, 12, 14):
        view = clusters.map_view(db, DISTRICT, zoom)
        assert view.mode == "clusters" and view.source == "cells"
        assert sum(c.count for c in view.clusters) == view.total == total
        for c in view.clusters:
            assert sum(c.statuses.values()) == sum(c.categories.values()) == c.count
    keep, set_ = clusters.ancestor_bits(6)
    truth = {cell: (n, x, y) for cell, n, x, y in db.execute(text(
        "SELECT (h3_r8 & :keep) | :set, count(*), avg(ST_X(geom)), avg(ST_Y(geom)) FROM feedback_reports "
        "GROUP BY 1"), {"keep": keep, "set": set_})}
    view = clusters.map_view(db, DISTRICT, 11)
    assert {c.cell for c in view.clusters} == set(truth)
    for c in view.clusters:
        n, x, y = truth[c.cell]
        assert (c.count, c.lon, c.lat) == (n, pytest.approx(x, abs=1e-9), pytest.approx(y, abs=1e-9))


def test_status_and_category_filters_count_only_matching_reports(db, monkeypatch):
    monkeypatch.setattr(clusters, "FEW", 20)
    insert_reports(db, scatter(TOWN, 300, 0.05, seed=6))
    want = db.scalar(text("SELECT count(*) FROM feedback_reports r JOIN feedback_categories c "
                          "ON c.id = r.category_id WHERE c.code = 'waste' AND r.status IN ('received', 'closed')"))
    view = clusters.map_view(db, DISTRICT, 11, statuses=("received", "closed"), category="waste")
    assert want > clusters.FEW and view.mode == "clusters"
    assert view.total == want
    for c in view.clusters:
        assert set(c.categories) == {"waste"} and set(c.statuses) <= {"received", "closed"}


def test_a_cluster_is_listed_where_its_mean_lies(db):
    insert_reports(db, scatter(TOWN, 150, 0.01, seed=7) + scatter(NORTH, 150, 0.01, seed=8))
    town_only = (TOWN[0] - 0.05, TOWN[1] - 0.05, TOWN[0] + 0.05, TOWN[1] + 0.05)
    view = clusters.map_view(db, town_only, 11)
    assert view.total == 150
    assert all(town_only[0] <= c.lon <= town_only[2] and town_only[1] <= c.lat <= town_only[3]
               for c in view.clusters)


def test_zoom_15_groups_the_reports_in_view_by_resolution_9(db):
    insert_reports(db, scatter(TOWN, 400, 0.01, seed=9))
    box = (TOWN[0] - 0.02, TOWN[1] - 0.02, TOWN[0] + 0.02, TOWN[1] + 0.02)
    view = clusters.map_view(db, box, 15)
    assert (view.mode, view.resolution, view.source) == ("clusters", 9, "reports")
    in_view = db.scalar(text("SELECT count(*) FROM feedback_reports WHERE geom && "
                             "ST_MakeEnvelope(:a, :b, :c, :d, 4326)"), dict(zip("abcd", box, strict=True)))
    assert view.total == in_view == 400


def test_few_reports_and_street_zoom_show_the_reports_themselves(db):
    codes = insert_reports(db, scatter(TOWN, 30, 0.01, seed=10))
    few = clusters.map_view(db, DISTRICT, 11)
    assert few.mode == "points" and {p["code"] for p in few.points} == set(codes)
    insert_reports(db, scatter(TOWN, 250, 0.01, seed=11))
    assert clusters.map_view(db, DISTRICT, 11).mode == "clusters"
    close = clusters.map_view(db, (TOWN[0] - 0.002, TOWN[1] - 0.002, TOWN[0] + 0.002, TOWN[1] + 0.002), 17)
    assert close.mode == "points" and 0 < close.total < 280 and not close.truncated


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"zoom": -1}, "bad_zoom"), ({"zoom": 23}, "bad_zoom"),
    ({"zoom": 11, "statuses": ("lost",)}, "bad_status"), ({"zoom": 11, "category": "nope"}, "unknown_category"),
])
def test_bad_zoom_status_and_category_are_refused(db, kwargs, code):
    zoom = kwargs.pop("zoom")
    with pytest.raises(InvalidInput) as exc:
        clusters.map_view(db, DISTRICT, zoom, **kwargs)
    assert exc.value.code == code


def test_a_dense_street_view_is_grouped_by_resolution_10_until_the_closest_zoom(db, monkeypatch):
    monkeypatch.setattr(clusters, "POINTS_MAX", 50)
    insert_reports(db, scatter(TOWN, 120, 0.001, seed=12))
    box = (TOWN[0] - 0.002, TOWN[1] - 0.002, TOWN[0] + 0.002, TOWN[1] + 0.002)
    dense = clusters.map_view(db, box, 17)
    assert (dense.mode, dense.resolution, dense.total) == ("clusters", 10, 120)
    closest = clusters.map_view(db, box, clusters.ALWAYS_POINTS_ZOOM)
    assert closest.mode == "points" and closest.total == 120
