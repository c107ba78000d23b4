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


# --- Federation: this Suqiu as an Open311 client of another organisation's system -----------------


class Format(models.TextChoices):
    JSON = "json", "JSON"
    XML = "xml", "XML"


class UpstreamEndpoint(models.Model):
    """Appeals of this category, once dispatched, are also POSTed to another organisation's
    Open311 GeoReport v2 server, which handles them; the worker polls it for their status."""

    category = models.OneToOneField(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="open311_upstream",
    )
    name = models.CharField(_("name"), max_length=80, help_text=_("Who runs the upstream system."))
    base_url = models.URLField(
        _("base URL"),
        max_length=300,
        help_text=_("The GeoReport v2 root, ending in a slash: https://city.example/open311/v2/"),
    )
    jurisdiction_id = models.CharField(_("jurisdiction_id"), max_length=120, blank=True)
    # Our key at their server (they issued it to us): needed as given to authenticate there.
    api_key = models.CharField(_("API key"), max_length=200)
    service_code = models.CharField(_("upstream service code"), max_length=120)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices, default="json")
    is_active = models.BooleanField(_("active"), default=True)
    poll_interval_seconds = models.PositiveIntegerField(_("poll interval (seconds)"), default=300)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Open311 upstream endpoint")
        verbose_name_plural = _("Open311 upstream endpoints")

    def __str__(self) -> str:
        return f"{self.category.code} → {self.name}"

    def clean(self):
        if self.base_url and not self.base_url.endswith("/"):
            self.base_url += "/"

    def url(self, resource: str) -> str:
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return f"{base}{resource}.{self.format}"


class FederationState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent upstream")
    FAILED = "failed", _("Failed (will not retry)")


class FederatedRequest(models.Model):
    """The outbox row of one appeal sent upstream, written in the dispatch transaction, and
    afterwards what we know about it upstream."""

    appeal = models.OneToOneField(
        Appeal, on_delete=models.PROTECT, related_name="open311_federation"
    )
    endpoint = models.ForeignKey(
        UpstreamEndpoint, on_delete=models.PROTECT, related_name="requests"
    )
    state = models.CharField(
        _("state"),
        max_length=8,
        choices=FederationState.choices,
        default=FederationState.PENDING,
    )
    upstream_id = models.CharField(_("upstream service_request_id"), max_length=120, blank=True)
    upstream_token = models.CharField(_("upstream token"), max_length=120, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now, db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, db_index=True)
    upstream_status = models.CharField(_("upstream status"), max_length=20, blank=True)
    upstream_status_notes = models.TextField(_("upstream status notes"), blank=True)
    upstream_updated_datetime = models.CharField(
        _("upstream updated_datetime"), max_length=40, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Open311 federated request")
        verbose_name_plural = _("Open311 federated requests")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="open311_fed_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id} → {self.upstream_id or self.state}"
