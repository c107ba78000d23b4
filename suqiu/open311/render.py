"""GeoReport v2 responses in XML and JSON from the same plain data.

JSON follows the spec's "Spark convention": the XML list wrapper (``<services>``,
``<service_requests>``, ``<errors>``) becomes a JSON array of objects with the same field names;
nested lists (``attributes``, ``values``, ``endpoints``, ``formats``) become arrays. XML is
UTF-8 with an XML declaration and no namespace, as the spec's examples show. It is written
element by element with every text escaped (no string templates): byte for byte what ElementTree
writes for the same tree (``tests/test_render_xml.py`` compares them), at a third of the cost,
which matters for a list of 1000 requests (``bench/open311.py``).
"""

from __future__ import annotations

import json
import re
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


def _escape(text: str) -> str:
    """Text content as ElementTree escapes it (attributes are never written)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _write(out: list[str], name: str, value: Any) -> None:
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, sub in value.items():
            _write(out, key, sub)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        item_name = ITEM_NAMES[name]
        out.append(f"<{name}>")
        for item in value:
            _write(out, item_name, item)
        out.append(f"</{name}>")
    else:
        # Empty fields as <description></description>, as the spec's examples write them.
        text = _text(value)
        out.append(f"<{name}>{_escape(text) if text else ''}</{name}>")


def to_xml(root: str, data: list | dict) -> bytes:
    """``root`` is the list wrapper (``services``…) for a list, or the object name for a dict."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f"<{root}>"]
    if isinstance(data, list):
        for item in data:
            _write(out, ITEM_NAMES[root], item)
    else:
        for key, value in data.items():
            _write(out, key, value)
    out.append(f"</{root}>")
    return "".join(out).encode("utf-8")


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
