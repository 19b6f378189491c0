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
