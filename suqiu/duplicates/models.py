"""Models of duplicates: the term index, one entry per indexed appeal, the candidates found.

The index is an inverted index of (term, area) → appeal kept in the database, so every web and
worker process sees the same one and it commits or rolls back with the appeal that wrote it
(see ``index.py``). ``DuplicateTerm`` is as narrow as a row can be: a 32-bit key and the appeal
id, whose composite primary key is the only index (looked up by key prefix).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from suqiu.appeals.models import Appeal


class DuplicateEntry(models.Model):
    """An appeal in the index: where it is, when it stops being compared, its exact-repeat key
    and the term keys it was indexed under (so pruning finds its rows by primary key)."""

    appeal = models.OneToOneField(
        Appeal, primary_key=True, on_delete=models.CASCADE, related_name="duplicate_entry"
    )
    area_id = models.IntegerField()
    created_at = models.DateTimeField(db_index=True)
    # Set when the appeal is finished (closed, rejected, merged): it is compared until then.
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Hash of (reporter, normalised text); None for appeals without a known reporter.
    repeat_key = models.BigIntegerField(null=True, blank=True, db_index=True)
    keys = models.BinaryField(default=b"")  # packed int32 term keys (index.pack_keys)

    class Meta:
        verbose_name = _("duplicate index entry")
        verbose_name_plural = _("duplicate index entries")

    def __str__(self) -> str:
        return f"index entry of appeal {self.appeal_id}"


class DuplicateTerm(models.Model):
    """One posting of the inverted index: ``key`` = hash(term, area) (signed 32 bits)."""

    pk = models.CompositePrimaryKey("key", "appeal")
    key = models.IntegerField()
    # No FK constraint: the row is written in the appeal's own transaction, appeals are never
    # deleted, and a constraint check per posting would cost more than the posting.
    appeal = models.ForeignKey(
        Appeal, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )

    class Meta:
        verbose_name = _("duplicate index term")
        verbose_name_plural = _("duplicate index terms")

    def __str__(self) -> str:
        return f"{self.key} → {self.appeal_id}"


class DuplicateCandidate(models.Model):
    """An earlier appeal that may report the same problem as ``appeal``, found at its intake."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="duplicate_candidates"
    )
    candidate = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="duplicate_of")
    similarity = models.FloatField(_("similarity"))
    distance_m = models.FloatField(_("distance (m)"), null=True, blank=True)
    created_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-similarity", "id"]
        verbose_name = _("duplicate candidate")
        verbose_name_plural = _("duplicate candidates")
        constraints = [
            models.UniqueConstraint(fields=["appeal", "candidate"], name="dup_candidate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id} ~ {self.candidate_id} ({self.similarity:.2f})"
