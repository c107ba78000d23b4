"""Staff alerts at intake: an emergency or urgent appeal tells the people who must move now.

Queues put such appeals first, but a dispatcher who is not looking at the screen does not see a
queue. So a new appeal whose urgency is emergency or urgent once intake is done (the reporter's
choice, a sensor's rule, or triage raising it: this hook runs at order 40, after triage's
urgency detection and routing at 20 and 30) writes one message to the dispatchers covering its
area and, when triage already dispatched it, to the staff of the handling organisation: in-app,
plus e-mail where staff e-mail is on, plus, for an emergency while the SMS gateway is on, a text
to each of those people's phones. Nothing for an appeal that intake merged into another
(an exact repeat), that entered as closed history (imports), or that was received more than
``HISTORY_AFTER`` before the real time (history replayed with ``clock.at``: the demo's two
thousand past appeals must not leave five hundred old alerts in each dispatcher's inbox). One
message per appeal (``dedupe_key``), written in the site's language in the intake's transaction.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from suqiu.appeals import workflow
from suqiu.notify.services import SMS, notify, recipients
from suqiu.notify.transports import is_enabled
from suqiu.timelimits.display import moment_text, stage_label
from suqiu.timelimits.duties import DISPATCHER_ROLES

KIND_URGENT_INTAKE = "urgent_intake"
ALERT_URGENCIES = ("emergency", "urgent")
HISTORY_AFTER = timedelta(hours=24)


def on_created(*, appeal, event, actor) -> None:
    if appeal.urgency not in ALERT_URGENCIES or appeal.status in workflow.TERMINAL:
        return
    if timezone.now() - appeal.created_at > HISTORY_AFTER:
        return  # replayed history: nobody can act on it now
    with translation.override(settings.LANGUAGE_CODE):
        subject = (
            _("Emergency appeal %(code)s: %(title)s")
            if appeal.urgency == "emergency"
            else _("Urgent appeal %(code)s: %(title)s")
        ) % {"code": appeal.tracking_code, "title": appeal.title}
        facts = {
            "at": moment_text(appeal.created_at),
            "area": appeal.area.name if appeal.area_id else "—",
        }
        if appeal.due_at is not None:
            body = _("Received at %(at)s in %(area)s; the %(stage)s limit ends at %(due)s.") % {
                **facts,
                "stage": stage_label(appeal.due_stage),
                "due": moment_text(appeal.due_at),
            }
        else:
            body = _("Received at %(at)s in %(area)s.") % facts
        people = recipients(
            roles_in_area=DISPATCHER_ROLES,
            organisation=appeal.lead_organisation if appeal.lead_organisation_id else None,
            appeal=appeal,
        )
        data = {"urgency": appeal.urgency, "event_id": event.pk}
        notify(
            kind=KIND_URGENT_INTAKE,
            appeal=appeal,
            users=people,
            subject=subject,
            body=body,
            data=data,
            dedupe_key=f"urgent-intake:{appeal.pk}",
            webhooks=False,  # integrations have appeal.created, without the resident's words
        )
        phones = sorted({u.phone for u in people if u.phone})
        if appeal.urgency == "emergency" and phones and is_enabled(SMS):
            # An emergency also rings the staff's phones: one self-contained text each.
            notify(
                kind=KIND_URGENT_INTAKE,
                appeal=appeal,
                contacts=[(SMS, phone) for phone in phones],
                subject=subject,
                body=f"{subject}。{body}",
                data=data,
                dedupe_key=f"urgent-intake-sms:{appeal.pk}",
                email_users=False,
                webhooks=False,
            )
