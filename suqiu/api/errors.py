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
from django.core.exceptions import BadRequest as DjangoBadRequest
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext, gettext_noop
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
        fields.setdefault(name, []).append(validation_message(err))
    return fields


# pydantic's own messages are English only; the common ones are said in the request's language.
_PYDANTIC_MESSAGES = {
    "missing": gettext_noop("This field is required."),
    "string_type": gettext_noop("Must be text."),
    "int_type": gettext_noop("Must be a whole number."),
    "int_parsing": gettext_noop("Must be a whole number."),
    "int_from_float": gettext_noop("Must be a whole number."),
    "float_type": gettext_noop("Must be a number."),
    "float_parsing": gettext_noop("Must be a number."),
    "finite_number": gettext_noop("Must be a finite number."),
    "bool_type": gettext_noop("Must be true or false."),
    "bool_parsing": gettext_noop("Must be true or false."),
    "list_type": gettext_noop("Must be a list."),
    "dict_type": gettext_noop("Must be a JSON object."),
    "model_type": gettext_noop("Must be a JSON object."),
    "model_attributes_type": gettext_noop("Must be a JSON object."),
    "datetime_parsing": gettext_noop("Not a date and time (ISO 8601)."),
    "datetime_from_date_parsing": gettext_noop("Not a date and time (ISO 8601)."),
    "datetime_type": gettext_noop("Not a date and time (ISO 8601)."),
    "date_parsing": gettext_noop("Not a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": gettext_noop("Not a date (YYYY-MM-DD)."),
    "date_type": gettext_noop("Not a date (YYYY-MM-DD)."),
    # The pattern itself is for programs: the field's description in the OpenAPI says the form.
    "string_pattern_mismatch": gettext_noop("Not in the expected form (see the API description)."),
}
# Messages with the limit from the error's context.
_PYDANTIC_LIMITS = {
    "less_than_equal": ("le", gettext_noop("Must be at most %(limit)s.")),
    "greater_than_equal": ("ge", gettext_noop("Must be at least %(limit)s.")),
    "less_than": ("lt", gettext_noop("Must be less than %(limit)s.")),
    "greater_than": ("gt", gettext_noop("Must be greater than %(limit)s.")),
    "string_too_long": ("max_length", gettext_noop("At most %(limit)s characters.")),
    "string_too_short": ("min_length", gettext_noop("At least %(limit)s characters.")),
    "too_long": ("max_length", gettext_noop("At most %(limit)s items.")),
    "literal_error": ("expected", gettext_noop("One of %(limit)s.")),
    "enum": ("expected", gettext_noop("One of %(limit)s.")),
}


def validation_message(err: dict) -> str:
    """One pydantic/ninja error as a message for people, in the active language."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind in _PYDANTIC_MESSAGES:
        return gettext(_PYDANTIC_MESSAGES[kind])
    if kind in _PYDANTIC_LIMITS and _PYDANTIC_LIMITS[kind][0] in ctx:
        key, message = _PYDANTIC_LIMITS[kind]
        limit = ctx[key]
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        return gettext(message) % {"limit": limit}
    if kind == "value_error" and ctx.get("error"):
        # Our own validators raise ValueError with a message already in the active language.
        return str(ctx["error"])
    return str(err.get("msg") or gettext("Invalid value."))


def install_error_handlers(api: NinjaAPI, *, body_params: set[str]) -> None:
    """Register the handlers on ``api``; ``body_params`` are parameter names of JSON bodies."""

    def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return error_response(exc)

    def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return error_response(
            ValidationFailed(
                gettext("The request is not valid."),
                fields=fields_from_errors(exc.errors, body_params=body_params),
            )
        )

    def on_pydantic_error(request: HttpRequest, exc: pydantic.ValidationError) -> HttpResponse:
        return error_response(
            ValidationFailed(
                gettext("The request is not valid."), fields=fields_from_errors(exc.errors())
            )
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, AuthenticationError) or exc.status_code == 401:
            return error_response(
                NotAuthenticated(gettext("Sign in or send 'Authorization: Bearer <token>'."))
            )
        if isinstance(exc, Throttled):
            return error_response(RateLimited(gettext("Too many requests; try again later.")))
        cause = exc.__cause__
        if isinstance(cause, ApplicationError):
            # Raised by the parser (suqiu.api.parser); ninja wraps what the parser raises.
            return error_response(cause)
        if exc.status_code == 400 and isinstance(
            cause, (json.JSONDecodeError, UnicodeDecodeError, RecursionError)
        ):
            return error_response(
                BadRequest(gettext("The request body is not valid JSON."), code="malformed_json")
            )
        err = ApplicationError(str(exc), code="bad_request" if exc.status_code == 400 else "error")
        err.http_status = exc.status_code
        return error_response(err)

    def on_overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # SQLite's answer to a whole number beyond 64 bits in a path parameter (a body or query
        # value is refused by the parser before it gets this far).
        return error_response(
            ValidationFailed(
                gettext("The request is not valid."),
                fields={"path": [gettext("The number is out of range.")]},
            )
        )

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(NotFound(gettext("Not found.")))

    def on_request_refused(request: HttpRequest, exc: Exception) -> HttpResponse:
        # What Django itself refuses in a request (plain Django answers these with a 400).
        if isinstance(exc, RequestDataTooBig):
            err = ApplicationError(
                gettext("The request body is too large."), code="request_too_large"
            )
            err.http_status = 413
            return error_response(err)
        if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
            return error_response(
                BadRequest(
                    gettext("The request has too many fields or files."), code="too_many_parts"
                )
            )
        if isinstance(exc, MultiPartParserError):
            return error_response(
                BadRequest(
                    gettext("The multipart body cannot be read."), code="malformed_multipart"
                )
            )
        return error_response(BadRequest(gettext("The request is not valid."), code="bad_request"))

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        if settings.DEBUG:
            raise exc
        logger.exception("Unhandled API error", extra={"path": request.path})
        err = ApplicationError(
            gettext("Internal error; quote the request id when reporting it."),
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
    api.add_exception_handler(OverflowError, on_overflow)
    for refused in (SuspiciousOperation, DjangoBadRequest, MultiPartParserError):
        api.add_exception_handler(refused, on_request_refused)
