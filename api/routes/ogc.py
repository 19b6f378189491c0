"""OGC API - Features (Part 1 Core/GeoJSON/HTML/OAS30, Part 3 queryables and CQL2 text)
under ``/ogc``, for the catalogue layers the caller may see.

Content is negotiated with ``f=json|html`` or the Accept header (JSON by default). The
standard wants 400 for unknown or invalid query parameters, where the rest of this API
answers 422: ``OGCRoute`` turns ``InvalidInput`` into 400 for these routes only.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from api.deps import PUBLIC, PrincipalDep, SessionDep
from api.errors import error_body
from api.routes.docs import swagger_page
from layers import catalog
from layers.errors import InvalidInput, NotFound
from layers.models import Layer
from layers.ogc import documents as docs
from layers.ogc import openapi, params, queries
from layers.ogc.fields import Schema

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "ogc"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)
_JSON_TYPES = frozenset({"application/json", "application/geo+json", "application/schema+json",
                         "application/vnd.oai.openapi+json", "*/*", "application/*"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


class OGCRoute(APIRoute):
    """Answers ``InvalidInput`` with 400, as OGC API - Features requires for query parameters."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except InvalidInput as exc:
                return JSONResponse(error_body(exc.message, exc.code, **exc.extra), status_code=400)

        return route


router = APIRouter(prefix="/ogc", tags=["OGC API - Features"], dependencies=[Depends(PUBLIC)],
                   route_class=OGCRoute)


# ---- request helpers ------------------------------------------------------------------

