"""Import another system's appeal history from a CSV or XLSX export (``suqiu import appeals``).

The file is read one row at a time (``readers``), each row mapped (``presets``) and checked;
good rows are collected into batches of ``batch_size`` and handed to
``appeals.services.appeal_import_history`` (one transaction per batch, the only place that
writes the appeals and their events); bad rows go to the error report, and the import goes on.
Memory holds one batch, never the file.

Decisions (documented in README "Importing history"):

- **Required:** an id, a creation time and some text (title or description). A row without
  them, with a date that cannot be read, a closing time before the creation time, a creation
  time more than a day in the future, coordinates or votes that are not numbers or out of range, an id longer
  than 100 characters, an id in scientific notation (``1.01006E+11``, its digits lost
  by a spreadsheet) or an unknown category under ``--no-create-categories`` is *rejected*:
  one line in the error report (row number, external id, field, reason, value) and no appeal.
- **Too long:** text longer than its field is *truncated* and kept (title 120 characters,
  description 4,000, reporter name 80, address 255); the created event's data lists the
  fields (``"truncated": [...]``) and the summary counts them.
- **Missing title** (311 exports have none): the start of the description (its first line,
  shortened to the title's length without counting as truncated: the description holds it
  whole); **missing description**: the title.
- **No reply:** the appeal is still closed (history is finished business), at the source's
  closing time or else its creation time, with ``"no_reply": true`` on the closing event.
- **Closing date without a time** (midnight) on the day of creation: closed at the creation
  time (``"closed_date_only": true``), not "closed before created".
- **Coordinates** 0,0 mean "unknown" (San Francisco's export writes them for no location).
- **Idempotent:** a row whose (source, id) is stored already is counted as already present; if
  the stored title differs, the row is reported as an id clash instead (another export with its
  own numbering imported under the same source name: use ``--source``).
- **Rows without an id** (``ids_from_content``, ``--ids-from-content``): instead of a missing-id
  error, the id ``sha1:`` + 16 hex digits of the row's content (``content_id``: reporter name and
  phone, the creation time as written, title, description and address, whitespace collapsed),
  so importing the file again finds them; two rows of identical content are one appeal (the
  second already present, counted apart in the summary).
- **Rows without a creation time** stay bad rows unless ``default_time`` (``--default-time``)
  is given: they take it, flagged ``"default_time": true`` in the events' data. Never the
  file's own date: a copy's modification time would pile years of history onto one recent day.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from suqiu.appeals import services
from suqiu.appeals.services import ImportedAppeal
from suqiu.core import clock
from suqiu.core.commands import aligned
from suqiu.core.errors import ApplicationError
from suqiu.imports.categories import CategoryResolver, add_to_map, load_category_map, name_key
from suqiu.imports.dates import DateError, parse_when
from suqiu.imports.presets import JOINED, Mapping, MappingError, choose, load_mapping
from suqiu.imports.readers import (
    BadRow,
    DamagedFile,
    ReadError,
    Table,
    open_table,
    undecodable,
)

TRUNCATE = {
    "title": services.TITLE_MAX,
    "description": services.DESCRIPTION_MAX,
    "reporter_name": 80,
    "address": 255,
}
ERROR_COLUMNS = ["row", "external_id", "field", "reason", "value"]
# An id in scientific notation: what Excel writes to CSV for a long number it displayed so.
MANGLED_ID = re.compile(r"^\d(\.\d+)?E[+-]?\d+$", re.IGNORECASE)
# The largest count an integer column holds (PositiveIntegerField: 32-bit on PostgreSQL; SQLite
# fails beyond 64 bits with an OverflowError): a larger one is a bad row, not a lost batch.
COUNT_MAX = 2_147_483_647
# Marked for translation here, translated where raised (and matched so in ``Summary.lines``).
MISSING_ID = gettext_noop("missing id")
MISSING_TIME = gettext_noop("missing creation time")
# The ids ``ids_from_content`` gives: a prefix no export's own numbering has, 64 bits of SHA-1.
CONTENT_ID_PREFIX = "sha1:"
CONTENT_ID_HEX = 16
# What --default-time takes: a date year first (and a time or not), not a serial or a year alone.
DEFAULT_TIME = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)")


@dataclass
class Summary:
    path: str
    mapping: str = ""
    source: str = ""
    rows_read: int = 0
    created: int = 0
    already_present: int = 0
    corrected: int = 0
    failed: int = 0
    truncated: int = 0
    categories_created: list[str] = field(default_factory=list)
    categories_mapped: int = 0
    led_by_organisation: int = 0
    content_ids: int = 0  # rows given an id from their content (ids_from_content)
    repeated: int = 0  # of the already present: rows repeating an earlier row's content
    default_times: int = 0  # rows without a creation time that took default_time
    seconds: float = 0.0
    errors_path: str = ""
    reasons: Counter = field(default_factory=Counter)

    @property
    def rows_per_s(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        """The summary the command prints, in the active language, labels aligned."""
        rows: list[tuple[str, str]] = [
            (_("file"), str(self.path)),
            (
                _("mapping"),
                _("%(mapping)s (source %(source)r)")
                % {"mapping": self.mapping, "source": self.source},
            ),
            (_("rows read"), str(self.rows_read)),
            (_("created"), str(self.created)),
            (_("already present"), str(self.already_present)),
        ]
        if self.repeated:
            rows.append(
                (
                    _("repeated"),
                    _(
                        "%(n)s (of those already present: the same content as an earlier row "
                        "of the file, no id)"
                    )
                    % {"n": self.repeated},
                )
            )
        if self.corrected:
            rows.append(
                (_("corrected"), _("%(n)s (of those already present)") % {"n": self.corrected})
            )
        rows.append(
            (
                _("failed"),
                _("%(n)s (see %(path)s)") % {"n": self.failed, "path": self.errors_path}
                if self.failed
                else "0",
            )
        )
        if self.truncated:
            rows.append(
                (
                    _("truncated"),
                    _("%(n)s (text kept up to the field's length)") % {"n": self.truncated},
                )
            )
        if self.content_ids:
            rows.append(
                (
                    _("content ids"),
                    _("%(n)s rows without an id (%(prefix)s… from their user, time and text)")
                    % {"n": self.content_ids, "prefix": CONTENT_ID_PREFIX},
                )
            )
        if self.default_times:
            rows.append(
                (
                    _("default time"),
                    _("%(n)s rows without a creation time (given --default-time)")
                    % {"n": self.default_times},
                )
            )
        if self.categories_mapped:
            rows.append((_("category map"), _("%(n)s rows") % {"n": self.categories_mapped}))
        if self.led_by_organisation:
            rows.append(
                (
                    _("organisations"),
                    _("%(n)s rows whose agency is an organisation here (it led them)")
                    % {"n": self.led_by_organisation},
                )
            )
        if self.categories_created:
            shown = ", ".join(self.categories_created[:10])
            more = len(self.categories_created) - 10
            if more > 0:
                shown += ", " + _("… %(n)s more") % {"n": more}
            rows.append(
                (
                    _("new categories"),
                    _("%(n)s under IMPORTED (%(names)s)")
                    % {"n": len(self.categories_created), "names": shown},
                )
            )
        rows.append((_("seconds"), f"{self.seconds:.1f}"))
        rows.append((_("rows/s"), f"{self.rows_per_s:.0f}"))
        out = aligned(rows, after=":")
        for reason, n in self.reasons.most_common(8):
            out.append(f"  {n:>7} × {reason}")
        if any(reason.endswith(": " + _(MISSING_ID)) for reason in self.reasons):
            out.append(_("rows without an id: --ids-from-content gives each one from its content"))
        if any(reason.endswith(": " + _(MISSING_TIME)) for reason in self.reasons):
            out.append(_("rows without a creation time: --default-time YYYY-MM-DD gives them one"))
        return out


class RowError(Exception):
    def __init__(self, target: str, reason: str, value=""):
        super().__init__(reason)
        self.target, self.reason, self.value = target, reason, value


class ErrorReport:
    """The error CSV, created at the first error (a clean import writes no file)."""

    def __init__(self, path: Path):
        self.path = path
        self._file = None
        self._writer = None

    def add(self, row: int, external_id: str, target: str, reason: str, value="") -> None:
        try:
            if self._writer is None:
                self._file = open(self.path, "w", newline="", encoding="utf-8-sig")  # noqa: SIM115
                self._writer = csv.writer(self._file)
                self._writer.writerow(ERROR_COLUMNS)
            text = "" if value is None else str(value)
            self._writer.writerow([row, external_id, target, reason, text[:200]])
        except OSError as exc:
            raise ReadError(self._failed(exc)) from exc

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as exc:
                raise ReadError(self._failed(exc)) from exc

    def _failed(self, exc: OSError) -> str:
        return _(
            "cannot write the error report %(path)s: %(reason)s (the rows imported so far stay; "
            "import the file again, elsewhere, to go on: nothing is imported twice)"
        ) % {"path": self.path, "reason": exc.strerror or exc}


def _check_report_path(report: Path, source: Path) -> None:
    """Refuse, before a row is read, an error report that could not be written or that would
    overwrite the file being imported (the report is opened at the first bad row)."""
    if not report.parent.is_dir():
        raise ReadError(_("no folder %(folder)s for the error report") % {"folder": report.parent})
    existed = report.exists()
    if existed:
        if report.is_dir():
            raise ReadError(
                _("the error report %(path)s is a folder: give a file name") % {"path": report}
            )
        if report.resolve() == source.resolve() or os.path.samefile(report, source):
            raise ReadError(_("the error report must not be the file being imported"))
    # Opened for real (and left as it was): permission bits do not tell root's refusals, nor
    # those of special file systems (/proc) and read-only mounts.
    try:
        with open(report, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise ReadError(
            _("cannot write the error report %(path)s: %(reason)s")
            % {"path": report, "reason": exc.strerror or exc}
        ) from exc
    if not existed:
        report.unlink(missing_ok=True)


def _writable(folder: Path) -> bool:
    # The mode bits too: root may write anywhere, but a read-only data share is not the place.
    try:
        return os.access(folder, os.W_OK) and bool(folder.stat().st_mode & 0o222)
    except OSError:
        return False


def default_errors_path(path: Path) -> Path:
    """``<input>.errors.csv`` next to the input, or in the current directory when the input's
    folder is read-only (a data share)."""
    path = Path(path)
    folder = path.parent if _writable(path.parent) else Path.cwd()
    return folder / f"{path.stem}.errors.csv"


class RowMapper:
    """Turns the cells of one row into an ``ImportedAppeal`` or raises ``RowError``."""

    def __init__(
        self,
        mapping: Mapping,
        header: list[str],
        categories: CategoryResolver,
        *,
        ids_from_content: bool = False,
        default_time: str | None = None,
    ):
        self.mapping = mapping
        self.ids_from_content = ids_from_content
        self.header = header
        self.bound = mapping.bind(header)
        self.categories = categories
        self.organisations = organisations_by_name() if "agency" in self.bound else {}
        self.tz = ZoneInfo(mapping.time_zone or settings.TIME_ZONE)
        # For rows without a creation time (``--default-time``); ReadError when it is no date.
        self.default_time = _default_time(default_time, self.tz) if default_time else None
        self.latest = clock.now() + timedelta(days=1)
        # Before 1900 is a mistyped year, not history (and year 1 overflows the time zones).
        self.earliest = datetime(clock.EARLIEST_YEAR, 1, 1, tzinfo=ZoneInfo("UTC"))

    def column(self, target: str) -> str:
        """How the report names a field: target and source column(s)."""
        cols = [self.header[i] for i in self.bound.get(target, [])]
        return f"{target} ({', '.join(cols)})" if cols else target

    def value(self, cells: list, target: str):
        """The target's value: joined text for JOINED targets, else the first non-empty cell."""
        idx = self.bound.get(target)
        if not idx:
            return ""
        if target in JOINED:
            seen: list[str] = []
            for i in idx:
                text = _text(cells[i])
                if text and text not in seen:
                    seen.append(text)
            return JOINED[target].join(seen)
        for i in idx:
            cell = cells[i]
            if cell is not None and not (isinstance(cell, str) and not cell.strip()):
                return cell.strip() if isinstance(cell, str) else cell
        return ""

    def when(self, cells: list, target: str) -> datetime | None:
        raw = self.value(cells, target)
        if raw == "":
            return None
        try:
            return parse_when(
                raw,
                tz=self.tz,
                formats=self.mapping.date_formats,
                dayfirst=self.mapping.dayfirst,
                ignore_offset=self.mapping.ignore_offset,
            )
        except DateError as exc:
            raise RowError(
                self.column(target), _("unreadable date (%(error)s)") % {"error": exc}, raw
            ) from exc

    def number(self, cells: list, target: str, *, whole: bool = False) -> float | int | None:
        raw = self.value(cells, target)
        if raw == "":
            return None
        try:
            number = float(str(raw).replace(",", "")) if not isinstance(raw, int | float) else raw
        except ValueError as exc:
            raise RowError(self.column(target), _("not a number"), raw) from exc
        if isinstance(number, bool) or not math.isfinite(number):
            raise RowError(self.column(target), _("not a number"), raw)
        if whole:
            if number != int(number) or number < 0:
                raise RowError(self.column(target), _("not a whole number ≥ 0"), raw)
            if number > COUNT_MAX:
                raise RowError(
                    self.column(target),
                    _("out of range (above %(max)s)") % {"max": f"{COUNT_MAX:,}"},
                    raw,
                )
            return int(number)
        return float(number)

    def content_id(self, cells: list, created: datetime | None) -> str:
        """The id of a row without one: ``sha1:`` and 16 hex digits of its content — reporter
        name and phone, the creation time as written (its clock time, so ``2019/1/5 10:21``
        and ``2019-01-05 10:21:00`` are one; none for a row without, whatever
        ``default_time``), title, description and address, each with its whitespace collapsed.
        Not the category, reply, closing time or votes: a later export corrects those."""
        when = created.replace(tzinfo=None).isoformat(sep=" ") if created else ""
        title = " ".join(_text(self.value(cells, "title")).split())
        description = " ".join(_text(self.value(cells, "description")).split())
        # The text as one: a title that is only the start of the description (or the whole of
        # it) says nothing more, as the row stored without it would have it (the import gives
        # a row without a title its description's start, and one without a description its
        # title): rows of one content in either form are one appeal.
        if not title or description.startswith(title):
            title = ""
        elif not description:
            description, title = title, ""
        parts = [
            _text(self.value(cells, "reporter_name")),
            _text(self.value(cells, "reporter_phone")),
            when,
            title,
            description,
            _text(self.value(cells, "address")),
        ]
        content = "\x1f".join(" ".join(part.split()) for part in parts)
        digest = hashlib.sha1(content.encode("utf-8"), usedforsecurity=False).hexdigest()
        return CONTENT_ID_PREFIX + digest[:CONTENT_ID_HEX]

    def map(self, number: int, cells: list) -> ImportedAppeal:
        external_id = external_id_of(self.value(cells, "external_id"))
        by_content = not external_id and self.ids_from_content
        if not external_id and not by_content:
            raise RowError(self.column("external_id"), _(MISSING_ID))
        if len(external_id) > 100:
            raise RowError(
                self.column("external_id"), _("id longer than 100 characters"), external_id
            )
        if MANGLED_ID.match(external_id):
            # A long number a spreadsheet showed as 1.01006E+11 and saved so: its digits are
            # lost, and distinct cases would merge into one appeal.
            raise RowError(
                self.column("external_id"),
                _("id mangled by a spreadsheet (scientific notation)"),
                external_id,
            )
        created = self.when(cells, "created_at")
        if by_content:
            external_id = self.content_id(cells, created)
        default_time = created is None and self.default_time is not None
        if default_time:
            created = self.default_time
        if created is None:
            raise RowError(self.column("created_at"), _(MISSING_TIME))
        if created > self.latest:
            raise RowError(self.column("created_at"), _("in the future"), created.isoformat())
        if created < self.earliest:
            # Shown as read, without its offset: a zone's offset before 1900 is its local mean
            # time (Asia/Shanghai +08:05:43), which reads as a second mistake.
            raise RowError(
                self.column("created_at"),
                _("before 1900"),
                created.replace(tzinfo=None).isoformat(sep=" "),
            )
        closed = self.when(cells, "closed_at")
        if closed is not None and closed > self.latest:
            raise RowError(self.column("closed_at"), _("in the future"), closed.isoformat())
        adjusted = False
        if (
            closed is not None
            and closed < created
            and closed.date() == created.date()
            and (closed.hour, closed.minute, closed.second) == (0, 0, 0)
        ):
            # A closing date without a time (midnight) on the day of creation: closed that day.
            closed, adjusted = created, True
        if closed is not None and closed < created:
            raise RowError(
                self.column("closed_at"),
                _("closed before it was created"),
                f"{closed.isoformat()} < {created.isoformat()}",
            )
        title = _text(self.value(cells, "title"))
        description = self.value(cells, "description")
        if not title and not description:
            raise RowError(self.column("description"), _("no text (title and description empty)"))
        title_from_description = not title
        if title_from_description:
            title = description.splitlines()[0].strip() if description.strip() else description
        if not description:
            description = title
        lat = self.number(cells, "lat")
        lon = self.number(cells, "lon")
        if (lat is None) != (lon is None):
            raise RowError(self.column("lat"), _("latitude and longitude go together"), lat or lon)
        if lat == 0 and lon == 0:
            lat = lon = None  # "no location" in several exports
        if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise RowError(self.column("lat"), _("coordinates out of range"), f"{lat},{lon}")
        phone = _text(self.value(cells, "reporter_phone"))
        if phone and (
            len(phone) > 32
            or not all(ch in "0123456789+- " for ch in phone)
            or sum(ch in "0123456789" for ch in phone) < 5
        ):
            raise RowError(self.column("reporter_phone"), _("not a phone number"), phone)
        fields = {
            "title": title,
            "description": description,
            "reporter_name": _text(self.value(cells, "reporter_name")),
            "address": _text(self.value(cells, "address")),
        }
        truncated = []
        for name, limit in TRUNCATE.items():
            if len(fields[name]) > limit:
                fields[name] = fields[name][: limit - 1].rstrip() + "…"
                if not (name == "title" and title_from_description):
                    truncated.append(name)  # not a title cut from the description: it is whole
        urgency_text = _text(self.value(cells, "urgency"))
        urgency = URGENCY_WORDS.get(urgency_text.casefold()) if urgency_text else "normal"
        if urgency is None:
            raise RowError(
                self.column("urgency"),
                _("unknown urgency (emergency, urgent or normal; 特急, 紧急 or 一般)"),
                urgency_text,
            )
        agency = name_key(_text(self.value(cells, "agency")))
        data: dict = {"row": number}
        for target in ("status", "agency", "channel"):
            text = _text(self.value(cells, target))
            if text:
                data[f"source_{target}"] = text[:200]
        lead = self.organisations.get(agency) if agency else None
        if lead is not None:
            data["lead_organisation"] = lead  # the events say where it went, as dispatch does
        if urgency != "normal":
            data["urgency"] = urgency
        if truncated:
            data["truncated"] = truncated
        if adjusted:
            data["closed_date_only"] = True
        if by_content:
            data["content_id"] = True
        if default_time:
            data["default_time"] = True
        support_votes = self.number(cells, "support_votes", whole=True) or 0
        oppose_votes = self.number(cells, "oppose_votes", whole=True) or 0
        # Last: an unknown category is created here, so only for a row that passed every check.
        category_id = None
        category_text = _text(self.value(cells, "category"))
        self.categories.last_by_map = False
        if category_text:
            category_id, why = self.categories.resolve(category_text)
            if why:
                raise RowError(self.column("category"), why, category_text)
        return ImportedAppeal(
            external_id=external_id,
            created_at=created,
            closed_at=closed,
            public_reply=self.value(cells, "public_reply"),
            reporter_phone=phone,
            lat=lat,
            lon=lon,
            category_id=category_id,
            urgency=urgency,
            urgency_stated=bool(urgency_text),
            lead_organisation_id=lead,
            support_votes=support_votes,
            oppose_votes=oppose_votes,
            data=data,
            **fields,
        )


