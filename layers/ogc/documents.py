"""The JSON documents of OGC API - Features: landing page, conformance, collections,
queryables and the envelope of feature pages, with their links.

Links are absolute (built from the request's base URL) so that clients following them
(GDAL, OWSLib, QGIS) never have to resolve relative references.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from layers.models import Layer
from layers.ogc.fields import Schema
from layers.ogc.params import CRS84, ItemsQuery
from layers.ogc.queries import ItemsPage

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
SCHEMA_JSON = "application/schema+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
REL_CONFORMANCE = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
REL_DATA = "http://www.opengis.net/def/rel/ogc/1.0/data"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

_F1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf"
_F3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf"
_CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf"
CONFORMANCE = [
    f"{_F1}/core", f"{_F1}/geojson", f"{_F1}/html", f"{_F1}/oas30",
    f"{_F3}/queryables", f"{_F3}/queryables-query-parameters", f"{_F3}/filter", f"{_F3}/features-filter",
    f"{_CQL2}/cql2-text", f"{_CQL2}/basic-cql2", f"{_CQL2}/advanced-comparison-operators",
    f"{_CQL2}/case-insensitive-comparison", f"{_CQL2}/basic-spatial-functions",
    f"{_CQL2}/basic-spatial-functions-plus", f"{_CQL2}/spatial-functions", f"{_CQL2}/property-property",
]

_GEOMETRY_FORMATS = {
    "point": "geometry-point", "multipoint": "geometry-multipoint",
    "linestring": "geometry-linestring", "multilinestring": "geometry-multilinestring",
    "polygon": "geometry-polygon", "multipolygon": "geometry-multipolygon",
}
_JSON_TYPES = {"integer": "integer", "number": "number", "boolean": "boolean", "string": "string",
               "datetime": "string"}


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def with_query(url: str, pairs: list[tuple[str, str]]) -> str:
    return f"{url}?{urlencode(pairs, quote_via=quote)}" if pairs else url


def self_links(url: str, pairs: list[tuple[str, str]], json_type: str = JSON) -> list[dict[str, str]]:
    """``self`` as JSON and ``alternate`` as HTML, both keeping the other query parameters."""
    rest = [(k, v) for k, v in pairs if k != "f"]
    return [
        link(with_query(url, [*rest, ("f", "json")]), "self", json_type, "Tài liệu này / this document"),
        link(with_query(url, [*rest, ("f", "html")]), "alternate", HTML, "Dạng HTML / as HTML"),
    ]


def title_of(layer: Layer, lang: str) -> str:
    return layer.title_en if lang == "en" and layer.title_en else layer.title_vi


def description_of(layer: Layer, lang: str) -> str:
    text = layer.description_en if lang == "en" and layer.description_en else layer.description_vi
    return text or ""


def columns(layer: Layer, doc: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(name, label) for HTML tables: the schema's order first, then any other property."""
    label = "label_en" if lang == "en" else "label_vi"
    out = {str(a["name"]): str(a.get(label) or a["name"]) for a in layer.attributes or [] if a.get("name")}
    for feature in doc.get("features", []):
        for name in feature.get("properties") or {}:
            out.setdefault(name, name)
    return list(out.items())


def landing(base: str, lang: str) -> dict[str, Any]:
    title = ("iocmap — Đắk Mil map layers (OGC API - Features)" if lang == "en"
             else "iocmap — Lớp bản đồ huyện Đắk Mil (OGC API - Features)")
    return {
        "title": title,
        "description": ("Map layers of the Đắk Mil operations centre as OGC API - Features."
                        if lang == "en" else
                        "Các lớp bản đồ của trung tâm điều hành Đắk Mil theo chuẩn OGC API - Features."),
        "links": [
            *self_links(base, []),
            link(f"{base}/api", "service-desc", OPENAPI_JSON, "OpenAPI 3.0"),
            link(f"{base}/api?f=html", "service-doc", HTML, "Tài liệu API / API documentation"),
            link(f"{base}/conformance", "conformance", JSON, "Lớp phù hợp / conformance classes"),
            link(f"{base}/conformance", REL_CONFORMANCE, JSON, "Lớp phù hợp / conformance classes"),
            link(f"{base}/collections", "data", JSON, "Các lớp dữ liệu / collections"),
            link(f"{base}/collections", REL_DATA, JSON, "Các lớp dữ liệu / collections"),
        ],
    }


