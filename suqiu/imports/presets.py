"""Column mappings: which source column feeds which appeal field, for known exports and custom ones.

A ``Mapping`` maps *target fields* to one or more *source columns*. Columns missing from the
file's header are ignored, so a list can name the alternatives different exports use
(``一级标签`` or ``一级分类``). Per row, the text targets ``title``, ``description``,
``public_reply`` and ``address`` join the non-empty values of their columns (distinct values,
in order); every other target takes the first non-empty one.

Presets (``--preset``; without it the file's header picks one: the first preset whose
``detect`` columns are all in the header):

- ``gov-zh``: the Chinese government message-board export (网络问政平台: 留言编号, 留言用户,
  留言主题, 留言时间, 留言详情, 一级标签/一级分类, 答复意见, 答复时间, 点赞数, 反对数); times
  are local times of the deployment (``TIME_ZONE``);
- ``us311-sf``, ``us311-nyc``, ``us311-la``, ``us311-boston``: the 311 open-data exports of
  San Francisco, New York, Los Angeles and Boston (``--preset us311`` picks the city by header);
  naive times are the city's local time. SF's carry ``+00:00`` but are Pacific local times (phone
  requests peak from 08:00 to 17:00 as written): the preset reads them as written, in
  America/Los_Angeles, ignoring the offset (``ignore_offset``).

A custom mapping (``--mapping FILE.json`` or ``.toml``)::

    source = "hotline-2019"            # external_source (default: the file name's stem)
    time_zone = "Asia/Shanghai"        # of naive times (default: TIME_ZONE)
    date_formats = ["%Y年%m月%d日 %H时%M分"]   # strptime patterns tried before the built-in ones
    dayfirst = false                   # 05/01/2019 is 5 January when true (default: US, 1 May)
    ignore_offset = false              # true: a time's own offset (+00:00) is ignored, its clock
                                       # time read in time_zone (an export that labels local
                                       # times as UTC)

    [columns]
    external_id = "工单编号"
    title = "标题"
    description = ["诉求内容", "补充说明"]
    created_at = "受理时间"
    closed_at = "办结时间"
    public_reply = "办理结果"
    category = "诉求类别"

    [categories]                       # source category text → Suqiu category code
    "道路破损" = "ROAD.POTHOLE"
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

# Every target field a mapping may name, and what it becomes.
TARGETS = {
    "external_id": "the id in the source system (required)",
    "title": "title; when missing, the start of the description",
    "description": "the appeal's text; when missing, the title",
    "created_at": "when the appeal was made (required)",
    "closed_at": "when it was closed or answered (else: the creation time)",
    "public_reply": "the official reply shown to the public",
    "category": "category: code, Chinese or English name",
    "reporter_name": "the reporter's name or user id",
    "reporter_phone": "the reporter's phone",
    "address": "address text",
    "lat": "latitude (WGS-84)",
    "lon": "longitude (WGS-84)",
    "support_votes": "点赞数",
    "oppose_votes": "反对数",
    "urgency": "the source's urgency or priority: emergency / urgent / normal (特急 / 紧急 / "
    "一般, high / low ...; empty: normal)",
    "status": "the source's status (kept in the event data)",
    "agency": "the handling agency in the source (kept in the event data; when it is the code "
    "or name of an organisation here, that organisation led the appeal)",
    "channel": "the source's intake channel (kept in the event data)",
}
JOINED = {"title": " - ", "description": "\n", "public_reply": "\n\n", "address": ", "}


class MappingError(ValueError):
    """A mapping that cannot work with this file (unknown target, required column missing...)."""


@dataclass(frozen=True)
class Mapping:
    name: str
    source: str
    columns: dict[str, tuple[str, ...]]
    detect: tuple[str, ...] = ()
    time_zone: str | None = None  # None: settings.TIME_ZONE
    date_formats: tuple[str, ...] = ()
    dayfirst: bool = False
    # True: a time's own offset is ignored and its wall-clock time read in ``time_zone`` (an
    # export that writes local times with a wrong "+00:00").
    ignore_offset: bool = False
    notes: dict = field(default_factory=dict)
    # Source category text → Suqiu category code (see ``categories.CategoryResolver``).
    categories: tuple[tuple[str, str], ...] = ()

    def bind(self, header: list[str]) -> dict[str, list[int]]:
        """Target → indexes of its columns present in ``header``; MappingError when a required
        target has none of its columns."""
        where = {name: i for i, name in reversed(list(enumerate(header)))}
        bound = {
            target: [where[c] for c in cols if c in where] for target, cols in self.columns.items()
        }
        bound = {t: idx for t, idx in bound.items() if idx}
        missing = [t for t in ("external_id", "created_at") if t not in bound]
        if "title" not in bound and "description" not in bound:
            missing.append("title or description")
        if missing:
            wanted = "; ".join(
                f"{t}: " + " or ".join(self.columns[t]) for t in missing if self.columns.get(t)
            )
            message = _("mapping %(name)r: the file has no column for %(missing)s") % {
                "name": self.name,
                "missing": ", ".join(missing),
            }
            if wanted:
                message += _(" (looked for %(wanted)s)") % {"wanted": wanted}
            raise MappingError(message)
        return bound


def _cols(**columns) -> dict[str, tuple[str, ...]]:
    return {k: (v,) if isinstance(v, str) else tuple(v) for k, v in columns.items()}


PRESETS: dict[str, Mapping] = {
    "gov-zh": Mapping(
        name="gov-zh",
        source="gov-zh",
        detect=("留言编号", "留言主题", "留言时间"),
        columns=_cols(
            external_id="留言编号",
            reporter_name="留言用户",
            title="留言主题",
            created_at="留言时间",
            description="留言详情",
            category=["一级标签", "一级分类"],
            public_reply="答复意见",
            closed_at="答复时间",
            support_votes="点赞数",
            oppose_votes="反对数",
        ),
    ),
    "us311-sf": Mapping(
        name="us311-sf",
        source="us311-sf",
        detect=("unique_key", "created_date", "status_notes", "agency_name"),
        time_zone="America/Los_Angeles",
        # "2016-07-13 15:11:07+00:00" is 15:11 in San Francisco: the export labels its local
        # times as UTC (phone requests peak 08:00-17:00 as written, at night if they were UTC).
        ignore_offset=True,
        columns=_cols(
            external_id="unique_key",
            created_at="created_date",
            closed_at="closed_date",
            category="category",
            title=["category", "complaint_type"],
            description=["complaint_type", "descriptor"],
            public_reply="status_notes",
            address="incident_address",
            lat="latitude",
            lon="longitude",
            status="status",
            agency="agency_name",
            channel="source",
        ),
    ),
    "us311-nyc": Mapping(
        name="us311-nyc",
        source="us311-nyc",
        detect=("Unique Key", "Created Date", "Complaint Type"),
        time_zone="America/New_York",
        columns=_cols(
            external_id="Unique Key",
            created_at="Created Date",
            closed_at="Closed Date",
            category="Complaint Type",
            title=["Complaint Type", "Descriptor"],
            description=["Complaint Type", "Descriptor", "Location Type"],
            public_reply="Resolution Description",
            address=["Incident Address", "City", "Incident Zip"],
            lat="Latitude",
            lon="Longitude",
            status="Status",
            agency=["Agency Name", "Agency"],
            channel="Open Data Channel Type",
        ),
    ),
    "us311-la": Mapping(
        name="us311-la",
        source="us311-la",
        detect=("SRNumber", "CreatedDate", "RequestType"),
        time_zone="America/Los_Angeles",
        columns=_cols(
            external_id="SRNumber",
            created_at="CreatedDate",
            closed_at="ClosedDate",
            category="RequestType",
            title="RequestType",
            description=["RequestType", "ActionTaken"],
            address="Address",
            lat="Latitude",
            lon="Longitude",
            status="Status",
            agency="Owner",
            channel="RequestSource",
        ),
    ),
    "us311-boston": Mapping(
        name="us311-boston",
        source="us311-boston",
        detect=("case_enquiry_id", "open_dt", "case_title"),
        time_zone="America/New_York",
        columns=_cols(
            external_id="case_enquiry_id",
            created_at="open_dt",
            closed_at="closed_dt",
            category="type",
            title="case_title",
            description=["case_title", "type", "reason"],
            public_reply="closure_reason",
            address="location",
            lat="latitude",
            lon="longitude",
            status="case_status",
            agency=["department", "queue"],
            channel="source",
        ),
    ),
}
# ``--preset us311``: whichever city's export the header is.
FAMILIES = {"us311": [n for n in PRESETS if n.startswith("us311-")]}


def detect(header: list[str], candidates: list[str] | None = None) -> Mapping | None:
    present = set(header)
    for name in candidates or list(PRESETS):
        preset = PRESETS[name]
        if preset.detect and set(preset.detect) <= present:
            return preset
    return None


def choose(header: list[str], preset: str | None) -> Mapping:
    """The preset named (or, for a family or None, the one the header identifies)."""
    if preset is not None and preset in PRESETS:
        return PRESETS[preset]
    if preset is not None and preset not in FAMILIES:
        raise MappingError(
            _("unknown preset %(preset)r; one of %(presets)s")
            % {"preset": preset, "presets": ", ".join([*PRESETS, *FAMILIES])}
        )
    found = detect(header, FAMILIES.get(preset) if preset else None)
    if found is None:
        # A header can be anything (a binary file's first line): 12 names of 40 characters.
        shown = ", ".join(h if len(h) <= 40 else h[:40] + "…" for h in header[:12]) + (
            " …" if len(header) > 12 else ""
        )
        if preset:
            raise MappingError(
                _(
                    "the header (%(shown)s) is none of the %(preset)s exports (%(exports)s); "
                    "name another preset or give --mapping FILE"
                )
                % {"shown": shown, "preset": preset, "exports": ", ".join(FAMILIES[preset])}
            )
        raise MappingError(
            _(
                "cannot tell the export's format from its header (%(shown)s); name one with "
                "--preset or give --mapping FILE"
            )
            % {"shown": shown}
        )
    return found


def read_bytes(path: Path) -> bytes:
    """A mapping or category-map file's bytes; MappingError when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MappingError(
            _("cannot read %(path)s: %(reason)s") % {"path": path, "reason": exc.strerror}
        ) from exc


