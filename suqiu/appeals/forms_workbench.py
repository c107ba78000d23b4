"""Forms of the staff workbench: the list filters, one small form per work-chain action, bulk dispatch.

The action forms only shape what a person typed into the payload ``services.appeal_act`` takes
(see ``services.ACTION_INPUTS``); the service stays the authority on what is valid. Its
``ValidationFailed`` field errors are copied back onto the form (``add_service_errors``) so they
show next to the field that caused them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from suqiu.appeals import workflow
from suqiu.appeals.models import STATUS_CHOICES, Appeal, Channel, Urgency
from suqiu.appeals.selectors import QUEUES, AppealFilters
from suqiu.core import clock
from suqiu.core.errors import ApplicationError
from suqiu.core.ids import as_id
from suqiu.directory.access import Actor
from suqiu.directory.models import AREA_KINDS, Category, Membership, Organisation, User

# --- Queues -----------------------------------------------------------------------------------------

# The workbench queues in work-chain order (keys of selectors.QUEUES), with translatable labels.
QUEUE_LABELS = {
    "to_assess": _("To assess"),
    "to_dispatch": _("To dispatch"),
    "to_accept": _("To accept"),
    "in_progress": _("In progress"),
    "to_verify": _("To verify"),
    "to_revisit": _("To revisit"),
    "suspended": _("Suspended"),
    "overdue": _("Overdue"),
}
assert set(QUEUE_LABELS) == set(QUEUES), "every selector queue needs a workbench label"
ALL_QUEUE = "all"
QUEUE_CHOICES = [(ALL_QUEUE, _("All appeals")), *QUEUE_LABELS.items()]

ORDER_CHOICES = [
    ("urgency", _("Most urgent first")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
]

# Keyed by action name (the workflow's own table, so every page says the same).
ACTION_LABELS = {action.value: label for action, label in workflow.ACTION_LABELS.items()}
# Actions that end or undo work get a quieter, "danger" style button.
DANGER_ACTIONS = frozenset({"reject", "merge", "return", "send_back", "suspend", "deny_extension"})


def _textarea(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _category_label(category: Category) -> str:
    """A category in a select: indented by its depth, named in the page's language."""
    depth = max(category.path.count("/") - 2, 0)
    return "\u3000" * depth + category.label(get_language())


def active_categories():
    return Category.objects.filter(is_active=True).order_by("path")


def handling_organisations():
    """Organisations that can lead or co-handle an appeal (everything active; areas too, since a
    community or street office handles its own appeals)."""
    return Organisation.objects.filter(is_active=True).order_by("path")


def staff_of(organisation_id: int | None, *, beneath: bool = False):
    """Active staff members of one organisation (``beneath``: or of one under it), as
    handling-person choices, by name; nobody without an organisation."""
    if not organisation_id:
        return User.objects.none()
    if beneath:
        org = Organisation.objects.filter(pk=organisation_id).only("path").first()
        if org is None:
            return User.objects.none()
        where = Q(organisation__path__startswith=org.path)
    else:
        where = Q(organisation_id=organisation_id)
    members = Membership.objects.filter(where, user=OuterRef("pk")).exclude(role__in=["resident"])
    return (
        User.objects.filter(is_active=True)
        .filter(Exists(members))
        .order_by("display_name", "username")
    )


class _IdsInRange:
    """Ids no database integer can hold are invalid choices (they overflowed SQLite's integer
    in the query, a 500, instead of a field error)."""

    def to_python(self, value):
        if value not in self.empty_values and as_id(value) is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)

    def _check_values(self, value):
        for v in value or ():
            if as_id(v) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": v},
                )
        return super()._check_values(value)


class OrganisationChoiceField(_IdsInRange, forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.label(get_language())} · {obj.get_kind_display()}"


