"""The REST API root (/api/v1/): the NinjaAPI instance, its auth, error mapping and routers.

OpenAPI at ``/api/v1/openapi.json``, Swagger UI at ``/api/v1/docs``. The UI's JavaScript and CSS
come from django-ninja's own static files (``ninja`` is in INSTALLED_APPS, so ninja renders its
local template instead of the CDN one): the docs work on an offline deployment.
"""

from __future__ import annotations

from django.http import Http404, HttpResponseNotAllowed
from django.urls import re_path
from django.utils.translation import gettext
from ninja import NinjaAPI, Swagger

from suqiu.api.auth import API_AUTH
from suqiu.api.errors import error_response, install_error_handlers
from suqiu.api.parser import StorableParser
from suqiu.core.errors import ApplicationError, NotFound

DESCRIPTION = """
The Suqiu (诉求) REST API: intake from partner systems, the work chain, the task library, public
tracking and the read-only directory.

**Authentication.** Send `Authorization: Bearer <token>` (create one with
`suqiu token create USERNAME`). A signed-in browser session works too; with the session, unsafe
methods (POST) must send the `X-CSRFToken` header. `GET /track/{tracking_code}` is public.

**Errors.** Every error has the body `{"error": {"code": "...", "message": "...", "fields":
{"<field>": ["<message>", ...]}}}`; `code` is stable. Statuses: 400 malformed request
(`malformed_json`), 401 `not_authenticated`, 403 (`action_not_allowed`, `csrf_failed`, ...),
404 `not_found`, 409 (`invalid_transition`, `idempotency_key_reused`), 422 `validation_error`,
429 `rate_limited`.

**Retries.** `POST /appeals` honours the `Idempotency-Key` header: a retry with the same key and
body returns the first appeal (200, header `Idempotent-Replayed: true`) and never a second one.
"""


class SuqiuAPI(NinjaAPI):
    """NinjaAPI whose URL table also answers unknown paths and wrong methods with the JSON error
    body (ninja itself returns Django's HTML 404 and a bare 405 for those)."""

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            pattern.callback = _json_fallbacks(pattern.callback)
        patterns.append(re_path(r"^.*$", _unknown_path, name="unknown-path"))
        return patterns


def _json_fallbacks(view):
    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return error_response(NotFound(gettext("Not found.")))
        if isinstance(response, HttpResponseNotAllowed):
            err = ApplicationError(
                gettext("Method %(method)s is not allowed here.") % {"method": request.method},
                code="method_not_allowed",
            )
            err.http_status = 405
            allowed = response["Allow"]
            response = error_response(err)
            response["Allow"] = allowed
        return response

    # Ninja's views are exempt from Django's CSRF middleware (the session auth checks CSRF
    # itself); the wrapper must keep that, or bearer-token POSTs would need a CSRF cookie.
    wrapped.csrf_exempt = getattr(view, "csrf_exempt", False)
    return wrapped


def _unknown_path(request, *args, **kwargs):
    return error_response(NotFound(gettext("No such API endpoint."), code="unknown_endpoint"))


_unknown_path.csrf_exempt = True

api = SuqiuAPI(
    title="Suqiu API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=API_AUTH,
    parser=StorableParser(),
    # validatorUrl None: Swagger UI would otherwise fetch a badge from validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": True}),
)


def _register_routers() -> None:
    from suqiu.appeals.api import BODY_PARAMS as APPEAL_BODY_PARAMS
    from suqiu.appeals.api import router as appeals_router
    from suqiu.appeals.api import tracking_router
    from suqiu.directory.api import router as directory_router

    api.add_router("", appeals_router)
    api.add_router("", tracking_router)
    api.add_router("", directory_router)
    # Each capability's own endpoints (its app's api.py).
    from importlib import import_module

    for app in ("triage", "duplicates", "hotspots", "timelimits", "notify", "rates", "imports"):
        api.add_router("", import_module(f"suqiu.{app}.api").router)
    install_error_handlers(api, body_params=set(APPEAL_BODY_PARAMS))


_register_routers()

__all__ = ["api"]
