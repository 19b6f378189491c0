"""Many reports at once for the map-cluster tests: plain INSERTs (the tally's triggers run),
with real H3 cells, statuses and categories, and reporter data that must never show."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from gis.hexgrid import lonlat_to_cells

#: Places well inside the district (Thị trấn Đắk Mil / Đức Lập and Đắk Lao area).
TOWN = (107.62237, 12.44957)
NORTH = (107.64, 12.53)
STATUSES = ("received", "assigned", "in_progress", "resolved", "closed", "rejected")
REPORTER = {"reporter_name": "Nguyễn Riêng Tư", "reporter_phone": "0912 000 111",
            "reporter_email": "riengtu@example.vn"}

_INSERT = text("""
    INSERT INTO feedback_reports (
        code, category_id, title, description, answers, status, source, geom, location_precision,
        commune_code, commune_name, h3_r5, h3_r6, h3_r7, h3_r8, h3_r9, h3_r10, agency_id,
        routing_explanation_vi, routing_explanation_en, received_at, deadline_days, due_at,
        supporters, text_hidden, escalated, dispute_count, share_contact, private_token_hash,
        updated_at, reporter_name, reporter_phone, reporter_email, reporter_ip_hash)
    VALUES (:code, (SELECT id FROM feedback_categories WHERE code = :category), :title, 'Mô tả',
        '{}'::jsonb, :status, 'web', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'point', '24664',
        'Xã Đức Lập', :h3_r5, :h3_r6, :h3_r7, :h3_r8, :h3_r9, :h3_r10,
        (SELECT id FROM agencies ORDER BY id LIMIT 1), 'thử', 'test', :at, 10, :at + interval '14 days',
        0, false, false, 0, true, :token, :at, :reporter_name, :reporter_phone, :reporter_email, :ip)
""")


def scatter(centre: tuple[float, float], n: int, spread: float, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [(round(centre[0] + rng.uniform(-spread, spread), 6), round(centre[1] + rng.uniform(-spread, spread), 6))
            for _ in range(n)]


def insert_reports(conn: Any, points: list[tuple[float, float]], *, categories: tuple[str, ...] = ("roads", "waste"),
                   seed: int = 1, prefix: str = "DM-1999") -> list[str]:
    """One report per point (statuses and categories cycled); returns their codes."""
    rng = random.Random(seed)
    base = random.Random(uuid.uuid4().int).randrange(10**8, 9 * 10**8)  # codes as real ones look
    at = datetime.now(UTC) - timedelta(days=3)
    rows = []
    for i, (lon, lat) in enumerate(points):
        cells = lonlat_to_cells(lon, lat)
        rows.append({
            "code": f"{prefix}-{base + i:09d}", "category": categories[i % len(categories)],
            "title": f"Phản ánh {i}", "status": STATUSES[rng.randrange(len(STATUSES))], "lon": lon, "lat": lat,
            **{f"h3_r{r}": c for r, c in cells.items()}, "at": at, "token": uuid.uuid4().hex,
            "ip": uuid.uuid4().hex, **REPORTER,
        })
    conn.execute(_INSERT, rows)
    return [str(r["code"]) for r in rows]
