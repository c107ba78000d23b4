"""Admin: the outbox (filter by status to see failures; "send again" puts failed messages back in
the queue), inbox items and reporters' contact channels."""

from django.contrib import admin, messages
from django.utils.translation import gettext, gettext_lazy

from suqiu.notify import services
from suqiu.notify.models import InboxItem, OutboxMessage, ReporterContact


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "status",
        "channel",
        "kind",
        "recipient",
        "address",
        "subject",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "channel", "kind")
    search_fields = ("subject", "address", "dedupe_key", "appeal__tracking_code", "last_error")
    list_select_related = ("recipient", "appeal")
    date_hierarchy = "created_at"
    actions = ["send_again"]
    raw_id_fields = ("recipient", "appeal")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.action(description=gettext_lazy("Send the selected failed messages again"))
    def send_again(self, request, queryset):
        n = services.retry(queryset.values_list("pk", flat=True))
        self.message_user(
            request, gettext("%(n)d messages queued again.") % {"n": n}, messages.SUCCESS
        )


@admin.register(InboxItem)
class InboxItemAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "subject", "read_at")
    list_filter = ("kind",)
    search_fields = ("subject", "user__username")
    list_select_related = ("user",)
    raw_id_fields = ("user", "message", "appeal")


@admin.register(ReporterContact)
class ReporterContactAdmin(admin.ModelAdmin):
    list_display = ("appeal", "channel", "address", "created_at")
    list_filter = ("channel",)
    search_fields = ("appeal__tracking_code", "address")
    raw_id_fields = ("appeal",)
