"""Gi* hotspots: a planted cluster is found hot, uniform noise yields no hotspot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import h3
import numpy as np
import pytest
from sqlalchemy import text

from gis.hexgrid import lonlat_to_cell
from layers.analytics import hotspots, window
from layers.errors import InvalidInput
from tests.layers.analytics.helpers import insert_reports, random_points, report_row

CENTRE = (107.62, 12.45)


@pytest.fixture
def grid(db):
    return sorted(hotspots.study_area(db, 8))


def test_the_study_area_covers_the_district_at_resolution_8(grid):
    assert 500 < len(grid) < 2000  # ~680 km² / 0.74 km² per cell
    assert lonlat_to_cell(*CENTRE, 8) in grid


def test_a_planted_cluster_is_hot_and_uniform_noise_is_not(grid):
    rng = np.random.default_rng(42)
    noise = rng.poisson(2.0, len(grid)).astype(float)
    result = hotspots.gi_star(grid, noise)
    labels = [hotspots.classify(z, q)[0] for z, q in zip(result.z, result.q, strict=True)]
    assert labels.count("hot") == 0 and labels.count("cold") == 0

    centre = lonlat_to_cell(*CENTRE, 8)
    cluster = {h3.str_to_int(c) for c in h3.grid_disk(h3.int_to_str(centre), 1)}
    planted = noise.copy()
    for i, cell in enumerate(grid):
        if cell in cluster:
            planted[i] += 15
    result = hotspots.gi_star(grid, planted)
    i = grid.index(centre)
    label, confidence = hotspots.classify(float(result.z[i]), float(result.q[i]))
    assert label == "hot" and confidence == 99 and result.z[i] > 5
    hot = {grid[j] for j in range(len(grid)) if hotspots.classify(result.z[j], result.q[j])[0] == "hot"}
    assert centre in hot and hot <= {h3.str_to_int(c) for c in h3.grid_disk(h3.int_to_str(centre), 2)}


def test_benjamini_hochberg_adjustment_is_monotone_and_bounded():
    p = np.array([0.01, 0.04, 0.03, 0.5, 0.0001])
    q = hotspots.bh_adjust(p)
    assert q[4] == pytest.approx(0.0005) and q[0] == pytest.approx(0.025)
    assert (q >= p).all() and (q <= 1).all()
    assert list(np.argsort(q, kind="stable")) == list(np.argsort(p, kind="stable"))


def test_hotspots_from_the_database_find_a_cluster_of_reports(db):
    db.execute(text("DELETE FROM feedback_reports"))
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    background = random_points(400, seed=3, box=(107.50, 12.30, 107.75, 12.60))
    rows = [report_row(float(x), float(y), t0 + timedelta(hours=i)) for i, (x, y) in enumerate(background)]
    rng = np.random.default_rng(5)
    rows += [
        report_row(
            CENTRE[0] + float(dx),
            CENTRE[1] + float(dy),
            t0 + timedelta(hours=i),
            status="closed",
            resolved_after=timedelta(days=1),
        )
        for i, (dx, dy) in enumerate(rng.normal(0, 0.003, (150, 2)))
    ]
    insert_reports(db, rows)
    w = window.resolve(
        db, window.Window(layer="reports", start=t0, end=t0 + timedelta(days=60), resolution=8)
    )
    fc = hotspots.hotspots(db, w)
    by_cell = {f["properties"]["h3"]: f["properties"] for f in fc["features"]}
    centre = by_cell[h3.latlng_to_cell(CENTRE[1], CENTRE[0], 8)]
    assert centre["class"] == "hot" and centre["confidence"] in (95, 99)
    assert fc["meta"]["total"] == 550 and fc["meta"]["significance_levels"] == {
        "99": 0.01,
        "95": 0.05,
        "90": 0.10,
    }
    assert "Getis-Ord" in fc["meta"]["method"] and fc["meta"]["summary"]["hot"][99] >= 1
    assert fc["meta"]["seconds"] < 2


def test_too_coarse_a_grid_is_refused(db):
    w = window.resolve(
        db,
        window.Window(
            layer="reports",
            start=datetime(2025, 1, 1, tzinfo=UTC),
            end=datetime(2025, 2, 1, tzinfo=UTC),
            resolution=5,
        ),
    )
    with pytest.raises(InvalidInput) as err:
        hotspots.hotspots(db, w)
    assert err.value.code == "too_few_cells"
