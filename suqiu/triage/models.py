"""Models of triage: routing model versions, each appeal's suggestions, keyword rules, corrections.

- ``RoutingModel``: one trained text classifier (``suqiu.triage.router``) per version, stored as
  bytes with its cross-validated metrics, per-label auto-dispatch thresholds, the mapping from
  label (category code) to category and handling organisation, and the urgency terms learnt from
  history. Exactly one version is active; every process keeps the active one in memory
  (``suqiu.triage.loader``) and reloads it when another is activated.
- ``AppealTriage``: what triage suggested for one appeal at intake and whether it acted.
- ``KeywordRule``: administrator-written keywords → category, the fallback without a model.
- ``Correction``: a person chose another category or organisation than the top suggestion.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from suqiu.appeals.models import Appeal, Urgency
from suqiu.directory.models import Category, Organisation, SnapshotSource


class RoutingModel(models.Model):
    version = models.PositiveIntegerField(_("version"), unique=True)
    created_at = models.DateTimeField(_("created at"))
    algorithm = models.CharField(_("algorithm"), max_length=120, blank=True)
    blob = models.BinaryField(_("model bytes"), editable=False)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    # label → probability at or above which intake assesses and dispatches on its own (1.01: never)
    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True)
    # label (category code) → {"category_id": int, "organisation_id": int | None}
    label_map = models.JSONField(_("label map"), default=dict, blank=True)
    # What history teaches about urgency: [{"term", "level", "n", "urgent", "precision"}]
    urgency_terms = models.JSONField(_("learnt urgency terms"), default=list, blank=True)
    n_train = models.PositiveIntegerField(_("training appeals"), default=0)
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("routing model")
        verbose_name_plural = _("routing models")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="triage_one_active_model",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def coverage_at_target(self) -> float | None:
        """The cross-validated share routable at the precision it was trained for, or None."""
        m = self.metrics or {}
        return (m.get("coverage_at_precision") or {}).get(str(m.get("target_precision", 0.98)))

    @property
    def auto_labels(self) -> list[str]:
        """The labels it assesses and dispatches on its own (a threshold above 1: never)."""
        return sorted(k for k, v in (self.thresholds or {}).items() if v <= 1.0)


class TriageSource(models.TextChoices):
    MODEL = "model", _("Model")
    RULES = "rules", _("Keyword rules")
    NONE = "", _("None")


class AppealTriage(models.Model):
    """Triage of one appeal at intake. ``suggestions`` is a list, best first, of
    ``{"category_id", "code", "confidence", "threshold", "organisation_id"}``."""

    appeal = models.OneToOneField(Appeal, on_delete=models.CASCADE, related_name="triage")
    suggestions = models.JSONField(_("suggestions"), default=list, blank=True)
    source = models.CharField(
        _("source"), max_length=8, choices=TriageSource.choices, blank=True, default=""
    )
    model_version = models.PositiveIntegerField(_("model version"), null=True, blank=True)
    urgency_suggested = models.CharField(
        _("suggested urgency"), max_length=12, choices=Urgency.choices, blank=True
    )
    # [{"term", "kind": "lexicon" | "learnt", "level"}]
    urgency_terms = models.JSONField(_("urgency terms"), default=list, blank=True)
    urgency_raised = models.BooleanField(_("urgency raised"), default=False)
    auto_dispatched = models.BooleanField(_("auto-dispatched"), default=False)
    auto_confidence = models.FloatField(_("confidence of the automatic dispatch"), null=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("appeal triage")
        verbose_name_plural = _("appeal triage")

    def __str__(self) -> str:
        return f"triage of appeal {self.appeal_id}"

    @property
    def top(self) -> dict | None:
        return self.suggestions[0] if self.suggestions else None


class KeywordRule(SnapshotSource):
    """Keywords that point to a category: suggestions when no routing model is active. Processes
    keep the active rules in memory (``loader.rules``); saving or deleting one tells them."""

    snapshot_kind = "triage_model"

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )
    keywords = models.TextField(
        _("keywords"), help_text=_("One per line or separated by commas; any of them matches.")
    )
    urgency = models.CharField(
        _("urgency"),
        max_length=12,
        choices=Urgency.choices,
        blank=True,
        help_text=_("Optional: the urgency an appeal matching this rule deserves."),
    )
    auto = models.BooleanField(
        _("dispatch automatically"),
        default=False,
        help_text=_(
            "When this rule is the only one that matches, assess and dispatch to the category's "
            "default organisation without waiting for a person."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category__path", "pk"]
        verbose_name = _("keyword rule")
        verbose_name_plural = _("keyword rules")

    def __str__(self) -> str:
        return f"{self.category} ← {self.keywords[:40]}"

    def keyword_list(self) -> list[str]:
        from suqiu.core.text import normalise

        raw = self.keywords.replace("，", ",").replace("、", ",").replace("\n", ",")
        return [k for k in (normalise(part) for part in raw.split(",")) if k]


class Correction(models.Model):
    """A person assessed or dispatched otherwise than triage's top suggestion. The appeal's final
    category is what the next ``suqiu triage train`` learns from; these rows say how often and
    where the model was wrong."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(_("action"), max_length=12)
    model_version = models.PositiveIntegerField(_("model version"), null=True, blank=True)
    suggested_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggested_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self) -> str:
        return f"{self.action} correction on appeal {self.appeal_id}"
