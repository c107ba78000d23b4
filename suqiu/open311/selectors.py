"""What GeoReport v2 GET methods show: services, service definitions and service requests.

Open311 reads are public (no sign-in), like the tracking page: anyone may read any appeal's
*public* facts. So instead of the actor-scoped ``appeals.selectors`` (which hands out whole rows),
the request list reads an explicit whitelist of non-personal columns with ``values()``: reporter
name, phone, user, internal notes and the description of appeals from other channels are never
even loaded. One query per page: categories, lead organisation, the Open311 submission and the
latest public event text are joined or sub-selected in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from suqiu.appeals.models import Appeal, AppealEvent, Channel
from suqiu.appeals.workflow import STATUS_LABELS, TERMINAL, Status
from suqiu.core.errors import NotFound
from suqiu.directory.models import Category
from suqiu.open311.models import LIST_DATATYPES, ServiceAttribute

CLOSED_STATUSES = sorted(s.value for s in TERMINAL)


def open311_status(status: str) -> str:
    """GeoReport v2 knows only open and closed: closed, rejected and merged are closed."""
    return "closed" if status in CLOSED_STATUSES else "open"


def w3(moment: datetime | None) -> str | None:
    """ISO 8601 with the zone offset (the spec's w3 format), in the deployment's time zone."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _english(lang: str) -> bool:
    return lang.startswith("en")


# --- Services ------------------------------------------------------------------------------------


def service_list(*, lang: str) -> list[dict]:
    """Every active category as a service; ``group`` is the top-level category's name."""
    categories = list(
        Category.objects.filter(is_active=True)
        .only("id", "code", "name", "name_en", "path", "parent_id")
        .order_by("path")
    )
    names = {c.pk: c.label(lang) for c in Category.objects.only("id", "name", "name_en")}
    with_attributes = set(ServiceAttribute.objects.values_list("category_id", flat=True).distinct())
    out = []
    for cat in categories:
        top_id = cat.ancestors_and_self_ids()[0] if cat.path else cat.pk
        keywords = [k for k in (cat.name, cat.name_en) if k]
        out.append(
            {
                "service_code": cat.code,
                "service_name": cat.label(lang),
                "description": cat.label(lang),
                "metadata": cat.pk in with_attributes,
                "type": "realtime",
                "keywords": ", ".join(keywords),
                "group": names.get(top_id, cat.label(lang)),
            }
        )
    return out


def active_category(code: str) -> Category:
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise NotFound(_("Unknown service_code %(code)r.") % {"code": code})
    return category


def definition_of(category: Category) -> list[ServiceAttribute]:
    return list(ServiceAttribute.objects.filter(category=category).order_by("order", "code"))


def service_definition(*, code: str) -> dict:
    category = active_category(code)
    attributes = []
    for attr in definition_of(category):
        attributes.append(
            {
                "variable": attr.variable,
                "code": attr.code,
                "datatype": attr.datatype,
                "required": attr.required,
                "datatype_description": attr.datatype_description or None,
                "order": attr.order,
                "description": attr.description,
                "values": [
                    {"key": str(v.get("key")), "name": str(v.get("name", ""))}
                    for v in (attr.values or [])
                ]
                if attr.datatype in LIST_DATATYPES
                else [],
            }
        )
    return {"service_code": category.code, "attributes": attributes}


# --- Service requests ----------------------------------------------------------------------------

PUBLIC_DECIMALS = 3  # of an appeal's point not sent over Open311: about 110 m

_COLUMNS = (
    "id",
    "tracking_code",
    "status",
    "channel",
    "created_at",
    "updated_at",
    "due_at",
    "address",
    "lat",
    "lon",
    "public_reply",
    "merged_into__tracking_code",
    "category__code",
    "category__name",
    "category__name_en",
    "lead_organisation__name",
    "lead_organisation__name_en",
    "open311_submission__id",
    "open311_submission__description",
    "open311_submission__media_url",
    "open311_submission__address_id",
    "latest_public_text",
)


def _rows():
    latest_public_text = (
        AppealEvent.objects.filter(appeal=OuterRef("pk"), is_public=True)
        .exclude(public_text="")
        .order_by("-created_at", "-id")
        .values("public_text")[:1]
    )
    return Appeal.objects.annotate(latest_public_text=Subquery(latest_public_text)).values(
        *_COLUMNS
    )


@dataclass
class RequestQuery:
    """The filters of GET requests, already parsed and checked."""

    ids: list[str] | None = None
    service_codes: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[str] | None = None  # "open", "closed"
    updated_after: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat
    page: int = 1
    page_size: int = 1000


def request_list(query: RequestQuery, *, lang: str) -> list[dict]:
    qs = _rows()
    if query.ids is not None:
        # The spec: service_request_id overrides all other arguments.
        qs = qs.filter(tracking_code__in=query.ids)
    else:
        if query.service_codes:
            qs = qs.filter(category__code__in=query.service_codes)
        if query.start is not None:
            qs = qs.filter(created_at__gte=query.start)
        if query.end is not None:
            qs = qs.filter(created_at__lte=query.end)
        if query.statuses and set(query.statuses) != {"open", "closed"}:
            if "closed" in query.statuses:
                qs = qs.filter(status__in=CLOSED_STATUSES)
            else:
                qs = qs.exclude(status__in=CLOSED_STATUSES)
        if query.updated_after is not None:
            qs = qs.filter(updated_at__gt=query.updated_after)
        if query.bbox is not None:
            min_lon, min_lat, max_lon, max_lat = query.bbox
            qs = qs.filter(
                Q(lat__gte=min_lat, lat__lte=max_lat, lon__gte=min_lon, lon__lte=max_lon)
            )
    offset = (query.page - 1) * query.page_size
    qs = qs.order_by("-created_at", "-id")[offset : offset + query.page_size]
    return [present(row, lang=lang) for row in qs]


def request_detail(code: str, *, lang: str) -> dict:
    row = _rows().filter(tracking_code=code).first()
    if row is None:
        raise NotFound(_("Unknown service_request_id %(id)r.") % {"id": code})
    return present(row, lang=lang)


def present(row: dict, *, lang: str) -> dict:
    """One GeoReport v2 request from a row of ``_COLUMNS``: no personal data in, none out."""
    english = _english(lang)
    status = row["status"]
    notes = row["latest_public_text"] or row["public_reply"] or None
    if status == Status.MERGED and row["merged_into__tracking_code"]:
        notes = _("Merged into %(code)s.") % {"code": row["merged_into__tracking_code"]}
    agency = (
        (row["lead_organisation__name_en"] if english else "") or row["lead_organisation__name"]
    ) or None
    service_name = (row["category__name_en"] if english else "") or row["category__name"] or ""
    submitted = row["open311_submission__id"] is not None
    # The citizen's text, address and exact point are public only when they sent them through
    # this public protocol. Of appeals taken in otherwise (a phone call, a web form, a walk-in:
    # "碧岭华庭1栋1单元" next to "房东不退押金") the list shows no address and the point to
    # about a hundred metres (three decimals), enough for a map of the district.
    public = submitted and row["channel"] == Channel.OPEN311
    description = row["open311_submission__description"] if public else None
    lat, lon = row["lat"], row["lon"]
    if not public and lat is not None and lon is not None:
        lat, lon = round(lat, PUBLIC_DECIMALS), round(lon, PUBLIC_DECIMALS)
    return {
        "service_request_id": row["tracking_code"],
        "status": open311_status(status),
        "status_notes": notes,
        "service_name": service_name,
        "service_code": row["category__code"] or "",
        "description": description,
        "agency_responsible": agency,
        "service_notice": str(STATUS_LABELS[Status(status)]),
        "requested_datetime": w3(row["created_at"]),
        "updated_datetime": w3(row["updated_at"]),
        "expected_datetime": w3(row["due_at"]),
        "address": (row["address"] or None) if public else None,
        "address_id": (row["open311_submission__address_id"] or None) if submitted else None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": (row["open311_submission__media_url"] or None) if submitted else None,
    }
