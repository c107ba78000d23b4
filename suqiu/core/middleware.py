"""Request ids: taken from X-Request-ID when a proxy sets one, otherwise generated; and a
number no database column holds answered as a bad request."""

import contextvars
import re
import uuid

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(rid)
        request.request_id = rid
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


class OutOfRangeMiddleware:
    """A whole number beyond what a database integer holds, wherever a page lets one through to
    a query (an admin form's choice re-rendered with ``parent=10**20``: SQLite raises
    ``OverflowError``), is the client's mistake: the 400 page, not a 500. The API answers these
    itself (``suqiu.api.errors``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OverflowError):
            return None
        import logging

        from django.shortcuts import render

        logging.getLogger("suqiu.request").warning(
            "number out of range in %s %s: %s", request.method, request.path, exception
        )
        return render(request, "400.html", status=400)
