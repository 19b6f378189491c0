"""The discovery document, the error list, and the XML form of every GeoReport document.

XML follows the standard's examples: no namespace, a UTF-8 declaration, lists as a
wrapper element holding one element per item (``services/service``,
``service_requests/request``, ``attributes/attribute``, ``values/value``, ``errors/error``,
``endpoints/endpoint``, ``formats/format``), booleans as ``true``/``false``, null as an
empty element. JSON is the same tree (the standard's "Spark convention"). Text is escaped
and characters XML 1.0 cannot carry are dropped, so the output is always well-formed.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-28T00:00:00+07:00"
FORMATS = ("json", "xml")
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
CONTACT = ("Văn phòng HĐND và UBND huyện Đắk Mil (bộ phận một cửa) / Office of the People's Council "
           "and Committee of Đắk Mil district")
KEY_SERVICE = ("Khóa API do quản trị viên cấp (giao diện quản trị hoặc `iocmap apikey create`) / API keys "
               "are issued by the administrators")
PAGING = ("GET requests: page (1-10000, default 1) and page_size (1-1000, default 1000); newest first. "
          "A full page is followed by a Link header with rel=\"next\".")
LIST_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "extensions": "extension",
}
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def discovery(base_url: str, jurisdiction_id: str) -> dict[str, Any]:
    """Service discovery: where the endpoint is, which formats, how to get a key."""
    return {
        "changeset": CHANGESET,
        "contact": CONTACT,
        "key_service": KEY_SERVICE,
        "jurisdiction_id": jurisdiction_id,
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": f"{base_url.rstrip('/')}/open311/v2",
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
        "extensions": [{"name": "paging", "description": PAGING}],
    }


def errors(status: int, description: str) -> list[dict[str, Any]]:
    """The standard's error list; ``code`` is the HTTP status."""
    return [{"code": status, "description": description}]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_NOT_XML.sub("", str(value)))


def _element(name: str, value: Any, out: list[str]) -> None:
    if value is None:
        out.append(f"<{name}/>")
    elif isinstance(value, dict):
        out.append(f"<{name}>")
        for key, item in value.items():
            _element(key, item, out)
        out.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        item_name = LIST_ITEMS[name]
        out.append(f"<{name}>")
        for item in value:
            _element(item_name, item, out)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{_text(value)}</{name}>")


def to_xml(root: str, content: Any) -> bytes:
    """``content`` under ``root``: a list becomes one ``LIST_ITEMS[root]`` element per item."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n']
    _element(root, content, out)
    return "".join(out).encode("utf-8")
