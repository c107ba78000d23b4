"""Time-limit policies per category and urgency, and local calendar overrides."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from suqiu.directory.models import Category


class Unit(models.TextChoices):
    """How a limit is counted: natural (wall-clock) hours, working hours, or working days (a
    working day is the length of the configured working hours, 7 h by default, so 3 working
    days from Monday 10:00 end on Thursday 10:00)."""

    HOURS = "hours", _("hours (around the clock)")
    WORK_HOURS = "work_hours", _("working hours")
    WORK_DAYS = "work_days", _("working days")


class Stage(models.TextChoices):
    """The stages an appeal's clock runs in (one due time at a time, plus first contact)."""

    DISPATCH = "dispatch", _("dispatch")
    ACCEPT = "accept", _("accept")
    FIRST_CONTACT = "first_contact", _("first contact")
    RESOLVE = "resolve", _("resolve")
    REVISIT = "revisit", _("revisit")


STAGES = [s.value for s in Stage]
URGENCIES = [("normal", _("Normal")), ("urgent", _("Urgent")), ("emergency", _("Emergency"))]


def _amount(label):
    return models.DecimalField(
        label,
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100000)],
        help_text=_("Empty: no time limit for this stage."),
    )


def _unit(label):
    return models.CharField(label, max_length=12, choices=Unit.choices, default=Unit.WORK_HOURS)


class TimeLimitPolicy(models.Model):
    """The time limits of one category (or of all categories: ``category`` empty) at one urgency.

    The most specific policy wins: the appeal's category's own, then its parent categories'
    (nearest first, by ``Category.path``), then the default (no category). Without any row, the
    shipped defaults in ``suqiu.timelimits.policies.DEFAULTS`` apply.
    """

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="time_limit_policies",
        help_text=_("Empty: the default for every category without its own policy."),
    )
    urgency = models.CharField(_("urgency"), max_length=12, choices=URGENCIES)
    dispatch_limit = _amount(_("dispatch limit"))
    dispatch_unit = _unit(_("dispatch unit"))
    accept_limit = _amount(_("accept limit"))
    accept_unit = _unit(_("accept unit"))
    first_contact_limit = _amount(_("first contact limit"))
    first_contact_unit = _unit(_("first contact unit"))
    resolve_limit = _amount(_("resolve limit"))
    resolve_unit = _unit(_("resolve unit"))
    revisit_limit = _amount(_("revisit limit"))
    revisit_unit = _unit(_("revisit unit"))
    remind_at_percent = models.PositiveSmallIntegerField(
        _("remind at (percent of the limit)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("The responsible person is reminded when this share of the limit has passed."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("time-limit policy")
        verbose_name_plural = _("time-limit policies")
        ordering = ["category__path", "urgency"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "urgency"],
                condition=models.Q(category__isnull=False),
                name="timelimit_policy_category_urgency",
            ),
            models.UniqueConstraint(
                fields=["urgency"],
                condition=models.Q(category__isnull=True),
                name="timelimit_policy_default_urgency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or _('default')} · {self.get_urgency_display()}"

    def save(self, *args, **kwargs):
        from suqiu.timelimits import policies

        super().save(*args, **kwargs)
        policies.forget()

    def delete(self, *args, **kwargs):
        from suqiu.timelimits import policies

        result = super().delete(*args, **kwargs)
        policies.forget()
        return result

    def clean(self):
        super().clean()
        # The conditional unique constraints are not checked by model validation on every
        # database; say it in the form rather than with an IntegrityError.
        clash = TimeLimitPolicy.objects.filter(
            category=self.category, urgency=self.urgency
        ).exclude(pk=self.pk)
        if clash.exists():
            raise ValidationError(_("There is already a policy for this category and urgency."))

    def limit(self, stage: str) -> tuple[float, str] | None:
        amount = getattr(self, f"{stage}_limit")
        if amount is None:
            return None
        return float(amount), getattr(self, f"{stage}_unit")


class CalendarOverride(models.Model):
    """A local exception to the national calendar: a day off or a working day."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'day off'}"

    def save(self, *args, **kwargs):
        from suqiu.timelimits import conf

        super().save(*args, **kwargs)
        conf.forget_calendar()

    def delete(self, *args, **kwargs):
        from suqiu.timelimits import conf

        result = super().delete(*args, **kwargs)
        conf.forget_calendar()
        return result
