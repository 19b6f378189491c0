"""The HTML documentation pages (/docs, /ogc/...) load nothing from another host, so they work
on an intranet without Internet; their assets are the npm packages served under /vendor."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

ORIGIN = "http://testserver"
# Pages of the OGC API rendered as HTML; `communes` is a default (public) layer.
OGC_PAGES = ("/ogc?f=html", "/ogc/conformance?f=html", "/ogc/api?f=html", "/ogc/collections?f=html",
             "/ogc/collections/communes?f=html", "/ogc/collections/communes/queryables?f=html",
             "/ogc/collections/communes/items?f=html&limit=3", "/ogc/collections/communes/items/1?f=html")


class _Loads(HTMLParser):
    """Collects the URLs a browser fetches on its own while rendering (not the <a> links)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and a.get("src"):
            self.urls.append(a["src"])
        if tag == "link" and a.get("href"):
            self.urls.append(a["href"])  # stylesheet, icon, preload, manifest: all fetched
        if tag == "object" and a.get("data"):
            self.urls.append(a["data"])
        self._in_script = tag == "script" and not a.get("src")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_scripts.append(data)


def loads_of(html: str) -> _Loads:
    parser = _Loads()
    parser.feed(html)
    return parser


def off_origin(urls: list[str], page: str) -> list[str]:
    return [u for u in urls if urlsplit(urljoin(ORIGIN + page, u)).netloc != urlsplit(ORIGIN).netloc]


def test_the_parser_sees_a_cdn_script_a_stylesheet_and_an_icon():
    """Guards the guard: the checks below would pass vacuously if nothing were collected."""
    html = ('<link rel="stylesheet" href="https://cdn.jsdelivr.net/x.css"><link rel="icon" href="/f.svg">'
            '<script src="//unpkg.com/y.js"></script><a href="https://example.org/">ok</a>')
    urls = loads_of(html).urls
    assert urls == ["https://cdn.jsdelivr.net/x.css", "/f.svg", "//unpkg.com/y.js"]
    assert off_origin(urls, "/docs") == ["https://cdn.jsdelivr.net/x.css", "//unpkg.com/y.js"]


def test_docs_loads_swagger_ui_from_the_npm_package_not_a_cdn(client):
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = loads_of(r.text)
    assert set(page.urls) == {"/vendor/swagger-ui-dist/swagger-ui-bundle.js",
                              "/vendor/swagger-ui-dist/swagger-ui.css", "/static/img/favicon.svg"}
    assert "cdn." not in r.text and "unpkg" not in r.text and "fastapi.tiangolo.com" not in r.text
    script = "".join(page.inline_scripts)
    assert "url: '/openapi.json'" in script
    assert "'/docs/oauth2-redirect'" in script
    assert '"validatorUrl": null' in script  # no badge from validator.swagger.io


def test_the_swagger_assets_the_docs_page_names_are_served(client):
    for url in loads_of(client.get("/docs").text).urls:
        r = client.get(url)
        assert r.status_code == 200, url
        assert len(r.content) > 100, url
    assert client.get("/vendor/swagger-ui-dist/package.json").json()["version"] == "5.35.0"


def test_oauth2_redirect_page_is_served_without_external_assets(client):
    r = client.get("/docs/oauth2-redirect")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "oauth2" in r.text.lower()
    assert loads_of(r.text).urls == []
    assert "http://" not in r.text and "https://" not in r.text


def test_redoc_is_not_offered(client):
    assert client.get("/redoc").status_code == 404


def test_docs_pages_are_not_operations_of_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/docs" not in paths and "/docs/oauth2-redirect" not in paths


@pytest.mark.parametrize("path", OGC_PAGES)
def test_ogc_html_pages_load_nothing_from_another_host(client, path):
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    page = loads_of(r.text)
    assert "/static/img/favicon.svg" in page.urls  # the parser did look at this page
    assert off_origin(page.urls, path) == []


@pytest.mark.parametrize("path", ["/ogc/collections/communes/items?f=html&limit=3",
                                  "/ogc/collections/communes/items/1?f=html"])
def test_ogc_feature_pages_draw_with_leaflet_from_vendor(client, path):
    urls = loads_of(client.get(path).text).urls
    assert "/vendor/leaflet/dist/leaflet.js" in urls
    assert "/vendor/leaflet/dist/leaflet.css" in urls


def test_ogc_swagger_page_uses_the_local_assets_and_the_ogc_definition(client):
    r = client.get("/ogc/api", params={"f": "html"})
    page = loads_of(r.text)
    assert "/vendor/swagger-ui-dist/swagger-ui-bundle.js" in page.urls
    assert f"url: '{ORIGIN}/ogc/api?f=json'" in "".join(page.inline_scripts)