class OrganisationMultipleChoiceField(_IdsInRange, forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.label(get_language())


class PersonChoiceField(_IdsInRange, forms.ModelChoiceField):
    pass


class CategoryChoiceField(_IdsInRange, forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return _category_label(obj)


# --- Action forms -------------------------------------------------------------------------------


class ActionForm(forms.Form):
    """One work-chain action's inputs; ``payload()`` is what goes to ``services.appeal_act``."""

    action: str = ""
    submit_label = _("Submit")

    def __init__(self, *args, appeal: Appeal, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.action}_%s")
        super().__init__(*args, **kwargs)
        self.appeal = appeal
        self.service_error: str = ""

    @property
    def label(self):
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def is_danger(self) -> bool:
        return self.action in DANGER_ACTIONS

    def payload(self) -> dict:
        """Cleaned values without the empty ones (the service treats absent as "not given")."""
        out = {}
        for name, value in self.cleaned_data.items():
            if value in (None, "", []) or value is False:
                continue
            out[name] = value
        return out

    def add_service_errors(self, exc: ApplicationError) -> None:
        """Put a service error on the form: field errors next to their field, the rest on top."""
        for field, messages in (exc.fields or {}).items():
            for message in messages:
                text = gettext(str(message))
                if field in self.fields:
                    self.add_error(field, text)
                else:
                    self.add_error(None, f"{field}: {text}")
        if not exc.fields:
            self.service_error = gettext(str(exc.message))


class NoteOnlyForm(ActionForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=_textarea())


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=_textarea())


class OptionalReasonForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000, widget=_textarea())


class AcceptForm(NoteOnlyForm):
    action = "accept"


class ClaimForm(NoteOnlyForm):
    action = "claim"


class VerifyForm(NoteOnlyForm):
    action = "verify"


class ApproveExtensionForm(NoteOnlyForm):
    action = "approve_extension"


class RejectForm(ReasonForm):
    action = "reject"


class ReturnForm(ReasonForm):
    action = "return"


class SendBackForm(ReasonForm):
    action = "send_back"


class SuspendForm(ReasonForm):
    action = "suspend"


class DenyExtensionForm(ReasonForm):
    action = "deny_extension"


class ResumeForm(OptionalReasonForm):
    action = "resume"


class AssessForm(ActionForm):
    action = "assess"
    category = CategoryChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=_textarea())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = active_categories()
        self.fields["category"].empty_label = gettext("— choose —")
        self.initial.setdefault("category", self.appeal.category_id)
        self.initial.setdefault("urgency", self.appeal.urgency)

    def payload(self) -> dict:
        out = super().payload()
        if out.get("category") is not None:
            out["category"] = out["category"].pk
        return out


class MergeForm(ActionForm):
    action = "merge"
    into = forms.CharField(
        label=_("Tracking code of the main appeal"),
        max_length=32,
        widget=forms.TextInput(attrs={"class": "code", "autocomplete": "off"}),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000, widget=_textarea())


class QueueForm(ActionForm):
    action = "queue"
    claimable = forms.BooleanField(
        label=_("Open for claiming by social workers and volunteers"), required=False
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=_textarea())


