"""The appeal, its photos, its append-only event trail and API idempotency records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from suqiu.appeals.workflow import STATUS_LABELS, Status
from suqiu.directory.models import Category, Grid, Organisation


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    SERVICE_STATION = "service_station", _("Service station")
    GRID_PATROL = "grid_patrol", _("Grid patrol")
    ENTERPRISE_DESK = "enterprise_desk", _("Enterprise desk")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    SENSOR = "sensor", _("Sensor")
    IMPORT = "import", _("Import")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


URGENCY_RANK = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.NORMAL: 2}

STATUS_CHOICES = [(s.value, STATUS_LABELS[s]) for s in Status]


class Appeal(models.Model):
    """One appeal (诉求/工单) from any channel, carried through the work chain.

    Fields change only through ``suqiu.appeals.services``; each change writes an ``AppealEvent``
    in the same transaction.
    """

    tracking_code = models.CharField(_("tracking code"), max_length=14, unique=True, editable=False)
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB
    )
    client_name = models.CharField(_("client application"), max_length=80, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_appeals",
    )
    reporter_name = models.CharField(_("reporter name"), max_length=80, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=32, blank=True)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    # The area (community, or a higher level when the place is unknown) whose staff see the appeal.
    area = models.ForeignKey(
        Organisation, verbose_name=_("area"), on_delete=models.PROTECT, related_name="area_appeals"
    )
    area_path = models.CharField(max_length=255, db_index=True, editable=False)

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    urgency = models.CharField(
        _("urgency"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL
    )
    urgency_rank = models.PositiveSmallIntegerField(default=2, editable=False)

    status = models.CharField(
        _("status"), max_length=16, choices=STATUS_CHOICES, default=Status.RECEIVED
    )
    suspended_from = models.CharField(max_length=16, choices=STATUS_CHOICES, blank=True)
    lead_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("lead organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_appeals",
    )
    lead_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_appeals",
    )
    co_handlers = models.ManyToManyField(
        Organisation, verbose_name=_("co-handlers"), blank=True, related_name="co_handled_appeals"
    )
    is_claimable = models.BooleanField(_("claimable"), default=False)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_appeals",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_appeals",
    )

    public_reply = models.TextField(_("public reply"), blank=True)
    resolution_note = models.TextField(_("internal note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    revisit_resolved = models.BooleanField(_("resolved at revisit"), null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("rework count"), default=0)

    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    # The clock (suqiu/timelimits/due.py): the stage ``due_at`` belongs to, when it started,
    # whether it counts working time, when to remind and to escalate (cleared once done; the
    # ``*_for`` markers name the stage it was done for), the time left while suspended (hours
    # in the stage's measure) and the separate first-contact due time with its own reminder and
    # escalation times (cleared once done, at the first contact or when the appeal leaves
    # ``in_progress``; the flags say they were done for the current first-contact due time).
    due_stage = models.CharField(_("due stage"), max_length=16, blank=True)
    stage_started_at = models.DateTimeField(_("stage started at"), null=True, blank=True)
    due_working = models.BooleanField(default=False, editable=False)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_for = models.CharField(max_length=16, blank=True, editable=False)
    escalate_at = models.DateTimeField(_("escalate at"), null=True, blank=True)
    escalated_for = models.CharField(max_length=16, blank=True, editable=False)
    paused_remaining = models.FloatField(null=True, blank=True, editable=False)
    first_contact_due_at = models.DateTimeField(_("first contact due"), null=True, blank=True)
    first_contact_remind_at = models.DateTimeField(
        _("first contact remind at"), null=True, blank=True
    )
    first_contact_reminded = models.BooleanField(default=False, editable=False)
    first_contact_escalate_at = models.DateTimeField(
        _("first contact escalate at"), null=True, blank=True
    )
    first_contact_escalated = models.BooleanField(default=False, editable=False)
    # While suspended: the first contact's time left (hours in its limit's measure), restored by
    # resume; negative when it was already overdue.
    first_contact_paused_remaining = models.FloatField(null=True, blank=True, editable=False)
    extension_requested_until = models.DateTimeField(
        _("extension requested until"), null=True, blank=True
    )
    extension_reason = models.CharField(_("extension reason"), max_length=500, blank=True)

    # Imported history and partner systems: where the appeal came from and its id there (one
    # appeal per source and id: re-importing a file creates nothing new), and the public's votes
    # on it where the source has them (点赞/反对; the hotspot heat score counts them).
    external_source = models.CharField(_("external source"), max_length=40, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    support_votes = models.PositiveIntegerField(_("support votes"), default=0)
    oppose_votes = models.PositiveIntegerField(_("oppose votes"), default=0)

    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Bumped by every service write; lets list pages and clients detect stale views.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        indexes = [
            models.Index(fields=["status", "urgency_rank", "created_at"], name="appeal_queue_idx"),
            models.Index(fields=["area_path", "status"], name="appeal_area_status_idx"),
            models.Index(fields=["lead_organisation", "status"], name="appeal_lead_org_idx"),
            models.Index(fields=["reporter", "created_at"], name="appeal_reporter_idx"),
            # The workbench list's "most urgent first" order (selectors.AppealFilters): a
            # list over the whole history ("All appeals", a leader's default) reads its first
            # page in index order instead of sorting every visible row. PostgreSQL sorts NULLs
            # last in ascending order, as the list does.
            models.Index(
                fields=["urgency_rank", "due_at", "created_at", "id"],
                name="appeal_urgent_order_idx",
            ),
            # The worker's sweeps (suqiu/timelimits/duties.py): small partial indexes over the
            # rows with something pending, so a sweep over a million open appeals reads only
            # the due ones.
            models.Index(
                fields=["remind_at"],
                condition=models.Q(remind_at__isnull=False),
                name="appeal_remind_at_idx",
            ),
            models.Index(
                fields=["escalate_at"],
                condition=models.Q(escalate_at__isnull=False),
                name="appeal_escalate_at_idx",
            ),
            models.Index(
                fields=["first_contact_remind_at"],
                condition=models.Q(first_contact_remind_at__isnull=False),
                name="appeal_fc_remind_at_idx",
            ),
            models.Index(
                fields=["first_contact_escalate_at"],
                condition=models.Q(first_contact_escalate_at__isnull=False),
                name="appeal_fc_escalate_at_idx",
            ),
            models.Index(
                fields=["due_at"],
                condition=models.Q(status__in=["dispatched", "verified"]),
                name="appeal_accept_revisit_due_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=~models.Q(external_id=""),
                name="appeal_external_id_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="appeal_satisfaction_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(lat__isnull=True) | models.Q(lat__gte=-90, lat__lte=90),
                name="appeal_lat_range",
            ),
            models.CheckConstraint(
                condition=models.Q(lon__isnull=True) | models.Q(lon__gte=-180, lon__lte=180),
                name="appeal_lon_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"

    @property
    def status_enum(self) -> Status:
        return Status(self.status)

    def get_status_label(self):
        return STATUS_LABELS[Status(self.status)]

    def final_main(self) -> Appeal | None:
        """The appeal this one's merges lead to: its main appeal, or, when that was merged in
        its turn, that one's main, and so on (None when this one is not merged). The chain is
        read here, not rewritten at each merge, so every merge stays the event it was."""
        main, seen = self.merged_into if self.merged_into_id else None, {self.pk}
        while (
            main is not None
            and main.status == Status.MERGED
            and main.merged_into_id
            and main.pk not in seen
            and len(seen) < 50
        ):
            seen.add(main.pk)
            main = main.merged_into
        # A cycle (hand-edited data; the services refuse to merge into a merged appeal) leads
        # nowhere.
        return None if main is not None and main.pk in seen else main


def reporter_identity(reporter_id: int | None, reporter_phone: str | None) -> str:
    """The reporter as one person across appeals: ``u<account id>``, else ``p<the phone's
    digits>``; "" when neither is known (anonymous, or a name only)."""
    if reporter_id is not None:
        return f"u{reporter_id}"
    digits = "".join(ch for ch in reporter_phone or "" if ch.isdecimal())
    return f"p{digits}" if digits else ""


def photo_path(instance, filename: str) -> str:
    return f"appeals/{timezone.now():%Y/%m}/{instance.sha256[:2]}/{instance.sha256}.{instance.extension}"


class AppealPhoto(models.Model):
    """A photo attached to an appeal, validated by content (not by file name) and size."""

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="photos")
    file = models.FileField(upload_to=photo_path)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return f"photo {self.pk} of appeal {self.appeal_id}"

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
            self.content_type, "bin"
        )


class EventKind(models.TextChoices):
    """What an event records. Work-chain actions use their action names."""

    CREATED = "created", _("Received")
    ASSESS = "assess", _("Assessed")
    REJECT = "reject", _("Rejected")
    MERGE = "merge", _("Merged")
    MERGED_IN = "merged_in", _("Another appeal merged in")
    QUEUE = "queue", _("Put in task library")
    DISPATCH = "dispatch", _("Dispatched")
    ACCEPT = "accept", _("Accepted")
    RETURN = "return", _("Returned")
    CLAIM = "claim", _("Claimed")
    NOTE = "note", _("Follow-up note")
    REQUEST_RESOURCES = "request_resources", _("Resources requested")
    RESOLVE = "resolve", _("Resolved")
    VERIFY = "verify", _("Verified")
    SEND_BACK = "send_back", _("Sent back for rework")
    REVISIT = "revisit", _("Revisited")
    SUSPEND = "suspend", _("Suspended")
    RESUME = "resume", _("Resumed")
    REQUEST_EXTENSION = "request_extension", _("Extension requested")
    APPROVE_EXTENSION = "approve_extension", _("Extension approved")
    DENY_EXTENSION = "deny_extension", _("Extension denied")
    PHOTO_ADDED = "photo_added", _("Photo added")
    PHONE_REVEALED = "phone_revealed", _("Phone number revealed")
    URGENCY_RAISED = "urgency_raised", _("Urgency raised")
    ESCALATE = "escalate", _("Overdue: escalated")
    REMIND = "remind", _("Due soon: reminded")
    RECATEGORISE = "recategorise", _("Imported record corrected")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Appeal events are append-only.")

    def delete(self):
        raise TypeError("Appeal events are append-only.")


class AppealEvent(models.Model):
    """One step of an appeal's history. Append-only: never updated, never deleted.

    ``actor`` None means the system. ``is_public`` events (with ``public_text``) appear on the
    public tracking page; everything else is staff-only.
    """

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    public_text = models.TextField(blank=True)
    is_public = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("appeal event")
        verbose_name_plural = _("appeal events")
        indexes = [models.Index(fields=["appeal", "created_at"], name="event_appeal_time_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on appeal {self.appeal_id} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Appeal events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Appeal events are append-only.")


class IdempotencyKey(models.Model):
    """Remembers which appeal an ``Idempotency-Key`` created, per client, so retries are safe."""

    owner = models.CharField(max_length=80)  # "user:<id>" or "ip:<address>"
    key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key")
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"
