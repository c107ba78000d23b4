"""Organisations, grids, categories, people, roles and scoped memberships.

Areas form one tree (district → street → community); departments, social work agencies, social
organisations, party branches and enterprises hang in the same tree under the area they serve.
Every node keeps a materialised ``path`` ("/1/4/17/") so "everything inside this area" is one
indexed prefix query instead of a recursive walk.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    COMMAND_CENTRE = "command_centre", _("Command centre")
    DEPARTMENT = "department", _("Department")
    SOCIAL_WORK_AGENCY = "social_work_agency", _("Social work agency")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    PARTY_BRANCH = "party_branch", _("Party branch")
    ENTERPRISE = "enterprise", _("Enterprise")


AREA_KINDS = {OrgKind.DISTRICT, OrgKind.STREET, OrgKind.COMMUNITY}


class SnapshotSource(models.Model):
    """A row that processes keep a copy of (``directory.snapshot``): saving or deleting one
    bumps the version of its ``snapshot_kind``, after the whole save, so copies are rebuilt."""

    snapshot_kind = ""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        from suqiu.directory import snapshot

        super().save(*args, **kwargs)
        if self.bumps_snapshot(kwargs.get("update_fields")):
            snapshot.bump(self.snapshot_kind)

    def delete(self, *args, **kwargs):
        from suqiu.directory import snapshot

        result = super().delete(*args, **kwargs)
        snapshot.bump(self.snapshot_kind)
        return result

    def bumps_snapshot(self, update_fields) -> bool:
        return True


class TreeNode(models.Model):
    """A node with a materialised path; subclasses set ``parent``."""

    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        creating = self.pk is None
        super().save(*args, **kwargs)
        parent_path = self.parent.path if self.parent_id else "/"
        path = f"{parent_path}{self.pk}/"
        if path != self.path:
            old = self.path
            self.path = path
            type(self).objects.filter(pk=self.pk).update(path=path)
            if old and not creating:
                # Re-root the subtree when a node moves.
                for child in type(self).objects.filter(path__startswith=old).exclude(pk=self.pk):
                    child.path = path + child.path[len(old) :]
                    type(self).objects.filter(pk=child.pk).update(path=child.path)

    def ancestors_and_self_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]


class NamedInTwoLanguages:
    """A directory object with ``name`` (Chinese) and ``name_en``: ``label(language)`` is the
    one a page in that language shows (the English name on an English page, when there is one;
    the ``localized`` template filter asks this)."""

    def label(self, language: str | None = None) -> str:
        if language and language.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Organisation(NamedInTwoLanguages, SnapshotSource, TreeNode):
    """An area (district, street, community) or a body that handles appeals."""

    snapshot_kind = "directory"

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def is_area(self) -> bool:
        return self.kind in AREA_KINDS

    def area(self) -> Organisation:
        """The nearest area node at or above this organisation."""
        node = self
        while node is not None and not node.is_area:
            node = node.parent
        return node or self


class Grid(SnapshotSource, TreeNode):
    """A grid cell a grid worker patrols; optionally bounded by a GeoJSON polygon (WGS-84)."""

    snapshot_kind = "directory"

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    community = models.ForeignKey(
        Organisation,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"kind": OrgKind.COMMUNITY},
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    # Bounding box of the boundary, kept so point-in-grid only tests the few candidate polygons.
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    min_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        indexes = [
            models.Index(fields=["min_lat", "max_lat", "min_lon", "max_lon"], name="grid_bbox_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        from suqiu.directory.geo import boundary_bbox, boundary_geometry

        # A Feature or a one-feature collection is kept as its geometry: maps and the API serve
        # the boundary as a geometry.
        self.boundary = boundary_geometry(self.boundary)
        if self.boundary:
            self.min_lon, self.min_lat, self.max_lon, self.max_lat = boundary_bbox(self.boundary)
        else:
            self.min_lon = self.min_lat = self.max_lon = self.max_lat = None
        super().save(*args, **kwargs)

    def clean(self):
        from django.core.exceptions import ValidationError

        from suqiu.core.errors import ValidationFailed
        from suqiu.directory.geo import validate_boundary

        if self.boundary:
            # The admin form understands Django's ValidationError; ours would be a 500 there.
            try:
                self.boundary = validate_boundary(self.boundary)
            except ValidationFailed as exc:
                fields = {"boundary": exc.fields.get("boundary") or [exc.message]}
                raise ValidationError(fields) from exc


class Category(NamedInTwoLanguages, SnapshotSource, TreeNode):
    """An appeal category; ``default_organisation`` is where dispatch goes unless told otherwise."""

    snapshot_kind = "directory"

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    default_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("default handling organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    auto_dispatch = models.BooleanField(
        _("automatic dispatch allowed"),
        default=True,
        help_text=_(
            "Off: triage never assesses and dispatches this category's appeals on its own, "
            "whatever the routing model's confidence or a keyword rule says; its suggestions "
            "still show to the dispatcher."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    OPERATOR = "operator", _("Intake operator")
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    VOLUNTEER = "volunteer", _("Volunteer")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    DISPATCHER = "dispatcher", _("Dispatcher")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")


class User(SnapshotSource, AbstractUser):
    """A person who signs in: resident, staff or integration account."""

    snapshot_kind = "people"

    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def bumps_snapshot(self, update_fields) -> bool:
        # A login only stamps last_login: nothing cached depends on it.
        return set(update_fields or ()) != {"last_login"}


class Membership(SnapshotSource, models.Model):
    """A role a user holds within an organisation (its scope); residents need no organisation."""

    snapshot_kind = "people"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    grids = models.ManyToManyField(
        Grid, verbose_name=_("grids covered"), blank=True, related_name="memberships"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organisation"], name="membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation or '-'}"


class ApiToken(SnapshotSource, models.Model):
    """A bearer token for the REST API. Only a SHA-256 of the secret is stored."""

    snapshot_kind = "people"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80, blank=True)
    prefix = models.CharField(max_length=12, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: User, name: str = "") -> tuple[ApiToken, str]:
        raw = "sq_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=raw[:10], digest=cls.digest_of(raw))
        return token, raw
