"""Admin for appeals is read-only: every change goes through the services (the work chain)."""

from django.contrib import admin

from suqiu.appeals.models import Appeal, AppealEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = AppealEvent
    extra = 0
    fields = ("created_at", "kind", "actor_label", "from_status", "to_status", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = (
        "tracking_code",
        "title",
        "status",
        "urgency",
        "category",
        "area",
        "channel",
        "created_at",
    )
    list_filter = ("status", "urgency", "channel")
    search_fields = ("tracking_code", "title")
    inlines = [EventInline]
    exclude = ("reporter_phone",)


@admin.register(AppealEvent)
class AppealEventAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "kind", "actor_label", "from_status", "to_status", "created_at")
    list_filter = ("kind",)
