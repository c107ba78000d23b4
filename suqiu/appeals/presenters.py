"""How an appeal is shown to a given actor: what personal data they see, which actions they may take.

Used by the workbench, the resident pages and the API so the privacy rules live in one place.
"""

from __future__ import annotations

from suqiu.appeals import workflow
from suqiu.appeals.models import Appeal
from suqiu.appeals.services import facts_of
from suqiu.directory.access import PHONE_REVEAL_ROLES, PHONE_VISIBLE_ROLES, Actor, mask_phone


def can_see_reporter(actor: Actor, appeal: Appeal) -> bool:
    """Volunteers see no reporter identity; everyone else who can see the appeal does (unless anonymous)."""
    if appeal.is_anonymous:
        return False
    if actor.user_id is not None and actor.user_id == appeal.reporter_id:
        return True
    return bool(actor.roles - {"volunteer", "resident", "anonymous"}) or actor.is_superuser


def reporter_view(actor: Actor, appeal: Appeal) -> dict:
    """Reporter name and phone as this actor may see them."""
    if not can_see_reporter(actor, appeal):
        return {
            "name": "",
            "phone": "",
            "phone_masked": True,
            "anonymous": appeal.is_anonymous,
            "can_reveal": False,
            "hidden": not appeal.is_anonymous,
        }
    own = actor.user_id is not None and actor.user_id == appeal.reporter_id
    full = own or bool(actor.roles & PHONE_VISIBLE_ROLES)
    phone = appeal.reporter_phone if full else mask_phone(appeal.reporter_phone)
    return {
        "name": appeal.reporter_name,
        "phone": phone,
        "phone_masked": not full and bool(appeal.reporter_phone),
        "anonymous": False,
        "can_reveal": (not full) and bool(appeal.reporter_phone) and actor.has(*PHONE_REVEAL_ROLES),
        "hidden": False,
    }


def actions_for(actor: Actor, appeal: Appeal) -> list[str]:
    return [a.value for a in workflow.allowed_actions(facts_of(appeal), actor)]


def event_actor_label(actor: Actor, appeal: Appeal, event) -> str:
    """Who took a step, as this actor may see it.

    The reporter's own steps (intake, revisit...) would name them in the timeline: whoever may
    not see the reporter (volunteers; everyone, for an anonymous appeal) reads "reporter"
    instead. Steps without a person read as their stored label ("public", "system").
    """
    from django.utils.translation import gettext

    if (
        event.actor_id is not None
        and event.actor_id == appeal.reporter_id
        and not can_see_reporter(actor, appeal)
    ):
        return gettext("reporter")
    return stored_actor_text(event.actor_label)


def stored_actor_text(label: str) -> str:
    """An event's stored actor label for display: the services store "public" (not signed in) and
    "system" for steps without a person; those are said in the active language."""
    from django.utils.translation import pgettext

    if label == "public":
        return pgettext("event actor", "public")
    if not label or label == "system":
        return pgettext("event actor", "system")
    return label
