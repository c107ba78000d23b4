"""SMS transport: a configurable HTTP gateway (``SUQIU_NOTIFY``: ``SMS_URL``, ``SMS_METHOD``,
``SMS_FORMAT`` "json" or "form", ``SMS_TEMPLATE`` whose string values may use ``{phone}`` and
``{text}``, ``SMS_AUTH`` sent as the Authorization header). Off while ``SMS_URL`` is empty.

2xx is sent; 429 and 5xx are retried; any other status fails for good."""

from __future__ import annotations

import httpx

from suqiu.notify import conf
from suqiu.notify.transports import PermanentError, TransientError, classify_http_status


def enabled() -> bool:
    return bool(conf.get("SMS_URL"))


def _fill(template, values: dict):
    if isinstance(template, str):
        # Only the two names: a brace elsewhere in the template is kept as it is.
        return template.replace("{phone}", values["phone"]).replace("{text}", values["text"])
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    return template


def text_of(message) -> str:
    return message.body or message.subject


def send(message) -> None:
    if not message.address:
        raise PermanentError("no phone number")
    body = _fill(conf.get("SMS_TEMPLATE"), {"phone": message.address, "text": text_of(message)})
    headers = {"X-Suqiu-Message": str(message.pk)}
    if conf.get("SMS_AUTH"):
        headers["Authorization"] = conf.get("SMS_AUTH")
    kwargs = {"json": body} if conf.get("SMS_FORMAT") == "json" else {"data": body}
    try:
        response = httpx.request(
            conf.get("SMS_METHOD").upper(),
            conf.get("SMS_URL"),
            headers=headers,
            timeout=float(conf.get("TIMEOUT_SECONDS")),
            **kwargs,
        )
    except httpx.HTTPError as exc:
        raise TransientError(f"SMS gateway: {exc!r}") from exc
    error = classify_http_status(response.status_code)
    if error is not None:
        raise error(f"SMS gateway answered {response.status_code}: {response.text[:300]}")
