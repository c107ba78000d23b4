"""What the reporter of an appeal hears, and how.

At intake (``register_after_create``, order 90) the reporter's channels are captured as
``ReporterContact`` rows: a reporter with an account reads messages in-app (and by e-mail when
their account has an address); a reporter without one who left a phone number gets SMS.
Anonymous reporters get nothing: they have the tracking code on screen.

Then the reporter hears, through those channels: the tracking code (on intake), acceptance
(``accept``), the resolution with its public reply (``resolve``) and the request to rate once it
is verified (``verify``). Messages are written in the site's language (``LANGUAGE_CODE``): the
reporter is not the person acting.

An appeal merged into another (``merge``: by a dispatcher, or by the system for an exact repeat
at intake) is a problem already being handled: its reporter is told so, with the main appeal's
tracking code, and from then on hears the main appeal's acceptance and resolution as their own.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from suqiu.appeals.models import reporter_identity
from suqiu.core.rows import insert_rows
from suqiu.notify import conf
from suqiu.notify.models import ReporterContact
from suqiu.notify.services import EMAIL, INAPP, SMS, WEBHOOK, notify
from suqiu.notify.transports import is_enabled

KIND_CREATED = "reporter.created"
KIND_ACCEPTED = "reporter.accepted"
KIND_RESOLVED = "reporter.resolved"
KIND_RATE = "reporter.please_rate"
KIND_MERGED = "reporter.merged"


def capture_contacts(appeal) -> list[ReporterContact]:
    """The reporter's channels for this appeal (none for an anonymous one)."""
    if appeal.is_anonymous:
        return []
    rows: list[ReporterContact] = []
    if appeal.reporter_id is not None:
        rows.append(ReporterContact(appeal=appeal, channel=INAPP))
        # Only asked for while e-mail is on (intake loads the reporter without it).
        email = appeal.reporter.email if is_enabled(EMAIL) else ""
        if email:
            rows.append(ReporterContact(appeal=appeal, channel=EMAIL, address=email))
    elif appeal.reporter_phone:
        rows.append(ReporterContact(appeal=appeal, channel=SMS, address=appeal.reporter_phone))
    insert_rows(ReporterContact, rows)  # intake's hot path: a plain INSERT (no ids needed)
    return rows


def set_contact(appeal, channel: str, address: str = "") -> ReporterContact:
    """Record (or change) one of the reporter's channels for an appeal."""
    row, _created = ReporterContact.objects.update_or_create(
        appeal=appeal, channel=channel, defaults={"address": address}
    )
    return row


def track_url(appeal) -> str:
    path = reverse("resident:track_detail", args=[appeal.tracking_code])
    return (conf.get("SITE_URL") or "").rstrip("/") + path


def tell_reporter(
    appeal, *, event, kind: str, subject: str, body: str, contacts: list | None = None
) -> int:
    """Write the message to each of the reporter's channels (``contacts``: known already)."""
    if contacts is None:
        contacts = list(ReporterContact.objects.filter(appeal=appeal))
    users = (
        [appeal.reporter]
        if appeal.reporter_id and any(c.channel == INAPP for c in contacts)
        else []
    )
    pairs = [(c.channel, c.address) for c in contacts if c.channel != INAPP]
    if not users and not pairs:
        return 0
    return notify(
        kind=kind,
        appeal=appeal,
        users=users,
        contacts=pairs,
        subject=subject,
        body=body,
        data={"audience": "reporter", "event_id": event.pk},
        # The reporter's e-mail, if any, is one of their contacts: no second copy by the staff rule.
        email_users=False,
        # Integrations get the appeal's own events (``appeal_event``), without personal data.
        webhooks=False,
    )


def appeal_event(*, appeal, event, actor) -> None:
    """A webhook-only message ``appeal.<event kind>`` (created, accept, resolve, verify) for
    integrations: ids, tracking code and status, no personal data. Nothing when no webhook is on."""
    if not is_enabled(WEBHOOK):
        return
    notify(
        kind=f"appeal.{event.kind}",
        appeal=appeal,
        subject=f"{appeal.tracking_code} {event.kind}",
        body="",
        data={
            "event_id": event.pk,
            "event": event.kind,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "at": event.created_at.isoformat(),
        },
        dedupe_key=f"event:{event.pk}",
    )


def followers(appeal) -> list:
    """The appeals merged into ``appeal``, and into those (a main appeal merged in its turn),
    with their reporters: they follow its progress."""
    from suqiu.appeals.models import Appeal

    found, ids = [], [appeal.pk]
    while ids and len(found) < 10_000:
        batch = list(Appeal.objects.filter(merged_into_id__in=ids).select_related("reporter"))
        found.extend(batch)
        ids = [a.pk for a in batch]
    return found


