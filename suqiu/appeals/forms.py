"""Forms of the resident pages (the public report form and the revisit form).

Forms only shape and pre-check input for people; the rules live in ``suqiu.appeals.services``,
whose ``ApplicationError.fields`` are mapped back onto these forms by ``add_service_errors``.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import get_language, gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from suqiu.appeals.services import DESCRIPTION_MAX, TEXT_MAX, TITLE_MAX
from suqiu.core.errors import ApplicationError
from suqiu.directory.models import Category

# Messages the services raise in English; listed here so they reach the translation catalogue
# (``gettext`` translates them when they are shown on a form).
SERVICE_MESSAGES = (
    gettext_noop("This field is required."),
    gettext_noop("Not a phone number."),
    gettext_noop("Unknown category."),
    gettext_noop("Latitude and longitude go together."),
    gettext_noop("Latitude must be between -90 and 90."),
    gettext_noop("Longitude must be between -180 and 180."),
)


class MultipleFileInput(forms.FileInput):
    """A file input that accepts several files (``<input type=file multiple>``)."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field whose cleaned value is a list of uploaded files (possibly empty)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def category_choices(language: str | None = None) -> list[tuple[str, str]]:
    """Active categories as (id, label) in the current language; sub-categories name their parent."""
    language = language or get_language()
    categories = list(Category.objects.filter(is_active=True).order_by("path"))
    by_id = {c.pk: c for c in categories}
    choices: list[tuple[str, str]] = [("", _("Not sure (staff will choose)"))]
    for cat in categories:
        label = cat.label(language)
        parent = by_id.get(cat.parent_id)
        if parent is not None:
            label = f"{parent.label(language)} › {label}"
        choices.append((str(cat.pk), label))
    return choices


class ResidentAppealForm(forms.Form):
    """The public report form: what, where (pin or address), photos, and who (unless anonymous)."""

    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. Street light broken outside building 3")}
        ),
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "maxlength": DESCRIPTION_MAX,
                "placeholder": _("Describe the problem: what, since when, how it affects you."),
            }
        ),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    lat = forms.FloatField(
        required=False,
        widget=forms.HiddenInput,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    lon = forms.FloatField(
        required=False,
        widget=forms.HiddenInput,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    address = forms.CharField(
        label=_("Address or landmark"),
        max_length=255,
        required=False,
        help_text=_("Not needed if you placed a pin on the map."),
        widget=forms.TextInput(
            attrs={
                "placeholder": _("e.g. Building 3, Heping Road 12"),
                "autocomplete": "street-address",
            }
        ),
    )
    photos = MultipleFileField(
        label=_("Choose photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    is_anonymous = forms.BooleanField(label=_("Report anonymously"), required=False)
    reporter_name = forms.CharField(
        label=_("Your name"),
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    reporter_phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        required=False,
        help_text=_("Staff may call you about the details. Never shown publicly."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        photos = self.fields["photos"]
        photos.widget.attrs["data-max"] = str(self.photo_max_count)
        photos.widget.attrs["data-max-bytes"] = str(settings.SUQIU["PHOTO_MAX_BYTES"])
        photos.help_text = ngettext(
            "Up to %(count)d photo (JPEG, PNG or WebP), at most %(mb)d MB each.",
            "Up to %(count)d photos (JPEG, PNG or WebP), at most %(mb)d MB each.",
            self.photo_max_count,
        ) % {"count": self.photo_max_count, "mb": self.photo_max_mb}

    @property
    def photo_max_count(self) -> int:
        return settings.SUQIU["PHOTO_MAX_COUNT"]

    @property
    def photo_max_mb(self) -> int:
        return max(1, settings.SUQIU["PHOTO_MAX_BYTES"] // (1024 * 1024))

    def clean_photos(self):
        photos = self.cleaned_data.get("photos") or []
        if len(photos) > self.photo_max_count:
            raise forms.ValidationError(
                ngettext(
                    "At most %(count)d photo.", "At most %(count)d photos.", self.photo_max_count
                )
                % {"count": self.photo_max_count}
            )
        # Refuse oversize files before anything reads them into memory; the service checks the
        # content (and the size again) when it stores them.
        for photo in photos:
            if photo.size > settings.SUQIU["PHOTO_MAX_BYTES"]:
                raise forms.ValidationError(
                    gettext("“%(name)s” is too large: at most %(mb)d MB per photo.")
                    % {"name": photo.name, "mb": self.photo_max_mb}
                )
        return photos

    def clean_reporter_phone(self):
        # The service enforces the same rule; checking here too lets one submission show every
        # error at once instead of the phone error only after the others are fixed.
        phone = (self.cleaned_data.get("reporter_phone") or "").strip()
        if phone and (
            not all(ch in "0123456789+- " for ch in phone)
            or sum(ch in "0123456789" for ch in phone) < 5
        ):
            raise forms.ValidationError(_("Not a phone number."))
        return phone

    def clean(self):
        cleaned = super().clean()
        lat, lon = cleaned.get("lat"), cleaned.get("lon")
        address = (cleaned.get("address") or "").strip()
        has_pin = lat is not None and lon is not None
        if not has_pin and not address and not self.has_error("address"):
            self.add_error(
                "address",
                _("Tell us where: tap the map to place a pin, or type an address or landmark."),
            )
        if cleaned.get("is_anonymous"):
            # The service drops them too; do not even carry them forward.
            cleaned["reporter_name"] = ""
            cleaned["reporter_phone"] = ""
        return cleaned

    @property
    def location_errors(self) -> list[str]:
        out: list[str] = []
        for name in ("lat", "lon", "address"):
            out.extend(self.errors.get(name, []))
        return out


SATISFACTION_CHOICES = [
    ("1", _("Very unsatisfied")),
    ("2", _("Unsatisfied")),
    ("3", _("Fairly satisfied")),
    ("4", _("Satisfied")),
    ("5", _("Very satisfied")),
]


class ResidentRevisitForm(forms.Form):
    """The reporter's own revisit: satisfaction 1–5, whether it was resolved, a comment."""

    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you with the result?"),
        choices=SATISFACTION_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    was_resolved = forms.TypedChoiceField(
        label=_("Was the problem resolved?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": TEXT_MAX}),
    )


# Service error codes with a message written for residents (the service's own is for developers).
_CODE_MESSAGES = {
    "invalid_photo": _("Only JPEG, PNG or WebP photos can be uploaded; one file is not one."),
    "photo_too_large": _("A photo is too large or has too many pixels."),
    "too_many_photos": _("Too many photos."),
}


def add_service_errors(form: forms.Form, exc: ApplicationError) -> None:
    """Put a service's field errors onto the form fields of the same name (others on the form)."""
    special = _CODE_MESSAGES.get(exc.code)
    if not exc.fields:
        form.add_error(None, special or gettext(str(exc.message)))
        return
    for name, messages in exc.fields.items():
        target = name if name in form.fields else None
        if special and name == "photos":
            form.add_error(target, special)
            continue
        for message in messages:
            form.add_error(target, gettext(str(message)))
