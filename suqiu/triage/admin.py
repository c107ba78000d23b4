"""Admin of triage: routing models (read-only, with an activate action), keyword rules (the
fallback without a model), corrections and per-appeal triage (read-only)."""

import json

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from suqiu.triage import services
from suqiu.triage.models import AppealTriage, Correction, KeywordRule, RoutingModel


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RoutingModel)
class RoutingModelAdmin(ReadOnlyAdmin):
    list_display = ("version", "is_active", "created_at", "algorithm", "n_train", "n_labels")
    exclude = ("blob",)
    readonly_fields = ("metrics_pretty", "thresholds_pretty", "label_map", "urgency_terms")
    actions = ["activate_version"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("blob")

    @admin.display(description=_("categories"))
    def n_labels(self, obj):
        return len(obj.label_map or {})

    @admin.display(description=_("metrics"))
    def metrics_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.metrics, ensure_ascii=False, indent=2))

    @admin.display(description=_("thresholds"))
    def thresholds_pretty(self, obj):
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.thresholds, ensure_ascii=False, indent=2)
        )

    @admin.action(description=_("Activate the selected version"))
    def activate_version(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version."), messages.ERROR)
            return
        services.activate(queryset.first())
        self.message_user(request, _("Activated."), messages.SUCCESS)


@admin.register(KeywordRule)
class KeywordRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "keywords", "urgency", "auto", "is_active")
    list_filter = ("is_active", "auto", "urgency")
    search_fields = ("keywords", "category__name", "category__code")
    autocomplete_fields = ("category",)

    def delete_queryset(self, request, queryset):
        from suqiu.triage import loader

        super().delete_queryset(request, queryset)
        loader.bump()  # a bulk delete bypasses KeywordRule.delete(): tell the processes


@admin.register(Correction)
class CorrectionAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "appeal",
        "action",
        "model_version",
        "suggested_category",
        "chosen_category",
        "suggested_organisation",
        "chosen_organisation",
        "actor",
    )
    list_filter = ("action", "model_version")


@admin.register(AppealTriage)
class AppealTriageAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "source", "model_version", "urgency_suggested", "auto_dispatched")
    list_filter = ("source", "auto_dispatched", "urgency_suggested")
    raw_id_fields = ("appeal",)
