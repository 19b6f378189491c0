"""Steps on the web map shared by the browser tests (the page's stable hooks, in one place)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

READY = "body[data-ready='1']"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass
class PageLog:
    """What one page did: console errors, uncaught exceptions, requests made."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def external_requests(self) -> list[str]:
        return [u for u in self.requests
                if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                and urlsplit(u).hostname not in LOCAL_HOSTS]


def open_map(page: Page, base_url: str) -> None:
    """Load the page and wait until the default layers have drawn."""
    page.goto(f"{base_url}/")
    page.wait_for_selector(READY, state="attached")


def commune_paths(page: Page, layer: str = "communes"):
    return page.locator(f"#map path.commune.layer-{layer}")


def click_commune(page: Page, code: str, layer: str = "communes") -> None:
    """Click a commune's polygon at its label point (PostGIS point on surface).

    The centre of a concave polygon's bounding box may lie in a neighbour; the label
    point is inside by construction. Playwright still checks that the click lands on
    this very path.
    """
    path = page.locator(f"#map path.layer-{layer}.commune-{code}")
    label = page.locator(f"#map .label-{layer} .map-label-text[data-code='{code}']")
    box, at = path.bounding_box(), label.bounding_box()
    assert box is not None and at is not None, f"commune {code} of {layer} is not drawn"
    path.click(position={"x": at["x"] + at["width"] / 2 - box["x"],
                         "y": at["y"] + at["height"] / 2 - box["y"]})


def login(page: Page, username: str, password: str) -> None:
    """Fill and send the sign-in form (opening it from the header first)."""
    page.click("#login-toggle")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")


def expect_anonymous(page: Page) -> None:
    expect(page.locator("#login-toggle")).to_be_visible()
    expect(page.locator("#user-badge")).to_be_hidden()
    expect(page.locator("#logout-button")).to_be_hidden()
    expect(page.locator("body")).to_have_attribute("data-role", "anonymous")


# ---- the planner page (/planner) ------------------------------------------------------------

PLANNER_READY = "body[data-ready='1'][data-access='granted']"


def open_planner(page: Page, base_url: str, username: str, password: str, slug: str | None = None) -> None:
    """Open /planner (optionally on one layer), sign in from its header, wait for the list."""
    page.goto(f"{base_url}/planner" + (f"#layer={slug}" if slug else ""))
    page.wait_for_selector("body[data-ready='1']", state="attached")
    if page.locator("body[data-access='granted']").count() == 0:
        login(page, username, password)
    page.wait_for_selector(PLANNER_READY, state="attached")


def drop_file(page: Page, selector: str, name: str, data: bytes, mime: str = "application/octet-stream") -> None:
    """Drop a file on an element as a user dragging it from the desktop would."""
    transfer = page.evaluate_handle(
        """([name, bytes, mime]) => {
            const dt = new DataTransfer();
            dt.items.add(new File([new Uint8Array(bytes)], name, { type: mime }));
            return dt;
        }""",
        [name, list(data), mime],
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def computed_fill(page: Page, selector: str) -> str:
    """The fill colour the browser paints for the first element matching ``selector``."""
    return str(page.eval_on_selector(selector, "el => getComputedStyle(el).fill"))
