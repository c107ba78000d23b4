"""GeoReport v2 endpoints under ``/open311/v2/``: thin adapters over selectors and services.

Every response is in the format the URL names (``.json`` or ``.xml``), errors included: a list of
``{code, description}`` with 403 for a missing or bad ``api_key``, 404 for an unknown service or
request, 429 when a client exceeds its rate limit and 400 for anything else. No request ends in a
500: an unexpected failure is logged and answered as the spec's "general service error" (400).
"""

from __future__ import annotations

import functools
import logging
import math
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from suqiu.appeals.tracking import normalise_code
from suqiu.appeals.workflow import STATUS_LABELS, Status
from suqiu.core import clock, ratelimit
from suqiu.core.errors import (
    ApplicationError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from suqiu.open311 import conf, selectors, services
from suqiu.open311.attributes import submitted_attributes
from suqiu.open311.models import ApiClient, ServiceAttribute
from suqiu.open311.render import FORMATS, error_response, respond

logger = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


class Open311Error(Exception):
    """A refusal with an HTTP status and one description per problem."""

    def __init__(self, status: int, *descriptions: str, headers: dict | None = None):
        super().__init__("; ".join(str(d) for d in descriptions))
        self.status = status
        self.descriptions = [str(d) for d in descriptions]
        self.headers = headers or {}


# Our service fields → the Open311 names a client sent.
_FIELD_NAMES = {"reporter_phone": "phone", "lon": "long", "title": "description"}


def _from_application_error(exc: ApplicationError) -> Open311Error:
    if isinstance(exc, NotFound):
        status = 404
    elif isinstance(exc, PermissionDenied | NotAuthenticated):
        status = 403
    elif isinstance(exc, RateLimited):
        retry = str(exc.extra.get("retry_after", 60))
        return Open311Error(429, exc.message, headers={"Retry-After": retry})
    else:
        status = 400
    descriptions = []
    for name, messages in exc.fields.items():
        for message in messages:
            if name == "attribute":
                descriptions.append(str(message))
            else:
                descriptions.append(f"{_FIELD_NAMES.get(name, name)}: {message}")
    return Open311Error(status, *(descriptions or [exc.message]))


def endpoint(*methods: str):
    """Wrap a view taking ``(request, fmt, **kwargs)``: format, method, jurisdiction and language
    checks, and the mapping of every failure to a GeoReport v2 error in the requested format."""

    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, fmt: str, **kwargs):
            out_fmt = fmt if fmt in FORMATS else "xml"
            try:
                if fmt not in FORMATS:
                    raise Open311Error(
                        400, _("Unknown format %(fmt)r; use json or xml.") % {"fmt": fmt}
                    )
                if request.method not in allowed:
                    raise Open311Error(
                        405,
                        _("Method %(method)s is not allowed here.") % {"method": request.method},
                        headers={"Allow": ", ".join(sorted(allowed))},
                    )
                params = request.POST if request.method == "POST" else request.GET
                lang = _language(params.get("lang") or request.GET.get("lang") or "")
                with translation.override(lang):
                    # PostgreSQL cannot store a NUL character: refused on every database alike.
                    for name, values in [*request.GET.lists(), *request.POST.lists()]:
                        if "\x00" in name or any("\x00" in v for v in values):
                            raise Open311Error(
                                400,
                                _("Parameter %(name)s must not contain a NUL character.")
                                % {"name": name.replace("\x00", "")},
                            )
                    _check_jurisdiction(
                        params.get("jurisdiction_id") or request.GET.get("jurisdiction_id")
                    )
                    try:
                        return view(request, fmt, lang=lang, params=params, **kwargs)
                    except ApplicationError as exc:
                        raise _from_application_error(exc) from exc
            except Open311Error as exc:
                return error_response(out_fmt, exc.status, exc.descriptions, **exc.headers)
            except Exception:  # noqa: BLE001 - the spec's "general service error", never a 500
                logger.exception("open311 request failed")
                return error_response(
                    out_fmt, 400, [_("General service error; please try again later.")]
                )

        return wrapper

    return decorate


def _language(value: str) -> str:
    if not value:
        return translation.get_language() or "zh-hans"
    try:
        return translation.get_supported_language_variant(value.strip().lower())
    except LookupError:
        raise Open311Error(
            400, _("Unsupported lang %(lang)r; use zh or en.") % {"lang": value}
        ) from None


