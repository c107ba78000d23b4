"""GeoReport v2 responses in XML and JSON from the same plain data.

JSON follows the spec's "Spark convention": the XML list wrapper (``<services>``,
``<service_requests>``, ``<errors>``) becomes a JSON array of objects with the same field names;
nested lists (``attributes``, ``values``, ``endpoints``, ``formats``) become arrays. XML is built
with ElementTree (no string templates): UTF-8, an XML declaration, no namespace, as the spec's
examples show.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse

XML_CONTENT_TYPE = "text/xml; charset=utf-8"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
FORMATS = ("xml", "json")

# List element name → the name of each item in XML.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}

# Characters XML 1.0 cannot carry at all (not even escaped); dropped from text.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return _XML_ILLEGAL.sub("", str(value))


def _fill(parent: ET.Element, name: str, value: Any) -> None:
    el = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, sub in value.items():
            _fill(el, key, sub)
    elif isinstance(value, list):
        item_name = ITEM_NAMES[name]
        for item in value:
            _fill(el, item_name, item)
    else:
        el.text = _text(value)


def to_xml(root: str, data: list | dict) -> bytes:
    """``root`` is the list wrapper (``services``…) for a list, or the object name for a dict."""
    el = ET.Element(root)
    if isinstance(data, list):
        for item in data:
            _fill(el, ITEM_NAMES[root], item)
    else:
        for key, value in data.items():
            _fill(el, key, value)
    # Empty fields as <description></description>, as the spec's examples write them.
    body = ET.tostring(el, encoding="unicode", short_empty_elements=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode("utf-8")


def to_json(data: list | dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def respond(fmt: str, root: str, data: list | dict, *, status: int = 200) -> HttpResponse:
    if fmt == "json":
        return HttpResponse(to_json(data), content_type=JSON_CONTENT_TYPE, status=status)
    return HttpResponse(to_xml(root, data), content_type=XML_CONTENT_TYPE, status=status)


def error_response(fmt: str, status: int, descriptions: list[str], **headers) -> HttpResponse:
    """The spec's error list: one ``{code, description}`` per problem, code = HTTP status."""
    data = [{"code": status, "description": str(d)} for d in descriptions]
    response = respond(fmt if fmt in FORMATS else "xml", "errors", data, status=status)
    for key, value in headers.items():
        response[key.replace("_", "-")] = value
    return response
