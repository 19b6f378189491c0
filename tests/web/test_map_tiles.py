"""A large point layer on the main map (/): drawn from vector tiles, thinned into counted
clusters at low zoom, every real point with its popup at the layer's full-detail zoom.

What the page draws is checked against the very tiles it received (decoded here with
mapbox-vector-tile): every cluster of those tiles is on the map, their counts add up to
the layer, and the popups show what the tiles carry.
"""

from __future__ import annotations

import json
import re
from typing import Any

import mapbox_vector_tile
from playwright.sync_api import Page, Route, expect

from tests.web.conftest import LayerApi
from tests.web.mapui import PageLog, open_map

ORIGIN = (107.600, 12.420)  # south-west corner of the grid, in Đắk Mil town's west
STEP = 0.0005  # degrees between wells (~54 m): 12 px apart at zoom 15, no circle covers another's centre
COLS, ROWS = 65, 80
N = COLS * ROWS  # 5,200 > the 5,000 features drawn as GeoJSON
KINDS = ["Giếng khoan", "Giếng đào", "Bể chứa"]
MAX_ZOOM = 15  # the layer's max zoom: its full-detail zoom, below which points are thinned
CENTRE = (ORIGIN[0] + STEP * (COLS - 1) / 2, ORIGIN[1] + STEP * (ROWS - 1) / 2)


def wells() -> bytes:
    features = []
    for i in range(N):
        lon, lat = ORIGIN[0] + STEP * (i % COLS), ORIGIN[1] + STEP * (i // COLS)
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": {"ten": f"Giếng {i + 1}", "loai": KINDS[i % 3], "sau_m": 20 + i % 40}})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def zoom_of(url: str, slug: str) -> int:
    m = re.search(rf"/tiles/{re.escape(slug)}/(\d+)/\d+/\d+\.mvt", url)
    assert m, url
    return int(m.group(1))


class TileTap:
    """Passes the layer's tile requests through to the server and keeps what came back
    (Chromium does not always keep the bodies of fetch() responses for ``Response.body``)."""

    def __init__(self, page: Page, slug: str) -> None:
        self.slug = slug
        self.received: dict[str, tuple[int, bytes]] = {}
        page.route(f"**/tiles/{slug}/**", self._pass)

    def _pass(self, route: Route) -> None:
        response = route.fetch()
        self.received[route.request.url] = (response.status, response.body())
        route.fulfill(response=response)

    def decoded(self, z: int) -> list[dict[str, Any]]:
        """The tiles of zoom ``z`` the page received (one per URL), decoded."""
        out = []
        for url, (status, body) in self.received.items():
            if zoom_of(url, self.slug) != z:
                continue
            assert status in (200, 204), (url, status)
            assert "detail=full" not in url  # the map asks for product tiles
            out.append(mapbox_vector_tile.decode(body) if body else {})
        assert out, f"no tile of zoom {z} was asked for"
        return out


def click_uncovered(page: Page, selector: str, prefer: int = 0) -> None:
    """Click the first path (from index ``prefer`` on) whose centre is not covered by another."""
    index = page.evaluate("""([sel, from]) => {
        const els = [...document.querySelectorAll(sel)];
        const free = (e) => { const r = e.getBoundingClientRect();
            return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === e; };
        const i = els.slice(from).findIndex(free);
        return i >= 0 ? i + from : els.findIndex(free);
    }""", [selector, prefer])
    assert index >= 0, f"every {selector} is covered"
    page.locator(selector).nth(index).click()


def test_a_large_point_layer_is_drawn_as_counted_clusters_at_low_zoom_and_points_with_popups_at_its_max_zoom(
    page: Page, page_log: PageLog, live_server: str, layer_api: LayerApi
) -> None:
    slug = LayerApi.new_slug()
    layer_api.create(slug, title_vi="Giếng nước", title_en="Wells", visibility="public", default_on=True,
                     max_zoom=MAX_ZOOM)
    layer_api.upload(slug, "gieng.geojson", wells())
    tap = TileTap(page, slug)
    clusters = f"#map path.layer-{slug}.cluster"
    points = f"#map path.layer-{slug}:not(.cluster)"

    # zoom 13: 32-pixel cells of ~600 m, so the 3.2 x 4 km grid is ~40 counted clusters
    open_map(page, live_server)
    page.evaluate(f"window.iocmap.map.setView([{CENTRE[1]}, {CENTRE[0]}], 13, {{animate: false}})")
    page.wait_for_function(f"document.querySelectorAll('{clusters}').length > 10", polling=200, timeout=30_000)
    page.wait_for_load_state("networkidle")
    tiles = tap.decoded(13)
    cells = [f["properties"]["count"] for t in tiles for f in t.get("clusters", {}).get("features", [])]
    singles = [f for t in tiles for f in t.get(slug, {}).get("features", [])]
    assert sum(cells) + len(singles) == N  # the tiles in view hold every well, counted once
    assert all(c > 1 for c in cells) and len(cells) > 10
    # the page draws every cluster (and single point) of those tiles, and nothing of other zooms
    page.wait_for_function(
        f"document.querySelectorAll('{clusters}').length === {len(cells)} "
        f"&& document.querySelectorAll('{points}').length === {len(singles)}", polling=200, timeout=20_000)
    radii = page.eval_on_selector_all(clusters, "els => els.map(e => e.getBBox().width)")
    assert max(radii) > min(radii) or len(set(cells)) == 1  # bigger clusters are drawn bigger
    click_uncovered(page, clusters)
    title = page.locator(".leaflet-popup .popup .popup-title")
    expect(title).to_have_text(re.compile(r"^[\d.]+ đối tượng$"))
    shown = int(title.inner_text().split()[0].replace(".", ""))
    assert shown in cells
    expect(page.locator(".leaflet-popup .popup")).to_contain_text("Phóng to để xem từng đối tượng.")
    page.keyboard.press("Escape")

    # zoom 15, the layer's max zoom: the real wells, no cluster, each with its popup
    page.evaluate(f"window.iocmap.map.setView([{CENTRE[1]}, {CENTRE[0]}], {MAX_ZOOM}, {{animate: false}})")
    page.wait_for_function(f"document.querySelectorAll('{points}').length > 500", polling=200, timeout=30_000)
    page.wait_for_load_state("networkidle")
    expect(page.locator(clusters)).to_have_count(0)
    tiles = tap.decoded(MAX_ZOOM)
    assert all(set(t) <= {slug} for t in tiles)  # no clusters layer at the full-detail zoom
    real = {f["properties"]["ten"]: f["properties"] for t in tiles for f in t.get(slug, {}).get("features", [])}
    assert len(real) > 500
    click_uncovered(page, points, prefer=len(real) // 3)
    popup = page.locator(".leaflet-popup .popup")
    expect(popup.locator(".popup-title")).to_have_text(re.compile(r"^Giếng \d+$"))
    name = popup.locator(".popup-title").inner_text()
    i = int(name.split()[1]) - 1
    assert real[name] == {"ten": name, "loai": KINDS[i % 3], "sau_m": 20 + i % 40}
    expect(popup.locator("dd[data-field='loai']")).to_have_text(KINDS[i % 3])
    expect(popup.locator("dd[data-field='sau_m']")).to_have_text(str(20 + i % 40))

    assert not any(f"/api/v1/layers/{slug}/features" in u for u in page_log.requests)  # never GeoJSON
    assert page_log.page_errors == []
    assert page_log.console_errors == []
