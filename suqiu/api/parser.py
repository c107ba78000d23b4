"""The API's request parser: ninja's JSON and query parsing, plus what no database can store.

A NUL character cannot be stored in PostgreSQL text (SQLite takes it, so the same request would
succeed there and fail in production), a lone surrogate (JSON's "\ud800") in neither, and a
whole number beyond 64 bits fits no integer column
(SQLite raises ``OverflowError`` on it). All are refused before any view runs, with the field
named: 422 ``validation_error``, the same on every database. So is a body that is JSON but not an
object (``[1, 2]``, ``null``, ``"text"``): every body the API takes is an object, and the
schema's own answer would name its first field as missing, not the body as the wrong kind.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from ninja.parser import Parser

from suqiu.core.errors import ValidationFailed
from suqiu.core.ids import MAX_ID


def _text_problem(value: str) -> str:
    """Why this text cannot be stored, or ""."""
    if "\x00" in value:
        return gettext("Must not contain a NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON): no character at all
        return gettext("Must be text: it holds half of a character (a lone surrogate).")
    return ""


def _problems(value: Any, path: str, out: dict[str, list[str]]) -> None:
    if isinstance(value, str):
        if problem := _text_problem(value):
            out.setdefault(path or "body", []).append(problem)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not -MAX_ID - 1 <= value <= MAX_ID:
            out.setdefault(path or "body", []).append(gettext("The number is out of range."))
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (problem := _text_problem(key)):
                out.setdefault(path or "body", []).append(problem)
                continue
            _problems(item, f"{path}.{key}" if path else str(key), out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _problems(item, f"{path}.{index}" if path else str(index), out)


def check_storable(data: Any) -> None:
    """Raise ``ValidationFailed`` naming each field that holds a NUL, a lone surrogate or an
    out-of-range number."""
    fields: dict[str, list[str]] = {}
    _problems(data, "", fields)
    if fields:
        raise ValidationFailed(gettext("The request is not valid."), fields=fields)


class StorableParser(Parser):
    def parse_body(self, request):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValidationFailed(
                gettext("The request is not valid."),
                fields={"body": [gettext("Must be a JSON object.")]},
            )
        check_storable(data)
        return data

    def parse_querydict(self, data, list_fields, request):
        result = super().parse_querydict(data, list_fields, request)
        check_storable({k: v for k, v in result.items() if isinstance(v, (str, list))})
        return result