# What sources write for urgency or priority (compared case-folded).
URGENCY_WORDS = {
    **dict.fromkeys(["emergency", "特急", "特别紧急", "非常紧急", "critical", "p1"], "emergency"),
    **dict.fromkeys(["urgent", "紧急", "加急", "急", "较急", "high", "p2"], "urgent"),
    **dict.fromkeys(
        ["normal", "一般", "普通", "正常", "不急", "medium", "low", "standard", "p3"],
        "normal",
    ),
}


def organisations_by_name() -> dict[str, int]:
    """Active organisations by code, Chinese and English name (case-folded, spaces collapsed),
    for a source's agency column; a name two organisations share names neither."""
    from suqiu.directory.models import Organisation

    found: dict[str, set[int]] = {}
    for pk, *names in Organisation.objects.filter(is_active=True).values_list(
        "pk", "code", "name", "name_en"
    ):
        for name in names:
            key = name_key(name or "")
            if key:
                found.setdefault(key, set()).add(pk)
    return {key: next(iter(ids)) for key, ids in found.items() if len(ids) == 1}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def external_id_of(value) -> str:
    """The id as text; ``182773.0`` (an integer id that went through a float column of a
    spreadsheet or pandas) becomes ``182773``."""
    text = _text(value)
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


ANALYZE_EVERY = 20_000


