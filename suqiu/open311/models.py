"""Open311 GeoReport v2: client applications, per-category extra questions, and submissions.

The appeal itself lives in ``suqiu.appeals``; this app only records what the protocol adds: which
client application submitted an appeal, the attribute answers, and the submitter's contact data
(kept privately, never shown by GET). A later federation client will add an upstream endpoint per
category here (a model with a one-to-one to ``directory.Category``), so the directory stays
protocol-free.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from suqiu.appeals.models import Appeal
from suqiu.directory.models import Category


class ApiClient(models.Model):
    """A third-party application allowed to POST requests. Only a SHA-256 of its key is stored."""

    name = models.CharField(_("application name"), max_length=80, db_index=True)
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    rate_limit_per_minute = models.PositiveIntegerField(_("requests per minute"), default=60)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["name", "created_at"]
        verbose_name = _("Open311 client application")
        verbose_name_plural = _("Open311 client applications")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, *, name: str, rate_limit_per_minute: int = 60) -> tuple[ApiClient, str]:
        """Create a client and return it with its key (shown once, never stored)."""
        raw = "o311_" + secrets.token_urlsafe(32)
        client = cls.objects.create(
            name=name,
            prefix=raw[:12],
            digest=cls.digest_of(raw),
            rate_limit_per_minute=rate_limit_per_minute,
        )
        return client, raw

    @classmethod
    def authenticate(cls, raw: str) -> ApiClient | None:
        """The active client holding this key, or None."""
        if not raw:
            return None
        return cls.objects.filter(digest=cls.digest_of(raw), revoked_at__isnull=True).first()


class Datatype(models.TextChoices):
    """GeoReport v2 attribute datatypes."""

    STRING = "string", _("String (one line)")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Text (several lines)")
    SINGLEVALUELIST = "singlevaluelist", _("One value from a list")
    MULTIVALUELIST = "multivaluelist", _("Several values from a list")


LIST_DATATYPES = {Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST}


class ServiceAttribute(models.Model):
    """An extra question for one category (a GeoReport v2 service definition attribute)."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="open311_attributes",
    )
    code = models.CharField(_("code"), max_length=64)
    variable = models.BooleanField(
        _("needs input"),
        default=True,
        help_text=_("Off: the attribute only informs the user and takes no answer."),
    )
    datatype = models.CharField(_("datatype"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveIntegerField(_("order"), default=1)
    description = models.CharField(_("question"), max_length=500)
    datatype_description = models.CharField(_("datatype description"), max_length=200, blank=True)
    # [{"key": "...", "name": "..."}] for singlevaluelist and multivaluelist.
    values = models.JSONField(_("values"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "order", "code"]
        verbose_name = _("Open311 service attribute")
        verbose_name_plural = _("Open311 service attributes")
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_code"),
            models.CheckConstraint(condition=models.Q(order__gte=1), name="open311_order_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.category.code}/{self.code}"

    def value_keys(self) -> list[str]:
        return [str(v.get("key")) for v in self.values or [] if isinstance(v, dict)]

    def clean(self):
        if self.datatype in LIST_DATATYPES:
            ok = (
                isinstance(self.values, list)
                and self.values
                and all(
                    isinstance(v, dict) and str(v.get("key", "")).strip() and "name" in v
                    for v in self.values
                )
            )
            if not ok:
                raise ValidationError(
                    {"values": _('A non-empty list of {"key": ..., "name": ...} objects.')}
                )
            keys = self.value_keys()
            if len(set(keys)) != len(keys):
                raise ValidationError({"values": _("Keys must be unique.")})
        elif self.values:
            raise ValidationError({"values": _("Only list datatypes take values.")})


class SubmittedRequest(models.Model):
    """Which client application submitted an appeal over Open311, with what it sent.

    The contact fields are personal data: staff-only, never part of a GET response. Created in the
    same transaction as the appeal.
    """

    appeal = models.OneToOneField(
        Appeal, on_delete=models.PROTECT, related_name="open311_submission"
    )
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="submissions")
    attributes = models.JSONField(default=dict, blank=True)
    # The citizen's text exactly as submitted (the appeal's description may carry the answers too).
    description = models.TextField(blank=True, max_length=4000)
    address_id = models.CharField(max_length=120, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    email = models.EmailField(blank=True)
    device_id = models.CharField(max_length=120, blank=True)
    account_id = models.CharField(max_length=120, blank=True)
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")

    def __str__(self) -> str:
        return f"{self.appeal_id} via {self.client_id}"
