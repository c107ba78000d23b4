"""The promotion form: a hotspot becomes a proactive governance project."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from suqiu.directory.models import Organisation, User
from suqiu.hotspots.services import ProjectInput


class OrganisationChoice(forms.ModelChoiceField):
    """An organisation with its kind ("城管局 · 职能部门"): 37 names in one list read better when
    a street, a department and a party branch say what they are."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.name} · {obj.get_kind_display()}"


class PersonChoice(forms.ModelChoiceField):
    """A person with the organisations they belong to, so that the handling person can be
    picked to match the handling organisation (the service refuses a mismatch)."""

    def label_from_instance(self, obj) -> str:
        orgs = sorted({m.organisation.name for m in obj.memberships.all() if m.organisation})
        return f"{obj} · {'、'.join(orgs)}" if orgs else str(obj)


class PromoteForm(forms.Form):
    title = forms.CharField(label=_("Project title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    handler_organisation = OrganisationChoice(
        label=_("Handling organisation"),
        queryset=Organisation.objects.filter(is_active=True).order_by("path"),
    )
    handler_person = PersonChoice(
        label=_("Handling person"),
        queryset=User.objects.filter(is_active=True, memberships__isnull=False)
        .distinct()
        .prefetch_related("memberships__organisation")
        .order_by("username"),
        required=False,
        help_text=_("Someone of the handling organisation or of one under it."),
    )

    def to_input(self) -> ProjectInput:
        data = self.cleaned_data
        return ProjectInput(
            title=data["title"],
            description=data.get("description") or "",
            handler_organisation=data["handler_organisation"].pk,
            handler_person=data["handler_person"].pk if data.get("handler_person") else None,
        )
