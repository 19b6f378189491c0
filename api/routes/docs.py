"""Swagger UI at ``/docs`` from the npm package served under ``/vendor`` (no CDN).

FastAPI's built-in ``/docs`` loads swagger-ui from jsDelivr, which an intranet without
Internet cannot reach; the app is created with ``docs_url=None`` and this router serves
the same page with local assets (``swagger-ui-dist`` in web/package.json). ReDoc is not
offered: it would need a second npm package for a second view of the same document.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from api.deps import PUBLIC

SWAGGER_DIR = "/vendor/swagger-ui-dist"
SWAGGER_JS = f"{SWAGGER_DIR}/swagger-ui-bundle.js"
SWAGGER_CSS = f"{SWAGGER_DIR}/swagger-ui.css"
FAVICON = "/static/img/favicon.svg"
DOCS_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False, dependencies=[Depends(PUBLIC)])


def swagger_page(request: Request, openapi_url: str, title: str,
                 oauth2_redirect_url: str | None = None) -> HTMLResponse:
    """Swagger UI for ``openapi_url`` using only same-origin assets (also used by ``/ogc/api``).

    Absolute paths get the ASGI ``root_path`` in front, as FastAPI's own page does.
    """
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return get_swagger_ui_html(
        openapi_url=openapi_url if "://" in openapi_url else root + openapi_url,
        title=title, oauth2_redirect_url=oauth2_redirect_url and root + oauth2_redirect_url,
        swagger_js_url=root + SWAGGER_JS, swagger_css_url=root + SWAGGER_CSS,
        swagger_favicon_url=root + FAVICON,
        # no badge fetched from validator.swagger.io (and the spec is not sent there)
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(DOCS_PATH)
def swagger_ui(request: Request) -> HTMLResponse:
    """The interactive documentation of the whole API (``/openapi.json``)."""
    app = request.app
    return swagger_page(request, app.openapi_url, f"{app.title} — Swagger UI", OAUTH2_REDIRECT_PATH)


@router.get(OAUTH2_REDIRECT_PATH)
def swagger_ui_redirect() -> HTMLResponse:
    """Swagger UI's OAuth2 redirect target (inline script only, no external asset)."""
    return get_swagger_ui_oauth2_redirect_html()
