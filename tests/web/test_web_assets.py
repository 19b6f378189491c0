"""The web map's files: Leaflet from npm (pinned, served under /vendor), nothing from a CDN,
no data ever parsed as HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

WEB = Path(__file__).resolve().parents[2] / "web"
JS = sorted((WEB / "static" / "js").glob("*.js"))
MODULES = {"api", "auth", "i18n", "info", "layers", "main", "map",
           # the planner page and what it shares with the map
           "confirm", "dom", "layer-form", "layer-view", "planner", "planner-map", "popup", "style-editor",
           "styles", "upload", "versions"}
PAGES = sorted(WEB.glob("*.html"))
CSS = sorted((WEB / "static" / "css").glob("*.css"))
# A namespace name, never fetched: SVG elements made with createElementNS.
SVG_NS = "http://www.w3.org/2000/svg"


def test_leaflet_and_its_plugins_are_exactly_pinned_npm_dependencies_with_a_lockfile() -> None:
    manifest = json.loads((WEB / "package.json").read_text(encoding="utf-8"))
    assert manifest["private"] is True
    deps = manifest["dependencies"]
    assert deps["leaflet"] == "1.9.4"
    assert deps["leaflet.vectorgrid"] == "1.3.0"  # vector tiles of large layers
    lock = json.loads((WEB / "package-lock.json").read_text(encoding="utf-8"))
    for name, version in deps.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned exactly: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    assert (WEB / "node_modules" / "leaflet" / "dist" / "leaflet.js").is_file(), (
        "web/node_modules is missing: run `npm ci` in web/ (make setup does it)"
    )
    assert (WEB / "node_modules" / "leaflet.vectorgrid" / "dist" / "Leaflet.VectorGrid.bundled.min.js").is_file()


def test_the_app_serves_the_page_leaflet_and_the_static_files(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as c:
        for page_path in ("/", "/planner"):
            page = c.get(page_path)
            assert page.status_code == 200 and "text/html" in page.headers["content-type"], page_path
        for path in ("/vendor/leaflet/dist/leaflet.js", "/vendor/leaflet/dist/leaflet.css",
                     "/vendor/leaflet/dist/leaflet-src.esm.js", "/vendor/leaflet/dist/images/layers.png",
                     "/vendor/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
                     "/static/css/app.css", "/static/css/planner.css", "/static/img/favicon.svg",
                     *(f"/static/js/{m}.js" for m in sorted(MODULES))):
            assert c.get(path).status_code == 200, path
        assert c.get("/vendor/leaflet/package.json").json()["version"] == "1.9.4"


def test_one_module_per_concern_exists_and_every_module_is_used_by_a_page() -> None:
    assert {p.stem for p in JS} >= MODULES
    # every script is reachable from a page's entry module: no dead or forgotten file
    reached: set[str] = set()
    todo = [m for page in PAGES
            for m in re.findall(r'<script type="module" src="/static/js/([\w-]+)\.js"', page.read_text(encoding="utf-8"))]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        text = (WEB / "static" / "js" / f"{name}.js").read_text(encoding="utf-8")
        todo += re.findall(r'from\s+"\./([\w-]+)\.js"', text) + re.findall(r'import\("\./([\w-]+)\.js"\)', text)
    assert {p.stem for p in JS} - reached == set()


def test_no_page_file_loads_anything_from_another_host() -> None:
    for page in PAGES:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), page.name
    for sheet in CSS:
        css = sheet.read_text(encoding="utf-8")
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css), sheet.name
        assert "@import" not in css, sheet.name
    for path in JS:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bimport\b[^;]*from\s+[\"'](https?:)?//", text), path.name
        assert not re.search(r"unpkg|jsdelivr|cdnjs|googleapis", text), path.name
    # the only external URL is the optional OpenStreetMap tile template, in map.js (the SVG
    # namespace name is not a URL that is fetched)
    hosts = {(p.name, h) for p in JS
             for h in re.findall(r"https?://([^/\"'{]+)", p.read_text(encoding="utf-8").replace(SVG_NS, ""))}
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
    for path in [*(p for p in JS if p.name != "i18n.js"), *PAGES]:
        body = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\("([a-z0-9_.]+)"', body))
        used |= set(re.findall(r'data-i18n(?:-[a-z-]+)?="([a-z0-9_.]+)"', body))
        used |= set(re.findall(r'data-title-key="([a-z0-9_.]+)"', body))
    assert used - vi_keys == set()
    # keys built from data values (t(`group.${group}`) …): every value the page can meet
    built = {
        "group": ("infrastructure", "incidents", "feedback", "boundaries", "planning", "other"),
        "type": ("string", "integer", "number", "boolean", "datetime", "json"),
        "geometry": ("point", "multipoint", "linestring", "multilinestring", "polygon", "multipolygon"),
        "source": ("file", "stated", "detected", "cpg", "format"),
        "visibility": ("public", "internal", "short_public", "short_internal"),
        "family": ("point", "line", "polygon"),
        "shape": ("circle", "square", "triangle", "diamond"),
        "method": ("equal", "quantile"),
        "palette": ("bold", "tableau", "pastel"),
        "ramp": ("blues", "greens", "reds", "oranges", "purples", "heat", "viridis"),
        "role": ("admin", "leader", "planner", "officer", "citizen"),
    }
    assert {f"{k}.{v}" for k, vs in built.items() for v in vs} - vi_keys == set()
