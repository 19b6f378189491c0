"""The KPI tables of a briefing as CSV (UTF-8 with BOM, for Excel) and as an Excel workbook."""

from __future__ import annotations

import csv
import io
from typing import Any

from layers.errors import InvalidInput

GROUP_COLUMNS = (
    "received",
    "open",
    "overdue",
    "due_this_week",
    "resolved",
    "on_time_rate",
    "median_handling_hours",
    "satisfaction",
    "rated",
)
TABLES = ("totals", "agency", "commune", "category", "incidents")


def kpi_tables(data: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The KPI answer as flat tables: name -> (header, rows)."""
    totals = data["reports"]["totals"]
    out: dict[str, tuple[list[str], list[list[Any]]]] = {
        "totals": (
            ["metric", "value", "previous", "change", "change_pct"],
            [
                [m, totals[m]["value"], totals[m]["previous"], totals[m]["change"], totals[m]["change_pct"]]
                for m in GROUP_COLUMNS
            ],
        ),
    }
    for key in ("agency", "commune", "category"):
        header = ["code", "name", *GROUP_COLUMNS, *(f"{c}_previous" for c in GROUP_COLUMNS)]
        rows = [
            [
                g["code"],
                g["name"],
                *(g[c]["value"] for c in GROUP_COLUMNS),
                *(g[c]["previous"] for c in GROUP_COLUMNS),
            ]
            for g in data["reports"][f"by_{key}"]
        ]
        out[key] = (header, rows)
    inc = data["incidents"]
    out["incidents"] = (
        ["status", "value", "previous", "change"],
        [[s, v["value"], v["previous"], v["change"]] for s, v in sorted(inc["by_status"].items())]
        + [["active", inc["active"]["value"], inc["active"]["previous"], inc["active"]["change"]]],
    )
    return out


def kpi_csv(data: dict[str, Any], table: str) -> bytes:
    """One table as CSV, UTF-8 with a BOM so that Excel shows Vietnamese correctly."""
    if table not in TABLES:
        raise InvalidInput(
            f"Bảng không hợp lệ / unknown table: {table}", code="bad_table", allowed=list(TABLES)
        )
    header, rows = kpi_tables(data)[table]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def kpi_xlsx(data: dict[str, Any]) -> bytes:
    """Every table as a sheet of one workbook, with the period on top."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    period = data["period"]
    for name, (header, rows) in kpi_tables(data).items():
        sheet = book.create_sheet(title=name)
        sheet.append(
            [f"Kỳ / period: {period['start']:%Y-%m-%d %H:%M} – {period['end']:%Y-%m-%d %H:%M} (UTC)"]
        )
        sheet.append(header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A3"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
