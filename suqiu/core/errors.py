"""The one error family every adapter understands.

Services raise these; the API maps them to HTTP statuses with a JSON body, the web views show
them as messages, the CLI prints them. Codes are stable: clients may switch on them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_noop

# The class docstrings below are the default messages (translated when an error is raised);
# listed here so they reach the translation catalogue.
DEFAULT_MESSAGES = (
    gettext_noop("The input is not valid."),
    gettext_noop("The request cannot be understood."),
    gettext_noop("No such object, or not visible to you."),
    gettext_noop("You may not do this."),
    gettext_noop("Sign in or send a bearer token."),
    gettext_noop("The request conflicts with the current state."),
    gettext_noop("Too many requests; try again later."),
)


class ApplicationError(Exception):
    """Base of every expected failure. ``code`` is stable; ``message`` is for people."""

    code = "application_error"
    http_status = 400

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        # Without a message, the class docstring in the active language.
        message = message or gettext((self.__class__.__doc__ or self.code).strip())
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.fields:
            body["fields"] = {k: [str(m) for m in v] for k, v in self.fields.items()}
        if self.extra:
            body.update(self.extra)
        return body


class ValidationFailed(ApplicationError):
    """The input is not valid."""

    code = "validation_error"
    http_status = 422


class BadRequest(ApplicationError):
    """The request cannot be understood."""

    code = "bad_request"
    http_status = 400


class NotFound(ApplicationError):
    """No such object, or not visible to you."""

    code = "not_found"
    http_status = 404


class PermissionDenied(ApplicationError):
    """You may not do this."""

    code = "permission_denied"
    http_status = 403


class NotAuthenticated(ApplicationError):
    """Sign in or send a bearer token."""

    code = "not_authenticated"
    http_status = 401


class Conflict(ApplicationError):
    """The request conflicts with the current state."""

    code = "conflict"
    http_status = 409


class RateLimited(ApplicationError):
    """Too many requests; try again later."""

    code = "rate_limited"
    http_status = 429
