"""The web map's files: Leaflet from npm (pinned, served under /vendor), nothing from a CDN,
no data ever parsed as HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

WEB = Path(__file__).resolve().parents[2] / "web"
JS = sorted((WEB / "static" / "js").glob("*.js"))
MODULES = {"api", "auth", "i18n", "info", "layers", "main", "map"}


def test_leaflet_is_an_exactly_pinned_npm_dependency_with_a_lockfile() -> None:
    manifest = json.loads((WEB / "package.json").read_text(encoding="utf-8"))
    assert manifest["private"] is True
    assert manifest["dependencies"] == {"leaflet": "1.9.4"}
    lock = json.loads((WEB / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/leaflet"]["version"] == "1.9.4"
    assert (WEB / "node_modules" / "leaflet" / "dist" / "leaflet.js").is_file(), (
        "web/node_modules is missing: run `npm ci` in web/ (make setup does it)"
    )


def test_the_app_serves_the_page_leaflet_and_the_static_files(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as c:
        page = c.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        for path in ("/vendor/leaflet/dist/leaflet.js", "/vendor/leaflet/dist/leaflet.css",
                     "/vendor/leaflet/dist/leaflet-src.esm.js", "/vendor/leaflet/dist/images/layers.png",
                     "/static/css/app.css", "/static/img/favicon.svg",
                     *(f"/static/js/{m}.js" for m in sorted(MODULES))):
            assert c.get(path).status_code == 200, path
        assert c.get("/vendor/leaflet/package.json").json()["version"] == "1.9.4"


def test_one_module_per_concern_exists() -> None:
    assert {p.stem for p in JS} == MODULES


def test_no_page_file_loads_anything_from_another_host() -> None:
    html = (WEB / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    css = (WEB / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)
    assert "@import" not in css
    for path in JS:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bimport\b[^;]*from\s+[\"'](https?:)?//", text), path.name
        assert not re.search(r"unpkg|jsdelivr|cdnjs|googleapis", text), path.name
    # the only external URL is the optional OpenStreetMap tile template, in map.js
    hosts = {(p.name, h) for p in JS for h in re.findall(r"https?://([^/\"'{]+)", p.read_text(encoding="utf-8"))}
    assert hosts == {("map.js", "tile.openstreetmap.org")}


def test_no_script_puts_text_into_the_page_as_html() -> None:
    for path in JS:
        text = path.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "bindPopup("):
            assert sink not in text, f"{path.name} uses {sink}"


def test_only_map_js_converts_between_lon_lat_and_leaflet_lat_lng() -> None:
    for path in JS:
        if path.name == "map.js":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"latLng\(|LatLng\(|\blatlng\b", text, re.IGNORECASE), path.name
        assert 'from "leaflet"' not in text, f"{path.name} imports Leaflet directly"


def test_every_translation_key_exists_in_both_languages() -> None:
    text = (WEB / "static" / "js" / "i18n.js").read_text(encoding="utf-8")
    vi = text[text.index("  vi: {"):text.index("  en: {")]
    en = text[text.index("  en: {"):text.index("const LOCALES")]
    key = re.compile(r'^\s+"([a-z0-9_.]+|unit\.[^"]+)":', re.MULTILINE)
    vi_keys, en_keys = set(key.findall(vi)), set(key.findall(en))
    assert vi_keys == en_keys
    used = set()
    for path in [*(p for p in JS if p.name != "i18n.js"), WEB / "index.html"]:
        body = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\("([a-z0-9_.]+)"', body))
        used |= set(re.findall(r'data-i18n(?:-[a-z-]+)?="([a-z0-9_.]+)"', body))
    assert used - vi_keys == set()
