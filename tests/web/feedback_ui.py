"""Shared steps of the citizen-feedback browser tests (report, track and inbox pages).

The live server only sees committed data and is shared by every test of the session, so
each test files its reports at its own random spot (other reports within 50 m would show
up as "me too" offers) and deletes what it created at the end.
"""

from __future__ import annotations

import io
import random
import uuid
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import FilePayload, Page, Position
from sqlalchemy import Engine, text

from layers import accounts
from layers.db import make_sessionmaker, session_scope
from layers.feedback.media import MediaStore
from layers.settings import get_settings
from tests.conftest import PASSWORD, ROOT

#: Xã Đức Lập (GSO 24664 since 1 July 2025). Waste reports there are routed by the
#: default rule "default-waste" (commune committee) to the agency ubnd-24664.
COMMUNE = "24664"
AGENCY = "ubnd-24664"
CATEGORY = "waste"
CODE_RE = r"^DM-\d{4}-\d{6,9}$"


def png_bytes(colour: tuple[int, int, int] = (90, 140, 70), size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real PNG, made here (no fixture files)."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def upload(name: str, data: bytes, mime: str = "image/png") -> FilePayload:
    """A file as the page's file input receives it."""
    return {"name": name, "mimeType": mime, "buffer": data}


class FeedbackApi:
    """The feedback API as the tests use it to prepare reports; deletes its reports at close()."""

    def __init__(self, base_url: str, engine: Engine) -> None:
        self.base_url = base_url
        self.engine = engine
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.codes: list[str] = []
        self.tokens: dict[str, dict[str, str]] = {}

    # -- accounts ------------------------------------------------------------------------------

    def user(self, role: str, agencies: list[str] | None = None, prefix: str = "pw-fb") -> str:
        """A committed account (made once per name) for this role and agencies."""
        name = f"{prefix}-{role}-{'-'.join(agencies or []) or 'none'}"[:64]
        with session_scope(make_sessionmaker(self.engine)) as s:
            try:
                accounts.get_user(s, name)
            except Exception:
                accounts.create_user(s, username=name, password=PASSWORD, role=role,
                                     full_name=f"Cán bộ thử nghiệm {role}", agency_codes=agencies or [])
        return name

    def auth(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            r = self.http.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.tokens[username] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self.tokens[username]

    # -- places and reports -----------------------------------------------------------------------

    def spot(self, commune: str = COMMUNE) -> tuple[float, float]:
        """A random point inside the commune, a few hundred metres from its label point."""
        label = self.http.get(f"/api/v1/communes/{commune}").json()["properties"]
        rng = random.Random(uuid.uuid4().int)
        for _ in range(200):
            lon = round(label["label_lon"] + rng.uniform(-0.004, 0.004), 6)
            lat = round(label["label_lat"] + rng.uniform(-0.004, 0.004), 6)
            r = self.http.get("/api/v1/communes/containing", params={"lon": lon, "lat": lat})
            if r.status_code == 200 and r.json()["properties"]["code"] == commune and not self.nearby(lon, lat):
                return lon, lat
        raise AssertionError("no free spot found in the commune")

    def nearby(self, lon: float, lat: float, category: str = CATEGORY) -> list[dict[str, Any]]:
        r = self.http.get("/api/v1/reports/nearby", params={"lon": lon, "lat": lat, "category": category})
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def agency_for(self, lon: float, lat: float, category: str = CATEGORY) -> str:
        r = self.http.get("/api/v1/feedback/routing/preview", params={"category": category, "lon": lon, "lat": lat})
        assert r.status_code == 200, r.text
        return str(r.json()["agency"]["code"])

    def submit(self, lon: float, lat: float, *, as_user: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"category": CATEGORY, "title": "Rác tồn đọng bên đường",
                "description": "Rác để nhiều ngày chưa thu gom.", "lon": lon, "lat": lat, **fields}
        r = self.http.post("/api/v1/reports", json=body, headers=self.auth(as_user) if as_user else {})
        assert r.status_code == 201, r.text
        report = dict(r.json())
        self.codes.append(report["code"])
        return report

    def track(self, code: str) -> str:
        """Delete this report (made through a page) when the test ends."""
        self.codes.append(code)
        return code

    def public(self, code: str) -> dict[str, Any]:
        r = self.http.get(f"/api/v1/reports/{code}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def move(self, code: str, officer: str, **step: Any) -> dict[str, Any]:
        r = self.http.post(f"/api/v1/reports/{code}/transitions", json=step, headers=self.auth(officer))
        assert r.status_code == 200, r.text
        return dict(r.json())

    def reports_near(self, lon: float, lat: float, metres: float = 60) -> list[dict[str, Any]]:
        """Every report (any status) in a small box around a point, through the public list."""
        d = metres / 111_000
        r = self.http.get("/api/v1/reports", params={"bbox": f"{lon - d},{lat - d},{lon + d},{lat + d}", "limit": 200})
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def close(self) -> None:
        """Remove the test's reports, their rows and their photo files."""
        self.http.close()
        if not self.codes:
            return
        settings = get_settings()
        root = settings.media_path if settings.media_path.is_absolute() else ROOT / settings.media_path
        media = MediaStore(Path(root))
        with session_scope(make_sessionmaker(self.engine)) as s:
            names = s.execute(text(
                "SELECT p.name FROM feedback_photos p JOIN feedback_reports r ON r.id = p.report_id "
                "WHERE r.code = ANY(:c)"), {"c": self.codes}).scalars().all()
            s.execute(text("DELETE FROM feedback_reports WHERE code = ANY(:c)"), {"c": self.codes})
        for name in names:
            media.delete(name)


def sign_in(page: Page, username: str) -> None:
    """Sign in from the page header (the pages share the header of the map)."""
    page.click("#login-toggle")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")


def set_map_view(page: Page, handle: str, lon: float, lat: float, zoom: int) -> None:
    """Centre a page's map (window.<handle>.map) on a point, as a user panning there would."""
    page.evaluate("([h, lon, lat, z]) => window[h].map.setView([lat, lon], z, { animate: false })",
                  [handle, lon, lat, zoom])


def map_point(page: Page, handle: str, lon: float, lat: float) -> Position:
    """Where a lon/lat point is drawn inside a page's map container, in CSS pixels."""
    xy = page.evaluate("([h, lon, lat]) => { const p = window[h].map.latLngToContainerPoint([lat, lon]);"
                       " return {x: p.x, y: p.y}; }", [handle, lon, lat])
    return {"x": float(xy["x"]), "y": float(xy["y"])}
