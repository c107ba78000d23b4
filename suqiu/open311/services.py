"""Open311 writes: a POSTed service request becomes an appeal through ``appeals.services``.

The appeal and the ``SubmittedRequest`` row are written in one transaction, so a failure leaves
neither. Attribute answers are validated before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from suqiu.appeals import services as appeal_services
from suqiu.appeals.models import Appeal, Channel
from suqiu.appeals.services import DESCRIPTION_MAX, TITLE_MAX, AppealInput
from suqiu.core.errors import ValidationFailed
from suqiu.directory.access import Actor
from suqiu.directory.models import Category
from suqiu.open311.attributes import answers_summary, validate_attributes
from suqiu.open311.models import ApiClient, ServiceAttribute, SubmittedRequest


@dataclass
class Submission:
    """The fields of POST requests, parsed (location already checked to be present)."""

    lat: float | None = None
    lon: float | None = None
    address_string: str = ""
    address_id: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    description: str = ""
    media_url: str = ""


def client_actor(client: ApiClient) -> Actor:
    """The client application as the appeal timeline records it (no user account)."""
    return Actor(user_id=None, roles=frozenset({"open311"}), label=f"Open311: {client.name}"[:120])


def _title(description: str, category: Category) -> str:
    first_line = description.strip().splitlines()[0].strip() if description.strip() else ""
    if not first_line:
        return category.name[:TITLE_MAX]
    if len(first_line) > TITLE_MAX:
        return first_line[: TITLE_MAX - 1] + "…"
    return first_line


def _with_answers(description: str, summary: str) -> str:
    if not summary:
        return description
    combined = f"{description}\n\n{summary}" if description else summary
    return combined[:DESCRIPTION_MAX]


def request_create(
    *,
    client: ApiClient,
    category: Category,
    definition: list[ServiceAttribute],
    submission: Submission,
) -> tuple[Appeal, SubmittedRequest]:
    """Create the appeal (channel ``open311``, client name = the application) and its record.

    Raises ``ValidationFailed`` with one message per problem (attributes, description, place,
    phone) before writing anything.
    """
    answers, problems = validate_attributes(definition, submission.attributes)
    if problems:
        raise ValidationFailed(
            _("The service request is not valid."), fields={"attribute": problems}
        )
    description = submission.description.strip()
    summary = answers_summary(definition, answers)
    name = f"{submission.first_name} {submission.last_name}".strip()
    address = submission.address_string.strip()
    if not address and submission.address_id:
        address = f"address_id {submission.address_id}"
    data = AppealInput(
        title=_title(description, category),
        description=_with_answers(description or category.name, summary),
        channel=Channel.OPEN311,
        lat=submission.lat,
        lon=submission.lon,
        address=address[:255],
        category=category.pk,
        reporter_name=name[:80],
        reporter_phone=submission.phone.strip(),
        client_name=client.name,
    )
    with transaction.atomic():
        appeal = appeal_services.appeal_create(actor=client_actor(client), data=data)
        record = SubmittedRequest.objects.create(
            appeal=appeal,
            client=client,
            attributes=answers,
            description=description,
            address_id=submission.address_id,
            media_url=submission.media_url,
            email=submission.email,
            device_id=submission.device_id,
            account_id=submission.account_id,
            first_name=submission.first_name,
            last_name=submission.last_name,
            phone=submission.phone,
        )
    return appeal, record
