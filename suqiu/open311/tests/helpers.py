"""Checking GeoReport v2 responses: JSON against the schemas in ../schemas, XML with a parser."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
BASE = "/open311/v2/"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'


@cache
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def json_body(response, schema: str, status: int = 200):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(response.content.decode("utf-8"))
    validator(schema).validate(data)
    return data


def xml_body(response, root: str, status: int = 200) -> ET.Element:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(XML_DECLARATION)
    element = ET.fromstring(response.content)
    assert element.tag == root
    return element


def errors_of(response, fmt: str, status: int) -> list[dict]:
    """The error list in either format, checked against the schema / the spec's element names."""
    if fmt == "json":
        return json_body(response, "errors", status)
    root = xml_body(response, "errors", status)
    out = []
    for error in root:
        assert error.tag == "error"
        assert [c.tag for c in error] == ["code", "description"]
        out.append(
            {"code": int(error.findtext("code")), "description": error.findtext("description")}
        )
    assert out
    return out


def xml_records(root: ET.Element, item: str) -> list[dict]:
    """Children of a list wrapper as flat dicts of text (nested lists left as elements)."""
    out = []
    for child in root:
        assert child.tag == item
        out.append({el.tag: (el.text if len(el) == 0 else el) for el in child})
    return out
