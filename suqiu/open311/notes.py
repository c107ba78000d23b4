"""The federation's notes on an appeal's timeline, worded when read (see
``appeals.extensions.register_note``): the event keeps what happened upstream as data
(``federation.push_one``, ``_push_failed``, ``apply_update``), and the reader's language says it."""

from __future__ import annotations

from django.utils.translation import gettext


def reason(event) -> str:
    d = event.data if isinstance(event.data, dict) else {}
    name = d.get("endpoint") or "?"
    what = d.get("event")
    if what == "upstream_sent":
        return gettext("Sent to %(name)s over Open311 as %(id)s.") % {
            "name": name,
            "id": d.get("upstream_id") or d.get("token") or "?",
        }
    if what == "upstream_failed":
        return gettext("%(name)s refused the request over Open311: %(error)s") % {
            "name": name,
            "error": d.get("error") or "?",
        }
    if what == "upstream_update":
        if d.get("status") == "closed":
            return gettext("%(name)s closed the request %(id)s.") % {
                "name": name,
                "id": d.get("upstream_id") or "?",
            }
        return gettext("%(name)s: request %(id)s is %(status)s.") % {
            "name": name,
            "id": d.get("upstream_id") or "?",
            "status": d.get("status") or "?",
        }
    return ""
