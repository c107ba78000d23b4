"""Dates as exports write them: one parser for the mixed formats of real files.

Understood without configuration (``parse_when``):

- year first, any of ``-`` ``/`` ``.`` ``年月日`` between the parts, a time or not, seconds or
  not, fractions, ``T`` or blanks before the time, a zone or not: ``2019/1/5 10:21:44``,
  ``2019-01-05 10:21``, ``2019-01-05``, ``2019-01-05T10:21:44.000``, ``2016-07-13 15:11:07+00:00``,
  ``2019年1月5日 10:21``;
- month first (US exports), with or without AM/PM: ``01/05/2019 10:21:44 AM``; with
  ``dayfirst`` the same shape reads day first (``05/01/2019``);
- eight digits ``20190105``; Excel serial day numbers (``43470.43`` = 2019-01-05 10:19), which
  a CSV saved from a spreadsheet may hold; datetime, date and number cells of an XLSX sheet. A
  whole number of four digits is a year alone (``2019``), not a serial (1905-07-11): refused.

A mapping's own ``date_formats`` (``strptime`` patterns) are tried first. A time without a zone is a
local time of ``tz`` (the deployment's ``TIME_ZONE`` unless the preset or mapping names one); a
time with a zone keeps it, unless ``ignore_offset`` (an export that labels local times as UTC:
San Francisco's): then its clock time is read in ``tz``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo

from django.utils.translation import gettext as _

_YMD = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:[T\s]+)(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:[.,](\d{1,9}))?)?秒?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_MDY = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*([AaPp]\.?[Mm]\.?)?)?$"
)
_DIGITS8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{1,6}(?:\.\d+)?$")
_EXCEL_EPOCH = datetime(1899, 12, 30)
# Excel serials from 1900-03-01 to 9999-12-31 (earlier ones meet Excel's 1900 leap-year bug).
_SERIAL_RANGE = (61, 2_958_465)


class DateError(ValueError):
    """The value is not a date this parser understands."""


def _zone(text: str) -> tzinfo:
    from datetime import timezone as dt_timezone

    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return dt_timezone(sign * timedelta(hours=hours, minutes=minutes))


def _fraction(text: str | None) -> int:
    return int((text or "0")[:6].ljust(6, "0"))


def _from_serial(number: float) -> datetime:
    if number.is_integer() and 1000 <= number <= 9999:
        # 2019 is a year a cell kept without its month and day, not 1905-07-11.
        raise DateError(_("a year alone is not a date"))
    if not (_SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]):
        raise DateError(_("number out of the range of spreadsheet dates"))
    # Rounded to the second: spreadsheet fractions carry float noise.
    return _EXCEL_EPOCH + timedelta(seconds=round(number * 86400))


def parse_naive_or_aware(
    value, *, formats: tuple[str, ...] = (), dayfirst: bool = False
) -> datetime:
    """The datetime in ``value`` (naive when the value names no zone); DateError otherwise."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise DateError(_("not a date"))
    if isinstance(value, int | float):
        return _from_serial(float(value))
    text = str(value).strip()
    if not text:
        raise DateError(_("empty"))
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        m = _YMD.match(text)
        if m:
            y, mo, d, h, mi, s, frac, zone = m.groups()
            out = datetime(
                int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), _fraction(frac)
            )
            return out.replace(tzinfo=_zone(zone)) if zone else out
        m = _MDY.match(text)
        if m:
            a, b, y, h, mi, s, frac, ampm = m.groups()
            month, day = (int(b), int(a)) if dayfirst else (int(a), int(b))
            hour = int(h or 0)
            if ampm:
                if not 1 <= hour <= 12:
                    raise DateError(_("hour out of range for AM/PM"))
                pm = ampm[0] in "Pp"
                hour = (hour % 12) + (12 if pm else 0)
            return datetime(int(y), month, day, hour, int(mi or 0), int(s or 0), _fraction(frac))
        m = _DIGITS8.match(text)
        if m:
            return datetime(int(m[1]), int(m[2]), int(m[3]))
        if _SERIAL.match(text):
            return _from_serial(float(text))
    except ValueError as exc:  # datetime() refusing 2019-02-30, hour 25...
        raise DateError(str(exc)) from exc
    raise DateError(_("unknown date format"))


def parse_when(
    value,
    *,
    tz: tzinfo,
    formats: tuple[str, ...] = (),
    dayfirst: bool = False,
    ignore_offset: bool = False,
) -> datetime:
    """An aware datetime: naive values are local times of ``tz``; with ``ignore_offset`` so are
    the wall-clock times of values that state an offset."""
    out = parse_naive_or_aware(value, formats=formats, dayfirst=dayfirst)
    if ignore_offset or out.tzinfo is None or out.utcoffset() is None:
        out = out.replace(tzinfo=tz)
    return out
