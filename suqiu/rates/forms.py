"""The filter form of the rates page (also what the CSV and XLSX exports read)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from suqiu.directory.models import AREA_KINDS, Category, Grid, Organisation
from suqiu.rates.selectors import GROUP_LABELS, GROUPS, default_period


class RatesFilterForm(forms.Form):
    group_by = forms.ChoiceField(
        label=_("Group by"),
        choices=[(k, GROUP_LABELS[k]) for k in GROUPS],
        initial="organisation",
        required=False,
    )
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)
    area = forms.ModelChoiceField(
        label=_("Area"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("All areas"),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("All categories"),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("All organisations"),
    )
    grid = forms.ModelChoiceField(
        label=_("Grid"), queryset=Grid.objects.none(), required=False, empty_label=_("All grids")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Organisation.objects.filter(
            kind__in=AREA_KINDS, is_active=True
        ).order_by("path")
        self.fields["category"].queryset = Category.objects.filter(is_active=True).order_by("path")
        self.fields["organisation"].queryset = Organisation.objects.filter(is_active=True).order_by(
            "path"
        )
        self.fields["grid"].queryset = Grid.objects.order_by("code")
        for name, field in self.fields.items():
            if name.startswith("date_"):
                field.widget = forms.DateInput(attrs={"type": "date"})

    def query(self) -> dict:
        """The selector's keyword arguments (call after ``is_valid()``)."""
        data = self.cleaned_data
        start, end = default_period()
        return {
            "group_by": data.get("group_by") or "organisation",
            "date_from": data.get("date_from") or start,
            "date_to": data.get("date_to") or end,
            "area": data["area"].pk if data.get("area") else None,
            "category": data["category"].pk if data.get("category") else None,
            "organisation": data["organisation"].pk if data.get("organisation") else None,
            "grid": data["grid"].pk if data.get("grid") else None,
        }
