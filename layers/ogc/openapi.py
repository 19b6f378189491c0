"""The OpenAPI 3.0 definition of ``/ogc`` (the landing page's ``service-desc``).

It is built per request from the collections the caller may see, with one path per
collection: GDAL reads ``/collections/{id}/items`` there to learn the ``limit`` maximum
and which properties it may filter on server side.
"""

from __future__ import annotations

from typing import Any

from layers.models import Layer
from layers.ogc import documents as d
from layers.ogc.fields import Schema
from layers.ogc.params import CRS84, DEFAULT_LIMIT, FILTER_LANGS, ITEMS_PARAMS, MAX_LIMIT

_REF = "#/components"
_PARAM_TYPES = {"integer": {"type": "integer"}, "number": {"type": "number"},
                "boolean": {"type": "boolean"}, "datetime": {"type": "string", "format": "date-time"}}


def _p(name: str) -> dict[str, str]:
    return {"$ref": f"{_REF}/parameters/{name}"}


def _r(name: str) -> dict[str, str]:
    return {"$ref": f"{_REF}/responses/{name}"}


def _json_response(description: str, schema: str, media: str = d.JSON) -> dict[str, Any]:
    return {"description": description, "content": {
        media: {"schema": {"$ref": f"{_REF}/schemas/{schema}"}},
        d.HTML: {"schema": {"type": "string"}},
    }}


def _get(operation_id: str, summary: str, parameters: list[dict[str, Any]], ok: str,
         tags: list[str], not_found: bool = False) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": _r(ok), "400": _r("InvalidParameter"), "500": _r("ServerError")}
    if not_found:
        responses["404"] = _r("NotFound")
    return {"get": {"operationId": operation_id, "summary": summary, "tags": tags,
                    "parameters": parameters, "responses": responses}}


def _collection_paths(layer: Layer) -> dict[str, Any]:
    slug = layer.slug
    schema = Schema.of(layer)
    tags = [slug]
    item_params: list[dict[str, Any]] = [_p("f"), _p("bbox"), _p("limit"), _p("offset")]
    if schema.time_field:
        item_params.append(_p("datetime"))
    item_params += [_p("filter"), _p("filter-lang"), _p("filter-crs")]
    for field in schema.fields.values():
        if field.name in ITEMS_PARAMS:
            continue
        param: dict[str, Any] = {
            "name": field.name, "in": "query", "required": False, "style": "form", "explode": False,
            "description": f"{field.title} — lọc bằng giá trị / equality filter",
            "schema": _PARAM_TYPES.get(field.type, {"type": "string"}),
        }
        item_params.append(param)
    base = f"/collections/{slug}"
    return {
        base: _get(f"describeCollection_{slug}", f"{layer.title_vi} — mô tả / metadata",
                   [_p("f")], "Collection", tags, True),
        f"{base}/items": _get(f"getFeatures_{slug}", f"{layer.title_vi} — đối tượng / features",
                              item_params, "Features", tags, True),
        f"{base}/items/{{featureId}}": _get(f"getFeature_{slug}", f"{layer.title_vi} — một đối tượng / "
                                            "one feature", [_p("featureId"), _p("f")], "Feature", tags,
                                            True),
        f"{base}/queryables": _get(f"getQueryables_{slug}", f"{layer.title_vi} — thuộc tính lọc / queryables",
                                   [_p("f")], "Queryables", tags, True),
    }


def openapi(base: str, layers: list[Layer], lang: str) -> dict[str, Any]:
    landing = d.landing(base, lang)
    paths: dict[str, Any] = {
        "/": _get("getLandingPage", "Trang đầu / landing page", [_p("f")], "LandingPage", ["capabilities"]),
        "/conformance": _get("getConformanceDeclaration", "Lớp phù hợp / conformance classes", [_p("f")],
                             "ConformanceDeclaration", ["capabilities"]),
        "/collections": _get("getCollections", "Các lớp dữ liệu / collections", [_p("f")], "Collections",
                             ["capabilities"]),
        "/api": _get("getAPIDefinition", "Định nghĩa API / this document", [_p("f")], "API",
                     ["capabilities"]),
    }
    for layer in layers:
        paths.update(_collection_paths(layer))
    return {
        "openapi": "3.0.3",
        "info": {"title": landing["title"], "version": "1.0.0", "description": landing["description"],
                 "license": {"name": "AGPL-3.0-or-later (code); data: see each collection"}},
        "servers": [{"url": base}],
        "tags": [{"name": "capabilities"}] + [{"name": layer.slug, "description": layer.title_vi}
                                              for layer in layers],
        "paths": paths,
        "components": {"parameters": _parameters(), "schemas": _schemas(), "responses": _responses()},
    }


