"""Bulk reports for analytics tests: inserted with SQL (fast), cells computed with h3."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import text

from gis.hexgrid import lonlat_to_cells

# Inside Đắk Mil (checked against the commune polygons by the tests that need it).
BOX = (107.56, 12.40, 107.70, 12.50)

_INSERT = text("""
    INSERT INTO feedback_reports (code, category_id, title, description, answers, status, source, geom,
        location_precision, commune_code, commune_name, h3_r5, h3_r6, h3_r7, h3_r8, h3_r9, h3_r10, agency_id,
        routing_explanation_vi, routing_explanation_en, received_at, deadline_days, due_at, resolved_at,
        closed_at, citizen_rating, citizen_feedback_at, supporters, text_hidden, escalated, dispute_count,
        share_contact, private_token_hash)
    VALUES (:code, (SELECT id FROM feedback_categories WHERE code = :category), 'Thử', 'Thử', '{}', :status,
        'web', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'point', :commune, 'Xã thử', :r5, :r6, :r7, :r8, :r9,
        :r10, (SELECT id FROM agencies WHERE code = :agency), 'thử', 'test', :received_at, 10, :due_at,
        :resolved_at, :closed_at, :rating, :rated_at, 0, false, false, 0, false, :token)
""")


def report_row(
    lon: float,
    lat: float,
    received_at: datetime,
    *,
    status: str = "received",
    category: str = "roads",
    agency: str = "ubnd-24664",
    commune: str = "24664",
    due_in: timedelta = timedelta(days=10),
    resolved_after: timedelta | None = None,
    rating: int | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    cells = lonlat_to_cells(lon, lat)
    resolved_at = received_at + resolved_after if resolved_after is not None else None
    closed_at = (
        resolved_at
        if status == "closed"
        else (received_at + timedelta(days=1) if status in ("rejected", "duplicate") else None)
    )
    return {
        "code": code or f"DM-2099-{secrets.randbelow(10**9):09d}",
        "category": category,
        "status": status,
        "lon": lon,
        "lat": lat,
        "commune": commune,
        **{f"r{r}": c for r, c in cells.items()},
        "agency": agency,
        "received_at": received_at,
        "due_at": received_at + due_in,
        "resolved_at": resolved_at,
        "closed_at": closed_at,
        "rating": rating,
        "rated_at": (resolved_at + timedelta(days=1)) if rating and resolved_at else None,
        "token": secrets.token_hex(32),
    }


def insert_reports(db: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        db.execute(_INSERT, rows)


def random_points(n: int, seed: int = 7, box: tuple[float, float, float, float] = BOX) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(box[0], box[2], n), rng.uniform(box[1], box[3], n)])