def _tell_merged(appeal, *, event, contacts=None) -> None:
    main = appeal.merged_into
    tell_reporter(
        appeal,
        event=event,
        contacts=contacts,
        kind=KIND_MERGED,
        subject=_("Your appeal %(code)s is already being handled") % {"code": appeal.tracking_code},
        body=_(
            "The problem in your appeal “%(title)s” (%(code)s) is already being handled as %(main)s. You will hear of its progress; follow it at %(url)s"
        )
        % {
            "title": appeal.title,
            "code": appeal.tracking_code,
            "main": main.tracking_code,
            "url": track_url(appeal),
        },
    )


def _tell_with_followers(
    appeal, *, event, kind: str, subject: str, body: str, follower_body: str, values: dict
) -> None:
    """One step of ``appeal`` told to its reporter (``subject`` and ``body``) and to the
    reporters of the appeals merged into it (``follower_body``, which names it as %(main)s)."""
    tell_reporter(
        appeal,
        event=event,
        kind=kind,
        subject=subject % {"code": appeal.tracking_code},
        body=body % {**values, "title": appeal.title, "code": appeal.tracking_code},
    )
    told = {reporter_identity(appeal.reporter_id, appeal.reporter_phone)}
    for follower in followers(appeal):
        who = reporter_identity(follower.reporter_id, follower.reporter_phone)
        if who and who in told:
            continue  # the same person's repeat: once is enough
        told.add(who)
        tell_reporter(
            follower,
            event=event,
            kind=kind,
            subject=subject % {"code": follower.tracking_code},
            body=follower_body
            % {
                **values,
                "main": appeal.tracking_code,
                "title": follower.title,
                "code": follower.tracking_code,
            },
        )


# --- Hooks -----------------------------------------------------------------------------------------


def on_created(*, appeal, event, actor) -> None:
    appeal_event(appeal=appeal, event=event, actor=actor)
    contacts = capture_contacts(appeal)
    if not contacts:
        return
    with translation.override(settings.LANGUAGE_CODE):
        if appeal.merged_into_id:  # an exact repeat, merged at intake before this hook
            _tell_merged(appeal, event=event, contacts=contacts)
            return
        tell_reporter(
            appeal,
            event=event,
            contacts=contacts,
            kind=KIND_CREATED,
            subject=_("Your appeal %(code)s was received") % {"code": appeal.tracking_code},
            body=_(
                "We received your appeal “%(title)s”. Its tracking code is %(code)s; follow it at %(url)s"
            )
            % {"title": appeal.title, "code": appeal.tracking_code, "url": track_url(appeal)},
        )


def on_accepted(*, appeal, event, actor) -> None:
    appeal_event(appeal=appeal, event=event, actor=actor)
    with translation.override(settings.LANGUAGE_CODE):
        organisation = appeal.lead_organisation.name if appeal.lead_organisation_id else ""
        _tell_with_followers(
            appeal,
            event=event,
            kind=KIND_ACCEPTED,
            subject=_("Your appeal %(code)s is being handled"),
            body=_(
                "%(organisation)s accepted your appeal “%(title)s” (%(code)s) and is handling it."
            ),
            follower_body=_(
                "%(organisation)s accepted the appeal %(main)s that your appeal “%(title)s” (%(code)s) was merged into, and is handling it."
            ),
            values={"organisation": organisation},
        )


def on_resolved(*, appeal, event, actor) -> None:
    appeal_event(appeal=appeal, event=event, actor=actor)
    with translation.override(settings.LANGUAGE_CODE):
        _tell_with_followers(
            appeal,
            event=event,
            kind=KIND_RESOLVED,
            subject=_("Your appeal %(code)s was resolved"),
            body=_("Your appeal “%(title)s” (%(code)s) was resolved: %(reply)s"),
            follower_body=_(
                "The appeal %(main)s that your appeal “%(title)s” (%(code)s) was merged into was resolved: %(reply)s"
            ),
            values={"reply": appeal.public_reply},
        )


def on_merged(*, appeal, event, actor) -> None:
    """A dispatcher merged ``appeal`` into another. (An exact repeat merged by the system at
    intake has no contacts yet: ``on_created`` tells its reporter.)"""
    with translation.override(settings.LANGUAGE_CODE):
        _tell_merged(appeal, event=event)


def on_verified(*, appeal, event, actor) -> None:
    appeal_event(appeal=appeal, event=event, actor=actor)
    with translation.override(settings.LANGUAGE_CODE):
        tell_reporter(
            appeal,
            event=event,
            kind=KIND_RATE,
            subject=_("Please rate how your appeal %(code)s was handled")
            % {"code": appeal.tracking_code},
            body=_(
                "The resolution of your appeal “%(title)s” (%(code)s) was checked. Please tell us whether it is solved and rate the work: %(url)s"
            )
            % {"title": appeal.title, "code": appeal.tracking_code, "url": track_url(appeal)},
        )