class DispatchForm(ActionForm):
    action = "dispatch"
    lead_organisation = OrganisationChoiceField(
        label=_("Lead organisation"), queryset=Organisation.objects.none(), required=False
    )
    lead_person = PersonChoiceField(
        label=_("Lead person (optional)"), queryset=User.objects.none(), required=False
    )
    co_handlers = OrganisationMultipleChoiceField(
        label=_("Co-handlers"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=_textarea())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = handling_organisations()
        self.fields["lead_organisation"].queryset = orgs
        self.fields["lead_organisation"].empty_label = gettext("— category default —")
        self.fields["co_handlers"].queryset = orgs.exclude(kind__in=AREA_KINDS)
        default = self.appeal.category.default_organisation_id if self.appeal.category_id else None
        self.initial.setdefault("lead_organisation", default)
        # Lead-person choices: the staff of the chosen (or default) organisation, so a person
        # from another organisation is refused here, not silently re-homed by the service.
        chosen = self.data.get(self.add_prefix("lead_organisation")) if self.is_bound else None
        org_id = as_id(chosen) if chosen else self.initial.get("lead_organisation")
        self.fields["lead_person"].queryset = staff_of(org_id)
        self.fields["lead_person"].empty_label = gettext("— anyone in the organisation —")
        # With htmx, changing the organisation reloads the people list (see people_options).
        self.fields["lead_organisation"].widget.attrs.update(
            {
                "hx-get": reverse("workbench:people_options"),
                "hx-trigger": "change",
                "hx-target": f"#{self.auto_id % self.add_prefix('lead_person')}",
                "hx-swap": "innerHTML",
            }
        )

    def payload(self) -> dict:
        out = super().payload()
        for name in ("lead_organisation", "lead_person"):
            if out.get(name) is not None:
                out[name] = out[name].pk
        if out.get("co_handlers") is not None:
            out["co_handlers"] = [o.pk for o in out["co_handlers"]]
        return out


class NoteForm(ActionForm):
    action = "note"
    text = forms.CharField(label=_("Follow-up note"), max_length=2000, widget=_textarea(3))
    public = forms.BooleanField(label=_("Also show on the public tracking page"), required=False)


class RequestResourcesForm(ActionForm):
    action = "request_resources"
    text = forms.CharField(label=_("What is needed"), max_length=2000, widget=_textarea())
    resources = forms.CharField(
        label=_("Resources, one per line"),
        required=False,
        max_length=4000,
        widget=_textarea(),
    )

    def payload(self) -> dict:
        out = super().payload()
        lines = [line.strip() for line in out.get("resources", "").splitlines()]
        out["resources"] = [line for line in lines if line]
        return out


class ResolveForm(ActionForm):
    action = "resolve"
    public_reply = forms.CharField(
        label=_("Public reply (shown to the reporter)"), max_length=2000, widget=_textarea(3)
    )
    internal_note = forms.CharField(
        label=_("Internal note"), required=False, max_length=2000, widget=_textarea()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The reply is checked while it is written (the replies app's pre-check, the same check
        # the verifier will see), into the element after the field (``field.precheck``).
        reply = self.fields["public_reply"]
        reply.precheck = True
        reply.widget.attrs.update(
            {
                "hx-post": reverse("replies:precheck", args=[self.appeal.pk]),
                "hx-trigger": "input changed delay:800ms, change",
                "hx-target": "next .precheck",
                "hx-swap": "innerHTML",
                # Only the reply is sent, not the whole form (nor its submit).
                "hx-params": "public_reply",
            }
        )


SATISFACTION_CHOICES = [
    (5, _("5 · very satisfied")),
    (4, _("4 · satisfied")),
    (3, _("3 · neutral")),
    (2, _("2 · unsatisfied")),
    (1, _("1 · very unsatisfied")),
]


class RevisitForm(ActionForm):
    action = "revisit"
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"), choices=SATISFACTION_CHOICES, coerce=int
    )
    was_resolved = forms.TypedChoiceField(
        label=_("Was the problem resolved?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=_textarea()
    )

    def payload(self) -> dict:
        out = super().payload()
        out["was_resolved"] = self.cleaned_data["was_resolved"]  # False must be sent too
        return out


class RequestExtensionForm(ActionForm):
    action = "request_extension"
    days = forms.IntegerField(label=_("Extra days"), required=False, min_value=1, max_value=90)
    until = forms.DateTimeField(
        label=_("or until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=_textarea())

    def payload(self) -> dict:
        out = super().payload()
        if out.get("until") is not None:
            out["until"] = out["until"].isoformat()
        return out


ACTION_FORMS: dict[str, type[ActionForm]] = {
    cls.action: cls
    for cls in (
        AssessForm,
        RejectForm,
        MergeForm,
        QueueForm,
        DispatchForm,
        AcceptForm,
        ReturnForm,
        ClaimForm,
        NoteForm,
        RequestResourcesForm,
        ResolveForm,
        VerifyForm,
        SendBackForm,
        RevisitForm,
        SuspendForm,
        ResumeForm,
        RequestExtensionForm,
        ApproveExtensionForm,
        DenyExtensionForm,
    )
}


def action_form(action: str, *, appeal: Appeal, data=None) -> ActionForm | None:
    cls = ACTION_FORMS.get(action)
    return cls(data, appeal=appeal) if cls is not None else None


# --- List filters -------------------------------------------------------------------------------


def _blank(label):
    return [("", label)]


# Days a time zone can take (``clock.in_calendar``).
_IN_CALENDAR = [
    MinValueValidator(date(clock.EARLIEST_YEAR, 1, 1)),
    MaxValueValidator(date(clock.LATEST_YEAR, 12, 31)),
]


class AppealFilterForm(forms.Form):
    """The workbench list's search box and filters, read from the query string."""

    queue = forms.ChoiceField(choices=QUEUE_CHOICES, required=False, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Code, title, address…")}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    area = forms.TypedChoiceField(label=_("Area"), required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    created_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=_IN_CALENDAR,
    )
    created_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=_IN_CALENDAR,
    )
    order = forms.ChoiceField(label=_("Order"), required=False, choices=ORDER_CHOICES)

    def __init__(self, *args, actor: Actor, **kwargs):
        kwargs.setdefault("auto_id", "f_%s")
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _blank(_("Any status")) + STATUS_CHOICES
        self.fields["urgency"].choices = _blank(_("Any urgency")) + list(Urgency.choices)
        self.fields["channel"].choices = _blank(_("Any channel")) + list(Channel.choices)
        self.fields["category"].choices = _blank(_("Any category")) + [
            (c.code, _category_label(c)) for c in active_categories()
        ]
        areas = Organisation.objects.filter(kind__in=AREA_KINDS, is_active=True)
        paths = actor.area_paths()
        if paths and not (actor.is_superuser or "admin" in actor.roles):
            cond = Q(pk__in=[])
            for path in paths:
                cond |= Q(path__startswith=path)
            areas = areas.filter(cond)
        self.fields["area"].choices = _blank(_("Any area")) + [
            (o.pk, o.name) for o in areas.order_by("path")
        ]

    def value(self, name: str):
        """The cleaned value of a field, or None when it was missing or invalid."""
        data = getattr(self, "cleaned_data", {})
        return data.get(name) or None

    def active_count(self) -> int:
        """How many filters (besides the queue and order) narrow the list."""
        names = ("q", "status", "urgency", "category", "area", "channel")
        return sum(1 for n in (*names, "created_from", "created_to") if self.value(n))

    def to_filters(self, *, queue: str) -> AppealFilters:
        def day_start(day):
            return timezone.make_aware(datetime.combine(day, time.min))

        created_from = self.value("created_from")
        created_to = self.value("created_to")
        return AppealFilters(
            queue=None if queue == ALL_QUEUE else queue,
            q=self.value("q"),
            status=[self.value("status")] if self.value("status") else None,
            urgency=[self.value("urgency")] if self.value("urgency") else None,
            category=self.value("category"),
            area=self.value("area"),
            channel=self.value("channel"),
            created_after=day_start(created_from) if created_from else None,
            created_before=day_start(created_to + timedelta(days=1)) if created_to else None,
            order=self.value("order") or "urgency",
        )


class BulkDispatchForm(forms.Form):
    """Dispatch several appeals to one lead organisation (or each to its category default)."""

    lead_organisation = OrganisationChoiceField(
        label=_("Lead organisation"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.fields["lead_organisation"].queryset = handling_organisations()
        self.fields["lead_organisation"].empty_label = gettext("Each category's default")
