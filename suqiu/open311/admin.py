"""Admin: client applications (keys are created on the command line), per-category attributes,
a read-only view of submissions (contact data is staff-only), and federation: upstream endpoints
per category and the requests sent to them (filter by state to see failures)."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from suqiu.open311.models import (
    ApiClient,
    FederatedRequest,
    FederationState,
    ServiceAttribute,
    SubmittedRequest,
    UpstreamEndpoint,
)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "prefix",
        "rate_limit_per_minute",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    fields = ("name", "prefix", "rate_limit_per_minute", "revoked_at", "created_at", "last_used_at")

    def has_add_permission(self, request):
        # A key is shown once, when created: `suqiu open311 key create NAME`.
        return False


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ("category", "order", "code", "datatype", "required", "variable")
    list_filter = ("datatype", "required", "category")
    search_fields = ("code", "description", "category__code", "category__name")
    ordering = ("category__path", "order", "code")


@admin.register(SubmittedRequest)
class SubmittedRequestAdmin(admin.ModelAdmin):
    list_display = ("appeal", "client", "created_at")
    list_filter = ("client",)
    search_fields = ("appeal__tracking_code",)
    list_select_related = ("appeal", "client")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Federation ---------------------------------------------------------------------------------


@admin.register(UpstreamEndpoint)
class UpstreamEndpointAdmin(admin.ModelAdmin):
    list_display = (
        "category",
        "name",
        "base_url",
        "service_code",
        "format",
        "is_active",
        "poll_interval_seconds",
    )
    list_filter = ("is_active", "format")
    search_fields = ("name", "base_url", "service_code", "category__code", "category__name")
    list_select_related = ("category",)


@admin.register(FederatedRequest)
class FederatedRequestAdmin(admin.ModelAdmin):
    list_display = (
        "appeal",
        "endpoint",
        "state",
        "upstream_id",
        "upstream_status",
        "attempts",
        "next_attempt_at",
        "last_polled_at",
        "short_error",
    )
    list_filter = ("state", "upstream_status", "endpoint")
    search_fields = ("appeal__tracking_code", "upstream_id")
    list_select_related = ("appeal", "endpoint")
    actions = ["retry_now"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("last error"))
    def short_error(self, obj):
        return (obj.last_error or "")[:80]

    @admin.action(description=gettext_lazy("Send again now (pending and failed rows)"))
    def retry_now(self, request, queryset):
        now = timezone.now()
        count = queryset.filter(state__in=[FederationState.PENDING, FederationState.FAILED]).update(
            state=FederationState.PENDING, next_attempt_at=now, updated_at=now
        )
        self.message_user(request, gettext("%(n)d request(s) will be sent again.") % {"n": count})
