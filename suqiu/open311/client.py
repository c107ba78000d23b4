"""A small GeoReport v2 client: POST a service request, GET service requests, in JSON or XML.

Only what federation needs. Every failure is an ``UpstreamError`` that says whether trying again
later can help (``retry``): connection errors, time-outs, 5xx and 429 can; 403 (our key is
wrong or revoked: a configuration problem) and other 4xx (the upstream refuses this request)
cannot, and neither can a 2xx answer without a ``service_request_id`` (retrying it could file the
request twice).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import httpx

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "Suqiu-Open311-federation/1"


class UpstreamError(Exception):
    def __init__(self, message: str, *, retry: bool, status: int | None = None):
        super().__init__(message)
        self.retry = retry
        self.status = status
        self.retry_after: float | None = None


def _records(fmt: str, body: bytes, item: str) -> list[dict]:
    """A GeoReport v2 list (JSON array of objects, or XML wrapper of ``item`` elements) as a
    list of flat dicts of strings (nested elements ignored)."""
    if fmt == "json":
        data = json.loads(body.decode("utf-8"))
        if isinstance(data, dict):
            # Some servers wrap a single object; accept it.
            data = [data]
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise ValueError("not a JSON array of objects")
        return data
    root = ET.fromstring(body)
    out = []
    for child in root:
        if child.tag != item:
            continue
        out.append({el.tag: (el.text or "") for el in child if len(el) == 0})
    return out


def _errors_text(fmt: str, response: httpx.Response) -> str:
    try:
        errors = _records(fmt, response.content, "error")
        text = "; ".join(f"{e.get('code', '')} {e.get('description', '')}".strip() for e in errors)
    except (ValueError, ET.ParseError, UnicodeDecodeError):
        text = response.text[:300]
    return f"HTTP {response.status_code}: {text}".strip()


def _check(fmt: str, response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    retry = status >= 500 or status in (408, 429)
    error = UpstreamError(_errors_text(fmt, response), retry=retry, status=status)
    if status == 429:
        try:
            error.retry_after = float(response.headers.get("Retry-After", ""))
        except ValueError:
            pass
    raise error


def _call(method: str, url: str, **kwargs) -> httpx.Response:
    try:
        return httpx.request(
            method,
            url,
            timeout=TIMEOUT,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
            **kwargs,
        )
    except httpx.HTTPError as exc:  # connection refused, DNS, time-out, protocol errors
        raise UpstreamError(f"{type(exc).__name__}: {exc}", retry=True) from exc


@dataclass
class PostResult:
    service_request_id: str
    token: str = ""
    service_notice: str = ""


def post_request(url: str, fmt: str, form: dict[str, str]) -> PostResult:
    """POST form-encoded ``form`` to ``…/requests.{fmt}``."""
    response = _call("POST", url, data=form)
    _check(fmt, response)
    try:
        records = _records(fmt, response.content, "request")
    except (ValueError, ET.ParseError, UnicodeDecodeError) as exc:
        raise UpstreamError(
            f"HTTP {response.status_code} with an unreadable body: {exc}", retry=False
        ) from exc
    first = records[0] if records else {}
    request_id = str(first.get("service_request_id") or "").strip()
    token = str(first.get("token") or "").strip()
    if not request_id and not token:
        raise UpstreamError(
            f"HTTP {response.status_code} without service_request_id or token", retry=False
        )
    return PostResult(
        service_request_id=request_id,
        token=token,
        service_notice=str(first.get("service_notice") or ""),
    )


def get_requests(url: str, fmt: str, params: dict[str, str]) -> list[dict]:
    """GET ``…/requests.{fmt}`` (or ``tokens/…``) with query ``params``: the request records."""
    response = _call("GET", url, params=params)
    _check(fmt, response)
    try:
        return _records(fmt, response.content, "request")
    except (ValueError, ET.ParseError, UnicodeDecodeError) as exc:
        raise UpstreamError(f"unreadable answer: {exc}", retry=True) from exc