def _check_jurisdiction(value: str | None) -> None:
    if value and value.strip() != conf.get("SUQIU_OPEN311_JURISDICTION"):
        raise Open311Error(400, _("Unknown jurisdiction_id %(id)r.") % {"id": value})


# --- Discovery and services ----------------------------------------------------------------------


@endpoint("GET")
def discovery(request, fmt, *, lang, params):
    latest = ServiceAttribute.objects.order_by("-updated_at").values_list("updated_at", flat=True)
    changed = latest.first()
    changeset = (
        timezone.localtime(changed).strftime("%Y-%m-%d %H:%M") if changed else "2025-01-01 00:00"
    )
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "xml"}))
    url = base.rsplit("/", 1)[0]
    data = {
        "changeset": changeset,
        "contact": conf.get("SUQIU_OPEN311_CONTACT"),
        "key_service": conf.get("SUQIU_OPEN311_KEY_SERVICE"),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": changeset,
                "type": conf.get("SUQIU_OPEN311_ENDPOINT_TYPE"),
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", data)


@endpoint("GET")
def service_list(request, fmt, *, lang, params):
    return respond(fmt, "services", selectors.service_list(lang=lang))


@endpoint("GET")
def service_definition(request, fmt, *, lang, params, service_code):
    return respond(fmt, "service_definition", selectors.service_definition(code=service_code))


# --- Service requests ----------------------------------------------------------------------------


@endpoint("GET", "POST")
def requests_view(request, fmt, *, lang, params):
    if request.method == "POST":
        return _post_request(request, fmt, params)
    query = parse_request_query(params)
    return respond(fmt, "service_requests", selectors.request_list(query, lang=lang))


@endpoint("GET")
def request_detail(request, fmt, *, lang, params, service_request_id):
    code = normalise_code(service_request_id)
    if code is None:
        raise Open311Error(
            404, _("Unknown service_request_id %(id)r.") % {"id": service_request_id}
        )
    return respond(fmt, "service_requests", [selectors.request_detail(code, lang=lang)])


def _moment(name: str, raw: str) -> datetime:
    value = raw.strip()
    # An unencoded "+08:00" in a query string arrives as " 08:00".
    if "T" in value and " " in value:
        value = value.replace(" ", "+")
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is not None:
                moment = datetime(day.year, day.month, day.day)
    except ValueError:
        moment = None
    if moment is None or not clock.in_calendar(moment):
        raise Open311Error(
            400,
            _("%(name)s must be a w3 date-time such as 2010-01-01T00:00:00Z.") % {"name": name},
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _split(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _positive_int(params, name: str, default: int, *, maximum: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not (1 <= int(raw) <= maximum):
        raise Open311Error(
            400,
            _("%(name)s must be a whole number from 1 to %(max)d.")
            % {"name": name, "max": maximum},
        )
    return int(raw)


def parse_request_query(params) -> selectors.RequestQuery:
    """GET requests arguments → a checked ``RequestQuery`` (400 on anything malformed)."""
    limit = int(conf.get("SUQIU_OPEN311_MAX_REQUESTS"))
    window = timedelta(days=int(conf.get("SUQIU_OPEN311_WINDOW_DAYS")))
    problems: list[str] = []
    query = selectors.RequestQuery(page_size=limit)
    try:
        query.page = _positive_int(params, "page", 1, maximum=10**6)
        query.page_size = _positive_int(params, "page_size", limit, maximum=limit)
    except Open311Error as exc:
        problems += exc.descriptions
    ids = _split(params.get("service_request_id"))
    if ids:
        codes = [normalise_code(i) for i in ids[:limit]]
        query.ids = [c for c in codes if c]
    statuses = [s.lower() for s in _split(params.get("status"))]
    bad = [s for s in statuses if s not in ("open", "closed")]
    if bad:
        problems.append(_("status must be open or closed."))
    query.statuses = statuses or None
    query.service_codes = _split(params.get("service_code")) or None
    moments = {}
    for name in ("start_date", "end_date", "updated_after"):
        if (params.get(name) or "").strip():
            try:
                moments[name] = _moment(name, params[name])
            except Open311Error as exc:
                problems += exc.descriptions
    bbox_raw = (params.get("bbox") or "").strip()
    if bbox_raw:
        try:
            parts = [float(p) for p in bbox_raw.split(",")]
            if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
                raise ValueError
            min_lon, min_lat, max_lon, max_lat = parts
            if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
                raise ValueError
            query.bbox = (min_lon, min_lat, max_lon, max_lat)
        except ValueError:
            problems.append(_("bbox must be min_long,min_lat,max_long,max_lat in WGS-84."))
    if problems:
        raise Open311Error(400, *problems)
    start, end = moments.get("start_date"), moments.get("end_date")
    if start and end:
        if end < start:
            raise Open311Error(400, _("end_date is before start_date."))
        if end - start > window:
            raise Open311Error(
                400,
                _("start_date to end_date may not span more than %(days)d days.")
                % {"days": window.days},
            )
    elif start:
        end = start + window
    elif end:
        start = end - window
    elif "updated_after" not in moments:
        start = clock.now() - window
    query.start, query.end = start, end
    query.updated_after = moments.get("updated_after")
    return query


def _client(params) -> ApiClient:
    raw = (params.get("api_key") or "").strip()
    if not raw:
        raise Open311Error(403, _("Missing api_key: posting a request needs an API key."))
    client = ApiClient.authenticate(raw)
    if client is None:
        raise Open311Error(403, _("Invalid api_key received; it is unknown or revoked."))
    ratelimit.hit("open311", str(client.pk), limit=client.rate_limit_per_minute, window_seconds=60)
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=clock.now())
    return client


def _limited(params, name: str, maximum: int, problems: list[str]) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > maximum:
        problems.append(_("%(name)s: at most %(n)d characters.") % {"name": name, "n": maximum})
        return ""
    return value


def _post_request(request, fmt, params):
    client = _client(params)
    service_code = (params.get("service_code") or "").strip()
    if not service_code:
        raise Open311Error(400, _("service_code is required."))
    category = selectors.active_category(service_code)
    problems: list[str] = []
    sub = services.Submission(attributes=submitted_attributes(params))
    lat_raw, lon_raw = (params.get("lat") or "").strip(), (params.get("long") or "").strip()
    if lat_raw or lon_raw:
        try:
            sub.lat, sub.lon = float(lat_raw), float(lon_raw)
            if not (math.isfinite(sub.lat) and math.isfinite(sub.lon)):
                raise ValueError
        except ValueError:
            sub.lat = sub.lon = None
            problems.append(_("lat and long must both be numbers (WGS-84)."))
    sub.address_string = _limited(params, "address_string", 255, problems)
    sub.address_id = _limited(params, "address_id", 120, problems)
    if (
        sub.lat is None
        and not sub.address_string
        and not sub.address_id
        and not (lat_raw or lon_raw)
    ):
        problems.append(_("A location is required: lat and long, address_string or address_id."))
    description = (params.get("description") or "").strip()
    if len(description) > 4000:
        problems.append(_("description: at most 4000 characters."))
    sub.description = description
    sub.email = _limited(params, "email", 254, problems)
    if sub.email:
        try:
            validate_email(sub.email)
        except ValidationError:
            problems.append(_("email is not a valid address."))
    sub.media_url = _limited(params, "media_url", 500, problems)
    if sub.media_url:
        try:
            URLValidator(schemes=["http", "https"])(sub.media_url)
        except ValidationError:
            problems.append(_("media_url must be an http or https URL."))
    sub.device_id = _limited(params, "device_id", 120, problems)
    sub.account_id = _limited(params, "account_id", 120, problems)
    sub.first_name = _limited(params, "first_name", 80, problems)
    sub.last_name = _limited(params, "last_name", 80, problems)
    sub.phone = _limited(params, "phone", 32, problems)
    if problems:
        raise Open311Error(400, *problems)
    definition = selectors.definition_of(category)
    try:
        appeal, record = services.request_create(
            client=client, category=category, definition=definition, submission=sub
        )
    except ValidationFailed as exc:
        raise _from_application_error(exc) from exc
    data = [
        {
            "service_request_id": appeal.tracking_code,
            "service_notice": str(STATUS_LABELS[Status(appeal.status)]),
            "account_id": record.account_id or None,
        }
    ]
    return respond(fmt, "service_requests", data)


@endpoint("GET")
def token_detail(request, fmt, *, lang, params, token):
    # Every service is "realtime": POST answers with the service_request_id itself, so no token
    # is ever issued and none can be found.
    raise Open311Error(
        404, _("Unknown token: this endpoint returns service_request_id directly, not tokens.")
    )
