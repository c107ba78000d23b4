"""Who is calling the API: a bearer token (integrations) or the Django session (browser, htmx).

Bearer first: a request that carries an ``Authorization`` header is judged by that header alone,
so a bad or revoked token is a 401 even when the same browser also has a session. Without the
header the session is used, and unsafe methods (POST, ...) then need the CSRF token like any
Django form, because a browser sends the session cookie on cross-site requests too.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from suqiu.core.errors import NotAuthenticated, PermissionDenied
from suqiu.directory import snapshot
from suqiu.directory.access import Actor, actor_for
from suqiu.directory.models import ApiToken

# Writing ``last_used_at`` on every request would turn every read into a write; once a minute
# is precise enough for "is this token still in use?".
LAST_USED_PRECISION = timedelta(minutes=1)
# Tokens are ~46 characters; refuse to hash megabytes of header.
MAX_TOKEN_LENGTH = 256


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` against ``ApiToken`` (only the SHA-256 digest is stored)."""

    def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization")
        if header is None:
            return None  # let the session try
        scheme, _, raw = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise NotAuthenticated(
                gettext("Use 'Authorization: Bearer <token>'."), code="not_authenticated"
            )
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str):
        if len(token) > MAX_TOKEN_LENGTH:
            raise NotAuthenticated(gettext("Invalid API token."), code="not_authenticated")
        found = snapshot.token_by_digest(ApiToken.digest_of(token))
        if found is None or found.revoked_at is not None or not found.user.is_active:
            raise NotAuthenticated(
                gettext("Invalid or revoked API token."), code="not_authenticated"
            )
        now = timezone.now()
        if found.last_used_at is None or found.last_used_at < now - LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
            found.last_used_at = now  # the cached copy too, or every request would write
        request.api_token = found
        request.user = found.user
        return found.user


class SessionCsrfAuth(APIKeyCookie):
    """The Django session; unsafe methods must carry the CSRF token (``X-CSRFToken`` header)."""

    openapi_description = "Django session cookie; unsafe methods need the X-CSRFToken header."

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest):
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        # Django's middleware skips CSRF for ninja views (they are csrf_exempt); check it here,
        # after we know a session is in play so that a caller with no credentials gets a 401.
        if check_csrf(request) is not None:
            raise PermissionDenied(
                gettext(
                    "CSRF check failed: send the X-CSRFToken header with session authentication."
                ),
                code="csrf_failed",
            )
        request.api_token = None
        return user


bearer_auth = BearerTokenAuth()
session_auth = SessionCsrfAuth()
API_AUTH = [bearer_auth, session_auth]


def actor_of(request: HttpRequest) -> Actor:
    """The ``Actor`` for an authenticated request (anonymous actor for public endpoints)."""
    return actor_for(getattr(request, "auth", None))