def conformance(base: str) -> dict[str, Any]:
    return {"conformsTo": CONFORMANCE, "links": self_links(f"{base}/conformance", [])}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def collection(
    base: str, layer: Layer, lang: str, bbox: list[float] | None,
    time_span: tuple[datetime | None, datetime | None] | None,
) -> dict[str, Any]:
    url = f"{base}/collections/{quote(layer.slug)}"
    extent: dict[str, Any] = {
        "spatial": {"bbox": [bbox] if bbox else [[-180.0, -90.0, 180.0, 90.0]], "crs": CRS84},
    }
    if time_span is not None:
        extent["temporal"] = {"interval": [[_iso(time_span[0]), _iso(time_span[1])]], "trs": GREGORIAN}
    out: dict[str, Any] = {
        "id": layer.slug,
        "title": title_of(layer, lang),
        "description": description_of(layer, lang),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            *self_links(url, []),
            link(f"{url}/items", "items", GEOJSON, "Đối tượng (GeoJSON) / features (GeoJSON)"),
            link(f"{url}/items?f=html", "items", HTML, "Đối tượng (HTML) / features (HTML)"),
            link(f"{url}/queryables", REL_QUERYABLES, SCHEMA_JSON,
                 "Thuộc tính lọc được / queryables"),
        ],
    }
    attribution = "; ".join(x for x in (layer.source, layer.licence) if x)
    if attribution:
        out["attribution"] = attribution
    return out


def collections(base: str, docs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"collections": docs, "links": self_links(f"{base}/collections", [])}


def queryables(base: str, layer: Layer, lang: str) -> dict[str, Any]:
    """Part 3 queryables as a JSON Schema: the layer's attributes and its geometry."""
    schema = Schema.of(layer)
    geometry_format = _GEOMETRY_FORMATS.get((layer.geometry_type or "").lower(), "geometry-any")
    properties: dict[str, Any] = {
        "geometry": {"title": "Hình học / geometry", "format": geometry_format,
                     "x-ogc-role": "primary-geometry"},
    }
    for field in schema.fields.values():
        prop: dict[str, Any] = {"title": field.title}
        if field.type in _JSON_TYPES:
            prop["type"] = _JSON_TYPES[field.type]
        if field.type == "datetime":
            prop["format"] = "date-time"
            if field.name == schema.time_field:
                prop["x-ogc-role"] = "primary-instant"
        properties[field.name] = prop
    url = f"{base}/collections/{quote(layer.slug)}/queryables"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": title_of(layer, lang),
        "properties": properties,
        "additionalProperties": False,
        "links": self_links(url, [], SCHEMA_JSON),
    }


def items_links(
    base: str, layer: Layer, pairs: list[tuple[str, str]], query: ItemsQuery, page: ItemsPage,
) -> list[dict[str, str]]:
    """self/alternate plus next/prev pages (same parameters, moved offset)."""
    collection_url = f"{base}/collections/{quote(layer.slug)}"
    url = f"{collection_url}/items"
    rest = [(k, v) for k, v in pairs if k not in ("offset", "limit", "f")]

    def at(offset: int, fmt: str) -> str:
        paging = [("limit", str(query.limit))] + ([("offset", str(offset))] if offset else [])
        return with_query(url, [*rest, *paging, ("f", fmt)])

    links = [
        link(at(query.offset, "json"), "self", GEOJSON, "Trang này / this page"),
        link(at(query.offset, "html"), "alternate", HTML, "Dạng HTML / as HTML"),
    ]
    if page.has_next:
        links.append(link(at(query.offset + query.limit, "json"), "next", GEOJSON, "Trang sau / next page"))
    if query.offset > 0:
        links.append(link(at(max(query.offset - query.limit, 0), "json"), "prev", GEOJSON,
                          "Trang trước / previous page"))
    links.append(link(collection_url, "collection", JSON, "Lớp dữ liệu / the collection"))
    return links


def items_body(page: ItemsPage, links: list[dict[str, str]]) -> bytes:
    """The FeatureCollection bytes, splicing the SQL-built features in without re-parsing."""
    members: dict[str, Any] = {
        "numberReturned": page.number_returned,
        "timeStamp": _iso(datetime.now(UTC)),
        "links": links,
    }
    if page.number_matched is not None:
        members["numberMatched"] = page.number_matched
    tail = orjson.dumps(members)
    return b'{"type":"FeatureCollection","features":[' + page.features_json.encode() + b"]," + tail[1:]


def item(base: str, layer: Layer, feature_json: str) -> dict[str, Any]:
    feature: dict[str, Any] = orjson.loads(feature_json)
    collection_url = f"{base}/collections/{quote(layer.slug)}"
    url = f"{collection_url}/items/{feature['id']}"
    feature["links"] = [
        *self_links(url, [], GEOJSON),
        link(collection_url, "collection", JSON, "Lớp dữ liệu / the collection"),
    ]
    return feature
