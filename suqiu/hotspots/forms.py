"""The promotion form: a hotspot becomes a proactive governance project."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from suqiu.directory.models import Organisation, User
from suqiu.hotspots.services import ProjectInput


class PromoteForm(forms.Form):
    title = forms.CharField(label=_("Project title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    handler_organisation = forms.ModelChoiceField(
        label=_("Handling organisation"),
        queryset=Organisation.objects.filter(is_active=True).order_by("path"),
    )
    handler_person = forms.ModelChoiceField(
        label=_("Handling person"),
        queryset=User.objects.filter(is_active=True, memberships__isnull=False)
        .distinct()
        .order_by("username"),
        required=False,
    )

    def to_input(self) -> ProjectInput:
        data = self.cleaned_data
        return ProjectInput(
            title=data["title"],
            description=data.get("description") or "",
            handler_organisation=data["handler_organisation"].pk,
            handler_person=data["handler_person"].pk if data.get("handler_person") else None,
        )
