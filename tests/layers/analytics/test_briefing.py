"""Briefing exports: the standalone map page and the KPI tables, generated and read back."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from layers.analytics import briefing, kpi, window
from layers.errors import InvalidInput
from layers.incidents import service
from tests.layers.analytics.helpers import insert_reports, random_points, report_row
from tests.layers.incidents.helpers import square

LEAFLET = Path(__file__).resolve().parents[3] / "web" / "node_modules" / "leaflet" / "dist"
NOW = datetime.now(UTC)


@pytest.fixture
def data(db, make_user):
    db.execute(text("DELETE FROM incident_reports"))
    db.execute(text("DELETE FROM feedback_reports"))
    db.execute(text("DELETE FROM incidents"))
    rows = [report_row(float(x), float(y), NOW - timedelta(days=1 + i % 20), category="waste")
            for i, (x, y) in enumerate(random_points(80, seed=1))]
    insert_reports(db, rows)
    leader = make_user("leader")
    service.create(db, service.NewIncident(type="fire", title="Cháy rẫy cà phê", severity=4, agency="ubnd-24664",
                                           geometry={"type": "Point", "coordinates": [107.62, 12.45]}), leader)
    service.create(db, service.NewIncident(type="flood", title="Ngập <b>thôn 3</b>", severity=2,
                                           agency="ubnd-24664", geometry=square(107.63, 12.46)), leader)
    return window.resolve(db, window.Window(layer="reports", start=NOW - timedelta(days=30), end=NOW + timedelta(hours=1),
                                            resolution=8))


def has(page: str, text_: str) -> bool:
    """Visible text, written either as is or JSON-escaped inside the page's script."""
    return text_ in page or json.dumps(text_)[1:-1] in page


def test_the_briefing_map_is_a_standalone_page_with_every_part(db, data):
    page = briefing.briefing_map(db, data, title="Giao ban tuần", leaflet_dir=LEAFLET if LEAFLET.exists() else None)
    assert page.startswith("<!DOCTYPE html>") and "<title>Giao ban tuần</title>" in page
    assert "Kỳ báo cáo / period" in page and "Chú giải / legend" in page
    assert has(page, "Mật độ phản ánh (H3 r8)") and has(page, "Ranh giới xã / communes")
    assert has(page, "Sự cố / incidents") and has(page, "Cháy rẫy cà phê")
    assert has(page, "Ngập &lt;b&gt;thôn 3&lt;/b&gt;")  # escaped, never markup
    assert not has(page, "<b>thôn 3</b>")
    assert has(page, "Điểm nóng Gi*") and "tổng 80" in page
    assert "code.jquery.com" not in page and "bootstrap" not in page
    if LEAFLET.exists():
        assert "cdn.jsdelivr.net/npm/leaflet" not in page and "L.map" in page  # Leaflet inlined


def test_map_layers_can_be_chosen_and_unknown_ones_are_refused(db, data):
    page = briefing.briefing_map(db, data, layers=("incidents",))
    assert has(page, "Sự cố / incidents") and not has(page, "Mật độ phản ánh")
    with pytest.raises(InvalidInput) as err:
        briefing.briefing_map(db, data, layers=("satellite",))
    assert err.value.code == "bad_map_layer"


def test_kpi_tables_as_csv_and_excel_carry_the_numbers(db, data):
    numbers = kpi.kpis(db, data)
    rows = list(csv.reader(io.StringIO(briefing.kpi_csv(numbers, "totals").decode("utf-8-sig"))))
    assert rows[0] == ["metric", "value", "previous", "change", "change_pct"]
    assert rows[1][:2] == ["received", "80"]
    by_category = list(csv.reader(io.StringIO(briefing.kpi_csv(numbers, "category").decode("utf-8-sig"))))
    assert by_category[1][0] == "waste" and by_category[1][2] == "80"
    book = load_workbook(io.BytesIO(briefing.kpi_xlsx(numbers)))
    assert book.sheetnames == ["totals", "agency", "commune", "category", "incidents"]
    sheet = book["totals"]
    assert sheet["A1"].value.startswith("Kỳ / period") and sheet["A2"].value == "metric"
    assert sheet["A3"].value == "received" and sheet["B3"].value == 80
    incidents = {r[0].value: r[1].value for r in book["incidents"].iter_rows(min_row=3)}
    assert incidents["reported"] == 2 and incidents["active"] == 2
    with pytest.raises(InvalidInput):
        briefing.kpi_csv(numbers, "salaries")
