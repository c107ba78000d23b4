"""The resolve hook that checks the public reply, and the warnings in words."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from suqiu.appeals.models import Appeal
from suqiu.directory.access import Actor
from suqiu.replies import checks
from suqiu.replies.models import ReplyCheck


def check_reply(appeal: Appeal, reply: str, *, at: datetime, due_at: datetime | None):
    """The check of ``reply`` as this appeal's public reply, given at ``at``."""
    return checks.check(
        title=appeal.title,
        description=appeal.description,
        reply=reply,
        resolved_at=at,
        due_at=due_at,
    )


def on_resolve(*, appeal: Appeal, event, actor: Actor) -> ReplyCheck:
    """After-action hook of ``resolve`` (inside its transaction): check and store."""
    result = check_reply(
        appeal, appeal.public_reply, at=appeal.resolved_at, due_at=_resolve_due(appeal, event)
    )
    return ReplyCheck.objects.create(
        appeal=appeal,
        event=event,
        addresses=result.addresses,
        action=result.action,
        time=result.time,
        on_time=result.on_time,
        length=result.length,
        overall=result.overall,
        chars=result.chars,
        missing_terms=result.missing_terms,
        warnings=result.warnings,
        created_at=event.created_at,
    )


def _resolve_due(appeal: Appeal, event) -> datetime | None:
    """The due time the resolve was measured against. By the time hooks run, the time-limits
    clock has moved ``appeal.due_at`` to the next stage; the event keeps the one in force before
    it (``old_due_at``) whenever the action changed the clock."""
    data = event.data or {}
    if "old_due_at" in data:
        return datetime.fromisoformat(data["old_due_at"]) if data["old_due_at"] else None
    return appeal.due_at


def warning_text(warning: dict) -> str:
    """One warning in plain words, in the active language."""
    code = warning.get("code")
    if code == "off_topic":
        terms = warning.get("terms") or []
        if terms:
            return _("The reply does not mention %(terms)s.") % {"terms": " / ".join(terms)}
        return _("The reply does not mention what the appeal is about.")
    if code == "no_action":
        return _("The reply does not say what was done or will be done.")
    if code == "no_time":
        return _("No time given for the work.")
    if code == "too_short":
        return _("Reply is shorter than %(n)d characters.") % {"n": warning.get("min_chars", 0)}
    if code == "late":
        return _("Resolved after the due time.")
    return str(code)