def refresh_statistics() -> None:
    """PostgreSQL: ``ANALYZE`` the appeals table. The id look-up of each batch uses the unique
    (source, id) index only when the planner knows the source has many rows; a big import into
    a table whose statistics predate it (autovacuum off, or not yet run) would otherwise scan
    every row of the source per batch (287 ms instead of 3 ms per 1,000 ids at 100,000 rows).
    Cheap: ANALYZE samples at most 30,000 rows."""
    from django.db import connection

    from suqiu.appeals.models import Appeal

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Appeal._meta.db_table)}")


def _default_time(text: str, tz: ZoneInfo) -> datetime:
    """``--default-time``: a date or date and time, year first, a local time of ``tz``."""
    try:
        if not DEFAULT_TIME.match(text.strip()):
            raise DateError(_("write it year first"))
        when = parse_when(text.strip(), tz=tz)
    except DateError as exc:
        raise ReadError(
            _("--default-time %(text)r is not a date (YYYY-MM-DD, or YYYY-MM-DD HH:MM): %(error)s")
            % {"text": text, "error": exc}
        ) from None
    if when.year < clock.EARLIEST_YEAR or when > clock.now() + timedelta(days=1):
        raise ReadError(
            _("--default-time %(text)r is before 1900 or in the future") % {"text": text}
        )
    return when


