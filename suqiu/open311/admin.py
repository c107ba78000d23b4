"""Admin: client applications (keys are created on the command line), per-category attributes,
and a read-only view of submissions (contact data is staff-only)."""

from django.contrib import admin

from suqiu.open311.models import ApiClient, ServiceAttribute, SubmittedRequest


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