def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _pairs(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


def _role(principal: PrincipalDep) -> str | None:
    return principal.user.role if principal.user else None


def _lang(request: Request) -> str:
    first = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "vi"


def _format(request: Request, f: str | None) -> str:
    """``f`` wins; otherwise HTML only when the client prefers it to JSON (browsers do)."""
    if f:
        return f
    html_q = json_q = 0.0
    for part in request.headers.get("accept", "").split(","):
        media, *options = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.lower()
        if media in _HTML_TYPES:
            html_q = max(html_q, q)
        elif media in _JSON_TYPES:
            json_q = max(json_q, q)
    return "html" if html_q > json_q else "json"


def _headers(lang: str) -> dict[str, str]:
    return {"Vary": "Accept, Accept-Language", "Content-Language": lang}


def _json(content: Any, lang: str, media_type: str = docs.JSON) -> Response:
    return Response(orjson.dumps(content), media_type=media_type, headers=_headers(lang))


def _html(template: str, lang: str, **context: Any) -> HTMLResponse:
    page = _env.get_template(template).render(lang=lang, **context)
    return HTMLResponse(page, headers=_headers(lang))


def _collection_doc(session: Session, base: str, layer: Layer, lang: str) -> dict[str, Any]:
    bbox = queries.spatial_extents(session, [layer]).get(layer.id)
    return docs.collection(base, layer, lang, bbox, queries.temporal_extent(session, layer))


# ---- resources ------------------------------------------------------------------------

@router.get("", summary="Trang đầu OGC API / OGC API landing page")
def landing(request: Request) -> Response:
    fmt = _format(request, params.parse_simple(_pairs(request)))
    lang = _lang(request)
    doc = docs.landing(_base(request), lang)
    if fmt == "html":
        return _html("landing.html", lang, doc=doc, base=_base(request))
    return _json(doc, lang)


@router.get("/", include_in_schema=False)
def landing_slash(request: Request) -> Response:
    """OWSLib asks for the landing page with a trailing slash."""
    return landing(request)


@router.get("/conformance", summary="Lớp phù hợp / conformance classes")
def conformance(request: Request) -> Response:
    fmt = _format(request, params.parse_simple(_pairs(request)))
    lang = _lang(request)
    doc = docs.conformance(_base(request))
    if fmt == "html":
        return _html("conformance.html", lang, doc=doc, base=_base(request))
    return _json(doc, lang)


@router.get("/api", summary="Định nghĩa OpenAPI 3.0 của /ogc / OpenAPI 3.0 definition of /ogc")
def api_definition(request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    fmt = _format(request, params.parse_simple(_pairs(request)))
    lang = _lang(request)
    if fmt == "html":
        return swagger_page(request, f"{_base(request)}/api?f=json", "iocmap — OGC API - Features")
    layers = catalog.list_layers(session, _role(principal))
    return _json(openapi.openapi(_base(request), layers, lang), lang, docs.OPENAPI_JSON)


@router.get("/collections", summary="Các lớp dữ liệu / collections")
def collections(request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    fmt = _format(request, params.parse_simple(_pairs(request)))
    lang = _lang(request)
    base = _base(request)
    layers = catalog.list_layers(session, _role(principal))
    extents = queries.spatial_extents(session, layers)
    doc = docs.collections(base, [
        docs.collection(base, layer, lang, extents.get(layer.id), queries.temporal_extent(session, layer))
        for layer in layers
    ])
    if fmt == "html":
        return _html("collections.html", lang, doc=doc, base=base)
    return _json(doc, lang)


@router.get("/collections/{collection_id}", summary="Một lớp dữ liệu / one collection",
            responses={404: {"description": "unknown or not visible to you"}})
def collection(collection_id: str, request: Request, session: SessionDep,
               principal: PrincipalDep) -> Response:
    fmt = _format(request, params.parse_simple(_pairs(request)))
    lang = _lang(request)
    layer = catalog.get_layer(session, collection_id, _role(principal))
    doc = _collection_doc(session, _base(request), layer, lang)
    if fmt == "html":
        return _html("collection.html", lang, doc=doc, base=_base(request))
    return _json(doc, lang)


@router.get("/collections/{collection_id}/queryables",
            summary="Thuộc tính lọc được (JSON Schema) / queryables (JSON Schema)",
            responses={404: {"description": "unknown or not visible to you"}})
def queryables(collection_id: str, request: Request, session: SessionDep,
               principal: PrincipalDep) -> Response:
    fmt = _format(request, params.parse_simple(_pairs(request)))
    lang = _lang(request)
    layer = catalog.get_layer(session, collection_id, _role(principal))
    doc = docs.queryables(_base(request), layer, lang)
    if fmt == "html":
        return _html("queryables.html", lang, doc=doc, layer=layer, base=_base(request))
    return _json(doc, lang, docs.SCHEMA_JSON)


@router.get("/collections/{collection_id}/items",
            summary="Đối tượng của lớp / features of a collection",
            description="bbox, limit (1–10000, default 10), offset, datetime (layers with a time field), "
                        "`name=value` equality filters on the layer's attributes, and CQL2 text `filter`. "
                        "`numberMatched` is given only when it is free to know (unfiltered requests, "
                        "last pages).",
            responses={400: {"description": "unknown or invalid parameter"},
                       404: {"description": "unknown or not visible to you"}})
def items(collection_id: str, request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    layer = catalog.get_layer(session, collection_id, _role(principal))
    pairs = _pairs(request)
    query, f = params.parse_items(pairs, Schema.of(layer))
    fmt = _format(request, f)
    lang = _lang(request)
    page = queries.items_page(session, layer, query)
    links = docs.items_links(_base(request), layer, pairs, query, page)
    body = docs.items_body(page, links)
    if fmt == "html":
        doc = orjson.loads(body)
        return _html("items.html", lang, doc=doc, layer=layer, base=_base(request),
                     title=docs.title_of(layer, lang), query=query, columns=docs.columns(layer, doc, lang))
    return Response(body, media_type=docs.GEOJSON, headers=_headers(lang))


@router.get("/collections/{collection_id}/items/{feature_id}", summary="Một đối tượng / one feature",
            responses={404: {"description": "unknown feature, or collection not visible to you"}})
def item(collection_id: str, feature_id: str, request: Request, session: SessionDep,
         principal: PrincipalDep) -> Response:
    fmt = _format(request, params.parse_simple(_pairs(request)))
    lang = _lang(request)
    layer = catalog.get_layer(session, collection_id, _role(principal))
    found = None
    if feature_id.isascii() and feature_id.isdigit() and 0 < int(feature_id) < 2**63:
        found = queries.item_json(session, layer, int(feature_id))
    if found is None:
        raise NotFound(f"Không có đối tượng {feature_id} / no feature {feature_id}", code="feature_not_found")
    doc = docs.item(_base(request), layer, found)
    if fmt == "html":
        return _html("item.html", lang, doc=doc, layer=layer, base=_base(request),
                     title=docs.title_of(layer, lang), columns=docs.columns(layer, {"features": [doc]}, lang))
    return _json(doc, lang, docs.GEOJSON)
