"""Admin of triage: routing models (read-only, with an activate action), keyword rules (the
fallback without a model), corrections and per-appeal triage (read-only)."""

import json

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from suqiu.triage import loader, services
from suqiu.triage.models import AppealTriage, Correction, KeywordRule, RoutingModel


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RoutingModel)
class RoutingModelAdmin(ReadOnlyAdmin):
    """A version read as its users need it: the cross-validated figures, then per category how
    many appeals it learnt from and from which confidence it dispatches on its own, then the
    urgency terms it learnt; the raw metrics folded away for whoever needs them."""

    list_display = ("version", "is_active", "created_at", "algorithm", "n_train", "n_labels")
    fields = (
        "version",
        "is_active",
        "created_at",
        "algorithm",
        "n_train",
        "summary",
        "categories",
        "urgency_table",
        "metrics_pretty",
    )
    readonly_fields = fields
    actions = ["activate_version", "delete_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("blob")

    # The active version is not deleted: intake would go on using it in every process that holds
    # it. Activate another one (or turn triage off) first.
    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_active:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(permissions=["delete"], description=django_delete_selected.short_description)
    def delete_selected(self, request, queryset):
        """Django's bulk delete (confirmation page, then delete), refused for the active version."""
        if queryset.filter(is_active=True).exists():
            self.message_user(
                request,
                _(
                    "The active version cannot be deleted: activate another version, or turn "
                    "triage off, first."
                ),
                messages.ERROR,
            )
            return None
        return django_delete_selected(self, request, queryset)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        loader.bump()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        loader.bump()

    @admin.display(description=_("categories"))
    def n_labels(self, obj):
        return len(obj.label_map or {})

    @admin.display(description=_("cross-validated figures"))
    def summary(self, obj):
        m = obj.metrics or {}
        if "macro_f1" not in m:
            return _("none (too few appeals to cross-validate)")
        cov = m.get("coverage_at_precision") or {}
        info = m.get("version_info") or {}
        return format_html(
            "{}: {} · {}: {} · {}: {} · {}: {} ({}) · {}: {}",
            _("macro-F1"),
            f"{m['macro_f1']:.3f}",
            _("accuracy"),
            f"{m.get('accuracy', 0):.3f}",
            _("share routable at 98 % precision"),
            f"{cov.get('0.98', 0):.1%}",
            _("folds"),
            m.get("folds", "—"),
            _("target precision %(p)s") % {"p": m.get("target_precision", "—")},
            _("training seconds"),
            info.get("train_seconds", "—"),
        )

    @admin.display(description=_("per category"))
    def categories(self, obj):
        from suqiu.directory.models import Category, Organisation

        label_map = obj.label_map or {}
        counts = (obj.metrics or {}).get("version_info", {}).get("label_counts") or {}
        cats = Category.objects.in_bulk([v.get("category_id") for v in label_map.values()])
        routes = {code: v.get("routes") or {} for code, v in label_map.items()}
        orgs = Organisation.objects.in_bulk(
            [v.get("organisation_id") for v in label_map.values() if v.get("organisation_id")]
            + [org for r in routes.values() for org in r.values()]
            + [int(area) for r in routes.values() for area in r if area != "*"]
        )

        def named(org_id) -> str:
            org = orgs.get(org_id)
            return org.name if org else f"#{org_id}"

        rows = []
        for code in sorted(label_map):
            entry = label_map[code]
            cat = cats.get(entry.get("category_id"))
            org = orgs.get(entry.get("organisation_id"))
            threshold = (obj.thresholds or {}).get(code)
            if org is None:  # learnt routes are suggested there, never taken on their own
                auto = _("never (no default organisation)")
            elif cat is not None and not cat.auto_dispatch:
                auto = _("never (switched off for the category)")
            elif threshold is None or threshold > 1.0:
                auto = _("never (target precision not reached)")
            else:
                auto = _("from confidence %(t)s") % {"t": f"{threshold:.3f}"}
            learnt = format_html_join(
                mark_safe("<br>"),
                "{} → {}",
                (
                    (_("everywhere") if area == "*" else named(int(area)), named(org_id))
                    for area, org_id in sorted(routes[code].items())
                ),
            )
            rows.append(
                (
                    code,
                    cat.name if cat else "—",
                    org.name if org else "—",
                    learnt or "—",
                    counts.get(code, "—"),
                    auto,
                )
            )
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("code"),
            _("category"),
            _("default organisation"),
            _("learnt routes"),
            _("training appeals"),
            _("automatic dispatch"),
        )
        body = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
        )
        return format_html("<table>{}{}</table>", head, body)

    @admin.display(description=_("learnt urgency terms"))
    def urgency_table(self, obj):
        terms = obj.urgency_terms or []
        if not terms:
            return "—"
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("term"),
            _("urgency"),
            _("appeals with it"),
            _("share urgent"),
        )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (t.get("term"), _level(t.get("level")), t.get("n"), f"{t.get('precision', 0):.0%}")
                for t in terms
            ),
        )
        return format_html("<table>{}{}</table>", head, body)

    @admin.display(description=_("metrics"))
    def metrics_pretty(self, obj):
        return format_html(
            "<details><summary>{}</summary><pre>{}</pre></details>",
            _("raw metrics and thresholds"),
            json.dumps(
                {"metrics": obj.metrics, "thresholds": obj.thresholds},
                ensure_ascii=False,
                indent=2,
            ),
        )

    @admin.action(description=_("Activate the selected version"))
    def activate_version(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version."), messages.ERROR)
            return
        services.activate(queryset.first())
        self.message_user(request, _("Activated."), messages.SUCCESS)


def _level(level) -> str:
    from suqiu.appeals.models import Urgency

    try:
        return str(Urgency(level).label)
    except ValueError:
        return str(level)


@admin.register(KeywordRule)
class KeywordRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "keywords", "urgency", "auto", "is_active")
    list_filter = ("is_active", "auto", "urgency")
    search_fields = ("keywords", "category__name", "category__code")
    autocomplete_fields = ("category",)

    def delete_queryset(self, request, queryset):
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
