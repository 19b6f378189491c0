"""The Leaflet web map: the front door of the app."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

WEB_DIR = Path(__file__).resolve().parents[2] / "web"

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/planner")
def planner() -> FileResponse:
    """The planners' page; the page itself is public, its API calls are planner/admin only."""
    return FileResponse(WEB_DIR / "planner.html", headers={"Cache-Control": "no-cache"})


@router.get("/report")
def report() -> FileResponse:
    """Citizens' page: pin a problem on the map and send it (phone first)."""
    return FileResponse(WEB_DIR / "report.html", headers={"Cache-Control": "no-cache"})


@router.get("/track")
def track() -> FileResponse:
    """Follow a report by its code, or through the reporter's private link (#token=...)."""
    return FileResponse(WEB_DIR / "track.html", headers={"Cache-Control": "no-cache"})


@router.get("/officer")
def officer() -> FileResponse:
    """The officers' inbox; the page is public, its API calls are officer/leader/admin only."""
    return FileResponse(WEB_DIR / "officer.html", headers={"Cache-Control": "no-cache"})


@router.get("/ioc")
def ioc() -> FileResponse:
    """Leaders' operations screen (live map, KPIs, heatmaps); its API calls are staff only."""
    return FileResponse(WEB_DIR / "ioc.html", headers={"Cache-Control": "no-cache"})


@router.get("/stats")
def stats() -> FileResponse:
    """Public statistics: how fast and how well each agency handles citizens' reports."""
    return FileResponse(WEB_DIR / "stats.html", headers={"Cache-Control": "no-cache"})


@router.get("/admin")
def admin() -> FileResponse:
    """Administration of feedback categories, routing and holidays; its API writes are admin only."""
    return FileResponse(WEB_DIR / "admin.html", headers={"Cache-Control": "no-cache"})


def vendor_packages() -> dict[str, Path]:
    """The npm dependencies of web/package.json that are installed, served under /vendor.

    Only declared packages are exposed, not the whole node_modules tree.
    """
    manifest = WEB_DIR / "package.json"
    if not manifest.exists():
        return {}
    deps = json.loads(manifest.read_text(encoding="utf-8")).get("dependencies", {})
    found = {name: WEB_DIR / "node_modules" / name for name in deps}
    return {name: path for name, path in found.items() if path.is_dir()}