def _mapping_for(table: Table, preset: str | None, mapping_file) -> Mapping:
    # A mistake in the mapping file itself is the file's, whatever sheet was read.
    loaded = (
        load_mapping(Path(mapping_file), default_source=Path(mapping_file).stem[:40])
        if mapping_file is not None
        else None
    )
    try:
        mapping = loaded if loaded is not None else choose(table.header, preset)
        mapping.bind(table.header)  # fail before anything is written
    except MappingError as exc:
        sheet = getattr(table, "sheet_name", None)
        if sheet is None:
            raise
        # A workbook's first sheet is often a cover note: say which sheet was read.
        raise MappingError(
            _("%(error)s (read sheet %(sheet)r; name another with --sheet)")
            % {"error": exc, "sheet": sheet}
        ) from exc
    return mapping


def _category_map(mapping: Mapping, categories_file) -> dict[str, str]:
    """The mapping file's ``categories`` table, then the ``--categories`` file's lines."""
    category_map: dict[str, str] = {}
    for text, code in mapping.categories:
        add_to_map(category_map, text, code, where=f"{mapping.name} categories")
    if categories_file:
        load_category_map(categories_file, category_map)
    return category_map


@dataclass
class CategoryText:
    text: str
    rows: int
    code: str  # the category the text becomes, "" for a new one
    how: str  # "map" (the category map), "name" (code or name matched), "new"


