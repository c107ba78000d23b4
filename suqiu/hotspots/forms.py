"""The promotion form: a hotspot becomes a proactive governance project."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from suqiu.appeals.forms_workbench import staff_of
from suqiu.core.ids import as_id
from suqiu.core.text import enumeration
from suqiu.directory.models import Organisation, User
from suqiu.hotspots.services import ProjectInput


class OrganisationChoice(forms.ModelChoiceField):
    """An organisation with its kind ("城管局 · 职能部门"): 37 names in one list read better when
    a street, a department and a party branch say what they are."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.label(get_language())} · {obj.get_kind_display()}"


class PersonChoice(forms.ModelChoiceField):
    """A person with the organisations they belong to, so that the handling person can be
    picked to match the handling organisation (the service refuses a mismatch)."""

    def label_from_instance(self, obj) -> str:
        return person_label(obj)


def person_label(person) -> str:
    language = get_language()
    orgs = sorted(
        {m.organisation.label(language) for m in person.memberships.all() if m.organisation}
    )
    return f"{person} · {enumeration(orgs, language)}" if orgs else str(person)


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
        queryset=User.objects.none(),
        required=False,
        help_text=_("Someone of the handling organisation or of one under it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The people of the chosen organisation only: a person of another one is refused here,
        # as a choice that is not offered, and with htmx the list follows the organisation.
        chosen = self.data.get("handler_organisation") if self.is_bound else None
        chosen = chosen or self.initial.get("handler_organisation")
        person = self.fields["handler_person"]
        person.queryset = staff_of(
            as_id(chosen) if chosen else None, beneath=True
        ).prefetch_related("memberships__organisation")
        person.empty_label = (
            gettext("— nobody in particular —")
            if chosen
            else gettext("— choose the organisation first —")
        )
        self.fields["handler_organisation"].widget.attrs.update(
            {
                "hx-get": reverse("hotspots:people"),
                "hx-trigger": "change",
                "hx-target": "#id_handler_person",
                "hx-swap": "innerHTML",
            }
        )

    def to_input(self) -> ProjectInput:
        data = self.cleaned_data
        return ProjectInput(
            title=data["title"],
            description=data.get("description") or "",
            handler_organisation=data["handler_organisation"].pk,
            handler_person=data["handler_person"].pk if data.get("handler_person") else None,
        )
