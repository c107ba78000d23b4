"""One error body for every API failure: ``{"error": {"code", "message", "fields"?}}``.

``ApplicationError`` subclasses carry their own status and stable code; ninja's own failures
(body and parameter validation, unparsable JSON, missing credentials) are translated into the
same shape so clients switch on ``error.code`` only.
"""

from __future__ import annotations

import json
import logging

import pydantic
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from suqiu.core.errors import (
    ApplicationError,
    BadRequest,
    NotAuthenticated,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from suqiu.core.middleware import current_request_id

logger = logging.getLogger("suqiu.api")

# Where ninja says a value came from; dropped from field names ("body.title" → "title").
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def error_response(exc: ApplicationError) -> JsonResponse:
    response = JsonResponse(
        {"error": exc.as_dict()}, status=exc.http_status, json_dumps_params={"ensure_ascii": False}
    )
    retry_after = exc.extra.get("retry_after") if exc.extra else None
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def fields_from_errors(errors: list[dict], *, body_params: set[str] = frozenset()) -> dict:
    """Per-field messages from pydantic/ninja error dicts, keyed by a dotted field path."""
    fields: dict[str, list[str]] = {}
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        if loc and loc[0] in _SOURCES:
            source = loc.pop(0)
            # A JSON body bound to a schema parameter is reported under the parameter's name.
            if source == "body" and loc and loc[0] in body_params:
                loc.pop(0)
        name = ".".join(loc) or "body"
        message = err.get("msg") or "Invalid value."
        fields.setdefault(name, []).append(str(message))
    return fields


def install_error_handlers(api: NinjaAPI, *, body_params: set[str]) -> None:
    """Register the handlers on ``api``; ``body_params`` are parameter names of JSON bodies."""

    def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return error_response(exc)

    def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return error_response(
            ValidationFailed(
                "The request is not valid.",
                fields=fields_from_errors(exc.errors, body_params=body_params),
            )
        )

    def on_pydantic_error(request: HttpRequest, exc: pydantic.ValidationError) -> HttpResponse:
        return error_response(
            ValidationFailed("The request is not valid.", fields=fields_from_errors(exc.errors()))
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, AuthenticationError) or exc.status_code == 401:
            return error_response(
                NotAuthenticated("Sign in or send 'Authorization: Bearer <token>'.")
            )
        if isinstance(exc, Throttled):
            return error_response(RateLimited("Too many requests; try again later."))
        cause = exc.__cause__
        if exc.status_code == 400 and isinstance(cause, (json.JSONDecodeError, UnicodeDecodeError)):
            return error_response(
                BadRequest("The request body is not valid JSON.", code="malformed_json")
            )
        err = ApplicationError(str(exc), code="bad_request" if exc.status_code == 400 else "error")
        err.http_status = exc.status_code
        return error_response(err)

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(NotFound("Not found."))

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        if settings.DEBUG:
            raise exc
        logger.exception("Unhandled API error", extra={"path": request.path})
        err = ApplicationError(
            "Internal error; quote the request id when reporting it.",
            code="server_error",
            extra={"request_id": current_request_id()},
        )
        err.http_status = 500
        return error_response(err)

    api.add_exception_handler(Exception, on_unexpected)
    api.add_exception_handler(ApplicationError, on_application_error)
    api.add_exception_handler(NinjaValidationError, on_validation_error)
    api.add_exception_handler(pydantic.ValidationError, on_pydantic_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_404)