def list_categories(
    path: Path | str,
    *,
    preset: str | None = None,
    mapping_file: Path | str | None = None,
    categories_file: Path | str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    limit: int | None = None,
) -> list[CategoryText]:
    """The file's distinct category texts, commonest first, each with the Suqiu category an
    import would give it now — the template of a category map (of the first ``limit`` rows, when
    given). Writes nothing."""
    with open_table(Path(path), encoding=encoding, sheet=sheet) as table:
        mapping = _mapping_for(table, preset, mapping_file)
        resolver = CategoryResolver(category_map=_category_map(mapping, categories_file))
        mapper = RowMapper(mapping, table.header, resolver)
        counts: Counter = Counter()
        for read, (_number, cells) in enumerate(table):
            if limit is not None and read >= limit:
                break
            if not isinstance(cells, BadRow):
                text = " ".join(_text(mapper.value(cells, "category")).split())
                if text:
                    counts[text] += 1
    out = []
    for text, rows in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        pk, how = resolver.lookup(text)
        out.append(CategoryText(text, rows, resolver.codes.get(pk, ""), how))
    return out


def import_appeals(
    path: Path | str,
    *,
    preset: str | None = None,
    mapping_file: Path | str | None = None,
    source: str | None = None,
    errors_path: Path | str | None = None,
    batch_size: int = 1000,
    create_categories: bool = True,
    categories_file: Path | str | None = None,
    recategorise: bool = False,
    ids_from_content: bool = False,
    default_time: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    limit: int | None = None,
    progress: bool = True,
    progress_file=None,
) -> Summary:
    """Import the appeals in ``path``; returns the summary. Raises ``readers.ReadError`` or
    ``presets.MappingError`` (nothing written) when the file or mapping cannot work at all.

    ``recategorise``: the rows already imported (same source, id and title) take the category
    the file and the category map give them now, and the urgency and lead organisation the file
    gives (``services.appeal_correct_history``): for a map corrected after the first import, an
    urgency column mapped only now, organisations created after it; what a row does not give
    (no category, no urgency column, an agency that is none of ours) stays as it is.

    ``ids_from_content``: a row without an id gets one from its content (``RowMapper.content_id``)
    instead of being a bad row. ``default_time`` (``2019-12-31``, ``2019-12-31 18:00``: a local
    time of the mapping's zone): the creation time of rows that have none, instead of a bad row;
    one that cannot be read, is before 1900 or in the future raises ``ReadError``."""
    started = time.perf_counter()
    try:
        services.default_area()
    except ApplicationError:
        raise ReadError(
            _(
                "no district is configured yet, so imported appeals would have no area: create "
                "one in the admin (/admin/, organisations, kind district), or load the demo "
                "directory with `suqiu demo`; nothing was imported"
            )
        ) from None
    path = Path(path)
    summary = Summary(path=str(path))
    note = None
    if progress:

        def note(text: str) -> None:
            print(f"{path.name}: {text}", file=progress_file or sys.stderr, flush=True)

    table: Table = open_table(path, encoding=encoding, sheet=sheet, note=note)
    with table:
        mapping = _mapping_for(table, preset, mapping_file)
        source = source or mapping.source
        if not 1 <= len(source) <= 40:
            from suqiu.imports.presets import MappingError

            raise MappingError(_("the source name must be 1 to 40 characters"))
        summary.mapping, summary.source = mapping.name, source
        categories = CategoryResolver(
            create=create_categories, category_map=_category_map(mapping, categories_file)
        )
        mapper = RowMapper(
            mapping,
            table.header,
            categories,
            ids_from_content=ids_from_content,
            default_time=default_time,
        )
        report_path = Path(errors_path) if errors_path else default_errors_path(path)
        _check_report_path(report_path, path)
        summary.errors_path = str(report_path)
        report = ErrorReport(report_path)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(
                total=table.total,
                unit=table.unit,
                unit_scale=table.unit == "B",
                file=progress_file or sys.stderr,
                desc=path.name,
                dynamic_ncols=True,
            )
        shown = 0
        analyzed_at = 0
        refresh_statistics()

        def fail(number: int, external_id: str, target: str, reason: str, value="") -> None:
            summary.failed += 1
            summary.reasons[f"{target}: {reason}"] += 1
            report.add(number, external_id, target, reason, value)

        handled: set[str] = set()  # with recategorise: the ids this run created or corrected

        def flush(batch: list[ImportedAppeal]) -> None:
            nonlocal shown, analyzed_at
            if batch:
                outcome = services.appeal_import_history(source=source, rows=batch)
                summary.created += outcome.created
                # The map's rows that were stored now (the rows already present count below
                # when they are re-categorised).
                present = {id(row) for row, _title in outcome.present}
                summary.categories_mapped += sum(
                    1 for row in batch if id(row) in by_map and id(row) not in present
                )
                summary.led_by_organisation += sum(
                    1 for row in batch if row.lead_organisation_id and id(row) not in present
                )
                if summary.created - analyzed_at >= ANALYZE_EVERY:
                    refresh_statistics()
                    analyzed_at = summary.created
                again = []
                if recategorise:
                    # An id the file repeats: its first row speaks for it, as at creation (else
                    # every run would correct it back and forth between its rows).
                    handled.update(row.external_id for row in batch if id(row) not in present)
                for row, stored_title in outcome.present:
                    if row.data.get("truncated"):
                        summary.truncated -= 1  # counted when read; not stored after all
                    # A content id says the content is the same, whatever the title's form (a
                    # title that was its description's start, or none).
                    if stored_title == row.title.strip() or row.data.get("content_id"):
                        summary.already_present += 1
                        summary.repeated += id(row) in repeats
                        if recategorise and row.external_id not in handled:
                            handled.add(row.external_id)
                            again.append(
                                services.HistoryCorrection(
                                    external_id=row.external_id,
                                    row=row.data["row"],
                                    category_id=row.category_id,
                                    # Only what the file says: an urgency in its cell (a
                                    # blank one lowers nothing), an agency that names one of
                                    # the organisations.
                                    urgency=row.urgency if row.urgency_stated else None,
                                    lead_organisation_id=row.lead_organisation_id,
                                )
                            )
                            if row.category_id is not None:
                                summary.categories_mapped += id(row) in by_map
                    else:
                        fail(
                            row.data["row"],
                            row.external_id,
                            mapper.column("external_id"),
                            _(
                                "id already imported with another title (another export's "
                                "numbering? import it with its own --source)"
                            ),
                            stored_title,
                        )
                if again:
                    summary.corrected += services.appeal_correct_history(source=source, rows=again)
                batch.clear()
                by_map.clear()
                repeats.clear()
            if bar is not None:
                here = table.position()
                bar.update(here - shown)
                shown = here

        try:
            batch: list[ImportedAppeal] = []
            by_map: set[int] = set()  # id() of the batch's rows whose category the map set
            repeats: set[int] = set()  # id() of the batch's rows repeating an earlier content id
            # The content ids read so far, as numbers (about 60 bytes a row without an id).
            content_ids: set[int] = set()
            for number, cells in table:
                if limit is not None and summary.rows_read >= limit:
                    break
                summary.rows_read += 1
                if isinstance(cells, BadRow):
                    # The id, when its own cell reads well: the report points at the record.
                    raw_id = mapper.value(cells.cells, "external_id") if cells.cells else ""
                    readable = raw_id and undecodable([str(raw_id)]) is None
                    fail(number, external_id_of(raw_id) if readable else "", "row", cells.reason)
                    continue
                try:
                    row = mapper.map(number, cells)
                except RowError as exc:
                    raw_id = mapper.value(cells, "external_id")
                    fail(number, external_id_of(raw_id), exc.target, exc.reason, exc.value)
                    continue
                if row.data.get("truncated"):
                    summary.truncated += 1
                if categories.last_by_map:
                    by_map.add(id(row))
                if row.data.get("content_id"):
                    summary.content_ids += 1
                    digest = int(row.external_id.removeprefix(CONTENT_ID_PREFIX), 16)
                    if digest in content_ids:
                        repeats.add(id(row))
                    content_ids.add(digest)
                if row.data.get("default_time"):
                    summary.default_times += 1
                batch.append(row)
                if len(batch) >= batch_size:
                    flush(batch)
        except DamagedFile as exc:
            # The file is damaged past this point: the rows read before it are kept.
            flush(batch)
            raise DamagedFile(
                f"{exc}; stopped there: {summary.rows_read} rows read, {summary.created} "
                f"imported, {summary.already_present} already present, {summary.failed} failed "
                "(repair or re-export the file and import it again: nothing is imported twice)"
            ) from exc
        else:
            flush(batch)
        finally:
            report.close()
            if bar is not None:
                bar.close()
    summary.categories_created = categories.created
    summary.seconds = time.perf_counter() - started
    return summary