def _parameters() -> dict[str, Any]:
    def query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "description": description,
                "schema": schema, "style": "form", "explode": False, **extra}

    return {
        "f": query("f", "Định dạng trả về / output format", {"type": "string", "enum": ["json", "html"]}),
        "bbox": query("bbox", "minx,miny,maxx,maxy (CRS84, kinh độ/vĩ độ / longitude/latitude)",
                      {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}),
        "limit": query("limit", "Số đối tượng tối đa mỗi trang / page size",
                       {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
        "offset": query("offset", "Bỏ qua bao nhiêu đối tượng / features to skip",
                        {"type": "integer", "minimum": 0, "default": 0}),
        "datetime": query("datetime", "Thời điểm hoặc khoảng (RFC 3339, '..' để mở) / instant or "
                          "interval (RFC 3339, '..' for open ends)", {"type": "string"}),
        "filter": query("filter", "Bộ lọc CQL2 text / CQL2 text filter", {"type": "string"}),
        # "cql-text" is the draft name; listing it makes GDAL send whole filters as CQL.
        "filter-lang": query("filter-lang", "Ngôn ngữ bộ lọc / filter language",
                             {"type": "string", "enum": list(FILTER_LANGS), "default": "cql2-text"}),
        "filter-crs": query("filter-crs", "CRS của hình học trong bộ lọc / CRS of filter geometries",
                            {"type": "string", "enum": [CRS84], "default": CRS84}),
        "featureId": {"name": "featureId", "in": "path", "required": True,
                      "description": "Mã đối tượng / feature id",
                      "schema": {"type": "integer", "minimum": 1}},
    }


def _schemas() -> dict[str, Any]:
    link = {"type": "object", "required": ["href"], "properties": {
        "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
        "title": {"type": "string"}}}
    links = {"type": "array", "items": {"$ref": f"{_REF}/schemas/link"}}
    geometry = {"type": "object", "nullable": True, "required": ["type"], "properties": {
        "type": {"type": "string"}, "coordinates": {"type": "array", "items": {}},
        "geometries": {"type": "array", "items": {"type": "object"}}}}
    feature = {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
        "type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "integer"},
        "geometry": {"$ref": f"{_REF}/schemas/geometryGeoJSON"},
        "properties": {"type": "object", "nullable": True}, "links": links}}
    return {
        "link": link,
        "exception": {"type": "object", "required": ["code"], "properties": {
            "code": {"type": "string"}, "detail": {"type": "string"}}},
        "landingPage": {"type": "object", "required": ["links"], "properties": {
            "title": {"type": "string"}, "description": {"type": "string"}, "links": links}},
        "confClasses": {"type": "object", "required": ["conformsTo"], "properties": {
            "conformsTo": {"type": "array", "items": {"type": "string"}}}},
        "extent": {"type": "object", "properties": {
            "spatial": {"type": "object", "properties": {
                "bbox": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
                "crs": {"type": "string"}}},
            "temporal": {"type": "object", "properties": {
                "interval": {"type": "array", "items": {"type": "array", "items": {
                    "type": "string", "format": "date-time", "nullable": True}}},
                "trs": {"type": "string"}}}}},
        "collection": {"type": "object", "required": ["id", "links"], "properties": {
            "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
            "links": links, "extent": {"$ref": f"{_REF}/schemas/extent"},
            "itemType": {"type": "string"}, "crs": {"type": "array", "items": {"type": "string"}}}},
        "collections": {"type": "object", "required": ["links", "collections"], "properties": {
            "links": links,
            "collections": {"type": "array", "items": {"$ref": f"{_REF}/schemas/collection"}}}},
        "geometryGeoJSON": geometry,
        "featureGeoJSON": feature,
        "featureCollectionGeoJSON": {"type": "object", "required": ["type", "features"], "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": f"{_REF}/schemas/featureGeoJSON"}},
            "links": links, "timeStamp": {"type": "string", "format": "date-time"},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0}}},
        "queryables": {"type": "object", "properties": {
            "$schema": {"type": "string"}, "$id": {"type": "string"}, "type": {"type": "string"},
            "properties": {"type": "object"}}},
    }


def _responses() -> dict[str, Any]:
    error = {"content": {d.JSON: {"schema": {"$ref": f"{_REF}/schemas/exception"}}}}
    return {
        "LandingPage": _json_response("Trang đầu / landing page", "landingPage"),
        "ConformanceDeclaration": _json_response("Lớp phù hợp / conformance classes", "confClasses"),
        "Collections": _json_response("Các lớp dữ liệu / collections", "collections"),
        "Collection": _json_response("Một lớp dữ liệu / one collection", "collection"),
        "Features": _json_response("Một trang đối tượng / a page of features", "featureCollectionGeoJSON",
                                   d.GEOJSON),
        "Feature": _json_response("Một đối tượng / one feature", "featureGeoJSON", d.GEOJSON),
        "Queryables": _json_response("Thuộc tính lọc được / queryables", "queryables", d.SCHEMA_JSON),
        "API": {"description": "OpenAPI 3.0", "content": {
            d.OPENAPI_JSON: {"schema": {"type": "object"}}, d.HTML: {"schema": {"type": "string"}}}},
        "InvalidParameter": {"description": "Tham số sai hoặc không biết / invalid or unknown parameter",
                             **error},
        "NotFound": {"description": "Không có / not found (or not visible to you)", **error},
        "ServerError": {"description": "Lỗi máy chủ / server error", **error},
    }
