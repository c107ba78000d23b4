"""Models of notify: the outbox (one row per recipient per channel), the in-app inbox and the
reporter's contact channels for an appeal."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboxMessage(models.Model):
    """A message to one recipient through one channel (transport), written in the transaction of
    the event that causes it and delivered by the ``notify.send`` worker duty."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # An e-mail address, a phone number or a URL; empty for in-app messages to a user.
    address = models.CharField(_("address"), max_length=255, blank=True)
    # "user:<id>" or "address:<address>": what the dedupe key is unique with.
    recipient_key = models.CharField(max_length=300, editable=False)
    channel = models.CharField(_("channel"), max_length=32)
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    appeal = models.ForeignKey(
        "appeals.Appeal",
        verbose_name=_("appeal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When a pending row is due; for a row being sent, when its claim lapses (a crashed sender).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_due_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key", "recipient_key", "channel"],
                condition=~models.Q(dedupe_key=""),
                name="notify_outbox_dedupe",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address or self.recipient_id}: {self.subject}"


class InboxItem(models.Model):
    """A message in a user's in-app inbox (written by the ``inapp`` transport)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_items"
    )
    message = models.OneToOneField(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbox_item"
    )
    kind = models.CharField(_("kind"), max_length=64)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"), blank=True)
    appeal = models.ForeignKey(
        "appeals.Appeal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        indexes = [
            models.Index(fields=["user", "read_at"], name="notify_inbox_unread_idx"),
            models.Index(fields=["user", "-created_at"], name="notify_inbox_list_idx"),
        ]

    def __str__(self) -> str:
        return self.subject


class ReporterContact(models.Model):
    """How the reporter of an appeal hears about it: one row per channel, captured at intake
    from the reporter's account (in-app, its e-mail) or the phone given (SMS)."""

    appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.CASCADE, related_name="reporter_contacts"
    )
    channel = models.CharField(_("channel"), max_length=32)
    # E-mail address or phone number; empty for in-app (the appeal's reporter account).
    address = models.CharField(_("address"), max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("reporter contact")
        verbose_name_plural = _("reporter contacts")
        constraints = [
            models.UniqueConstraint(fields=["appeal", "channel"], name="notify_reporter_contact")
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id} · {self.channel}"
