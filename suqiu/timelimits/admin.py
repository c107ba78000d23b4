"""Time-limit policies and calendar overrides in the Django admin."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from suqiu.timelimits.calendar import KNOWN_YEARS
from suqiu.timelimits.models import CalendarOverride, TimeLimitPolicy


@admin.register(TimeLimitPolicy)
class TimeLimitPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "dispatch_limit",
        "dispatch_unit",
        "accept_limit",
        "accept_unit",
        "resolve_limit",
        "resolve_unit",
        "revisit_limit",
        "revisit_unit",
        "remind_at_percent",
    )
    list_filter = ("urgency",)
    autocomplete_fields = ()
    fieldsets = (
        (None, {"fields": ("category", "urgency", "remind_at_percent", "note")}),
        (
            _("Limits"),
            {
                "fields": (
                    ("dispatch_limit", "dispatch_unit"),
                    ("accept_limit", "accept_unit"),
                    ("first_contact_limit", "first_contact_unit"),
                    ("resolve_limit", "resolve_unit"),
                    ("revisit_limit", "revisit_unit"),
                ),
                "description": _(
                    "A working day is one day's working hours on the working calendar "
                    "(statutory holidays and adjusted working days included). Changes apply "
                    "to stages that start afterwards (within a minute in every process)."
                ),
            },
        ),
    )


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "note")
    list_filter = ("is_workday",)
    date_hierarchy = "date"

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["subtitle"] = _(
            "The national calendar (statutory holidays and adjusted working days) is known for "
            "%(first)s–%(last)s; other years count Monday to Friday as working days unless "
            "overridden here."
        ) % {"first": min(KNOWN_YEARS), "last": max(KNOWN_YEARS)}
        return super().changelist_view(request, extra_context=extra_context)
