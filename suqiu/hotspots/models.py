"""Models of hotspots: the per-appeal features, hotspots with their members, governance projects."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from suqiu.appeals.models import Appeal
from suqiu.directory.models import Organisation


class AppealFeatures(models.Model):
    """What the clustering needs of one appeal, computed once (word segmentation is the costly
    part): the block it is compared in, the place to show and its terms. Filled incrementally by
    each run for the appeals of its window that have none yet, so an hourly run segments only the
    new appeals."""

    appeal = models.OneToOneField(
        Appeal, on_delete=models.CASCADE, primary_key=True, related_name="hotspot_features"
    )
    block = models.CharField(max_length=120)
    place_label = models.CharField(max_length=120, blank=True)
    place_rank = models.SmallIntegerField(default=-1)
    # The estate, community or village named (what joins grid and phone reports), else "".
    place_key = models.CharField(max_length=120, blank=True, default="")
    terms = models.TextField(blank=True)  # space-separated
    version = models.PositiveSmallIntegerField(default=0)  # services.FEATURES_VERSION
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.block}"


class ProjectStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class GovernanceProject(models.Model):
    """A proactive governance project (主动治理项目): a common problem taken on as a whole,
    usually promoted from a hotspot; linked to the appeals it answers."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    handler_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("handling organisation"),
        on_delete=models.PROTECT,
        related_name="governance_projects",
    )
    handler_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handling person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="governance_projects",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.OPEN
    )
    appeals = models.ManyToManyField(Appeal, related_name="governance_projects", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("governance project")
        verbose_name_plural = _("governance projects")

    def __str__(self) -> str:
        return self.title


class Hotspot(models.Model):
    """Appeals about one problem at one place within a window of time, with its heat.

    ``window`` names the run it belongs to ("30d" for the rolling window of the worker,
    "30d@2019-12-31" for a run with ``--until``); a re-run of a window updates its hotspots in
    place (matched by shared members), so ids and promotions stay.
    """

    window = models.CharField(max_length=40, db_index=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    title = models.CharField(_("title"), max_length=200)  # the member closest to the centroid
    # The places the members name besides the title's, when no place speaks for most of them
    # (shown after the title, ``display_title``), commonest first.
    other_places = models.JSONField(default=list, blank=True)
    place_label = models.CharField(_("place"), max_length=120, blank=True)
    block = models.CharField(max_length=120)
    terms = models.CharField(max_length=200, blank=True)  # top terms of the centroid
    heat = models.FloatField(_("heat"), db_index=True)
    size = models.PositiveIntegerField(_("appeals"))
    reporters = models.PositiveIntegerField(_("reporters"))
    votes = models.PositiveIntegerField(_("votes"), default=0)
    growth = models.FloatField(_("growth"), default=0)
    span_days = models.FloatField(default=0)
    cohesion = models.FloatField(default=0)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    representative = models.ForeignKey(
        Appeal, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    project = models.ForeignKey(
        GovernanceProject,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hotspots",
        verbose_name=_("governance project"),
    )
    is_current = models.BooleanField(default=True)  # False: a promoted one the last run lost
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-heat", "-id"]
        verbose_name = _("hotspot")
        verbose_name_plural = _("hotspots")
        indexes = [models.Index(fields=["window", "is_current", "-heat"], name="hotspot_rank_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        """The title, and after it the other places its appeals name, in the reader's language
        ("…垃圾桶满溢（还有龙田花园、龙兴大厦）" / "… (also 龙田花园, 龙兴大厦)")."""
        from django.utils.translation import get_language

        from suqiu.hotspots.clustering import title_with_places

        chinese = (get_language() or "zh-hans").startswith("zh")
        # ``scoped_title``: the title the reader may see, set by ``hotspots.selectors``.
        if hasattr(self, "scoped_title"):  # read through a scoped selector
            title = self.scoped_title or self.place_label or "—"
        else:
            title = self.title
        return title_with_places(title, "", self.other_places or [], chinese=chinese)


class HotspotMember(models.Model):
    hotspot = models.ForeignKey(Hotspot, on_delete=models.CASCADE, related_name="members")
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="hotspot_links")
    similarity = models.FloatField(default=0)  # to the centroid

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hotspot", "appeal"], name="hotspot_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.hotspot_id}:{self.appeal_id}"


class HotspotJob(models.Model):
    """When the worker's periodic run is next due (one row per window); claimed with
    compare-and-set so only one of several workers runs it."""

    window = models.CharField(max_length=40, unique=True)
    next_run_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_result = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.window