def load_mapping(path: Path, *, default_source: str) -> Mapping:
    """A custom mapping from JSON or TOML (see the module docstring)."""
    path = Path(path)
    if path.suffix.lower() not in (".json", ".toml"):
        raise MappingError(
            _("%(name)s: a mapping file is .json or .toml (see docs/importing.md)")
            % {"name": path.name}
        )
    raw = read_bytes(path)
    try:
        if path.suffix.lower() == ".toml":
            doc = tomllib.loads(raw.decode("utf-8"))
        else:
            doc = json.loads(raw.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        kind = path.suffix.lstrip(".") or "JSON"
        raise MappingError(
            _("%(name)s is not valid %(kind)s: %(error)s")
            % {"name": path.name, "kind": kind, "error": exc}
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), dict):
        raise MappingError(
            _("%(name)s: needs a 'columns' table (target field → column)") % {"name": path.name}
        )
    known = {
        "source",
        "time_zone",
        "date_formats",
        "dayfirst",
        "ignore_offset",
        "columns",
        "categories",
    }
    unknown_keys = set(doc) - known
    if unknown_keys:
        raise MappingError(
            _("%(name)s: unknown keys %(keys)s") % {"name": path.name, "keys": sorted(unknown_keys)}
        )
    columns: dict[str, tuple[str, ...]] = {}
    for target, cols in doc["columns"].items():
        if target not in TARGETS:
            raise MappingError(
                _("%(name)s: unknown target field %(target)r; one of %(targets)s")
                % {"name": path.name, "target": target, "targets": ", ".join(TARGETS)}
            )
        if isinstance(cols, str):
            cols = [cols]
        if not isinstance(cols, list) or not cols or not all(isinstance(c, str) for c in cols):
            raise MappingError(
                _("%(name)s: %(target)s must be a column name or a list of them")
                % {"name": path.name, "target": target}
            )
        columns[target] = tuple(c.strip() for c in cols)
    formats = doc.get("date_formats", [])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise MappingError(
            _("%(name)s: date_formats must be a list of strptime patterns") % {"name": path.name}
        )
    source = doc.get("source") or default_source
    if not isinstance(source, str) or not 1 <= len(source) <= 40:
        raise MappingError(_("%(name)s: source must be 1 to 40 characters") % {"name": path.name})
    zone = doc.get("time_zone")
    if zone is not None:
        _check_zone(zone)
    dayfirst = doc.get("dayfirst", False)
    if not isinstance(dayfirst, bool):  # "false" is text, and text is true to Python
        raise MappingError(
            _("%(name)s: %(key)s must be true or false, not %(value)r")
            % {"name": path.name, "key": "dayfirst", "value": dayfirst}
        )
    ignore_offset = doc.get("ignore_offset", False)
    if not isinstance(ignore_offset, bool):
        raise MappingError(
            _("%(name)s: %(key)s must be true or false, not %(value)r")
            % {"name": path.name, "key": "ignore_offset", "value": ignore_offset}
        )
    categories = doc.get("categories", {})
    if not isinstance(categories, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in categories.items()
    ):
        raise MappingError(
            _("%(name)s: categories must map source texts to category codes") % {"name": path.name}
        )
    return Mapping(
        name=path.name,
        source=source,
        columns=columns,
        time_zone=zone,
        date_formats=tuple(formats),
        dayfirst=dayfirst,
        ignore_offset=ignore_offset,
        categories=tuple(categories.items()),
    )


def _check_zone(name) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise MappingError(_("unknown time zone %(zone)r") % {"zone": name}) from exc
