"""Validate ``attribute[code]`` answers against a service definition, per GeoReport v2 datatype."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from suqiu.open311.models import Datatype, ServiceAttribute

STRING_MAX = 1000
TEXT_MAX = 4000

# attribute[CODE]=v, attribute[CODE][]=v (multivaluelist, as the spec shows), attribute[CODE][0]=v.
_KEY = re.compile(r"^attribute\[([^\[\]]+)\](?:\[\d*\])?$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def submitted_attributes(post) -> dict[str, list[str]]:
    """Every ``attribute[...]`` field of a form, as code → list of non-empty values."""
    out: dict[str, list[str]] = {}
    for key in post.keys():
        match = _KEY.match(key)
        if match:
            values = [v.strip() for v in post.getlist(key) if v is not None and v.strip()]
            out.setdefault(match.group(1), []).extend(values)
    return out


def _one(attr: ServiceAttribute, raw: str) -> tuple[object, str | None]:
    code = attr.code
    if attr.datatype == Datatype.STRING:
        if "\n" in raw or "\r" in raw:
            return None, _("Attribute %(code)s must be one line.") % {"code": code}
        if len(raw) > STRING_MAX:
            return None, _("Attribute %(code)s: at most %(n)d characters.") % {
                "code": code,
                "n": STRING_MAX,
            }
        return raw, None
    if attr.datatype == Datatype.TEXT:
        if len(raw) > TEXT_MAX:
            return None, _("Attribute %(code)s: at most %(n)d characters.") % {
                "code": code,
                "n": TEXT_MAX,
            }
        return raw, None
    if attr.datatype == Datatype.NUMBER:
        if not _NUMBER.match(raw):
            return None, _("Attribute %(code)s must be a number.") % {"code": code}
        try:
            number = Decimal(raw)
        except InvalidOperation:
            return None, _("Attribute %(code)s must be a number.") % {"code": code}
        return (int(number) if number == number.to_integral_value() else float(number)), None
    if attr.datatype == Datatype.DATETIME:
        moment = None
        try:
            # A bare date stays a date; parse_datetime alone would turn it into midnight.
            day = parse_date(raw)
            if day is not None:
                return day.isoformat(), None
            moment = parse_datetime(raw)
        except ValueError:
            moment = None
        if moment is None:
            return None, _("Attribute %(code)s must be an ISO 8601 date or date-time.") % {
                "code": code
            }
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.isoformat(), None
    # single/multi value lists: the key must be one of the definition's keys
    if raw not in attr.value_keys():
        return None, _("Attribute %(code)s: %(value)r is not one of the allowed values.") % {
            "code": code,
            "value": raw,
        }
    return raw, None


def validate_attributes(
    definition: list[ServiceAttribute], submitted: dict[str, list[str]]
) -> tuple[dict[str, object], list[str]]:
    """Answers keyed by attribute code, and the problems found (empty when all is well)."""
    errors: list[str] = []
    answers: dict[str, object] = {}
    by_code = {a.code: a for a in definition}
    for code in submitted:
        if code not in by_code:
            errors.append(_("Unknown attribute %(code)s for this service.") % {"code": code})
    for attr in definition:
        if not attr.variable:
            continue  # informational only: takes no answer
        raw_values = submitted.get(attr.code, [])
        if not raw_values:
            if attr.required:
                errors.append(_("Attribute %(code)s is required.") % {"code": attr.code})
            continue
        if attr.datatype != Datatype.MULTIVALUELIST and len(raw_values) > 1:
            errors.append(_("Attribute %(code)s takes one value.") % {"code": attr.code})
            continue
        parsed = []
        for raw in raw_values:
            value, problem = _one(attr, raw)
            if problem:
                errors.append(problem)
            elif value not in parsed:
                parsed.append(value)
        if parsed:
            answers[attr.code] = parsed if attr.datatype == Datatype.MULTIVALUELIST else parsed[0]
    return answers, errors


def answers_summary(definition: list[ServiceAttribute], answers: dict[str, object]) -> str:
    """The answers as lines staff can read in the appeal ("question: answer")."""
    lines = []
    for attr in definition:
        if attr.code not in answers:
            continue
        value = answers[attr.code]
        names = {str(v.get("key")): str(v.get("name", "")) for v in attr.values or []}
        items = value if isinstance(value, list) else [value]
        shown = ", ".join(names.get(str(v), str(v)) for v in items)
        lines.append(f"{attr.description}: {shown}")
    return "\n".join(lines)
