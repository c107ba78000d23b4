"""Models of replies: one check per resolve of an appeal."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from suqiu.appeals.models import Appeal, AppealEvent


class ReplyCheck(models.Model):
    """How a resolve's public reply measured up (``checks.check``), written in the resolve's
    own transaction. Scores are 0..1; ``on_time`` is None when the appeal had no due time."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="reply_checks")
    event = models.OneToOneField(AppealEvent, on_delete=models.PROTECT, related_name="reply_check")
    addresses = models.FloatField(_("addresses the appeal"))
    action = models.FloatField(_("says what was done"))
    time = models.FloatField(_("says when"))
    on_time = models.FloatField(_("on time"), null=True, blank=True)
    length = models.FloatField(_("long enough"))
    overall = models.FloatField(_("overall score"))
    chars = models.PositiveIntegerField(default=0)
    missing_terms = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)  # [{"code": ..., params...}]
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reply check")
        verbose_name_plural = _("reply checks")

    def __str__(self) -> str:
        return f"reply check of appeal {self.appeal_id} ({self.overall:.2f})"
