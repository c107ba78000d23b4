from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from suqiu.directory.models import ApiToken, Category, Grid, Membership, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code", "name_en")
    autocomplete_fields = ("parent",)


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "community", "parent")
    list_filter = ("community",)
    search_fields = ("name", "code")
    autocomplete_fields = ("community", "parent")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "name_en",
        "code",
        "parent",
        "default_organisation",
        "auto_dispatch",
        "is_active",
    )
    list_filter = ("is_active", "auto_dispatch")
    search_fields = ("name", "name_en", "code")  # "IMP." finds the ones an import created
    autocomplete_fields = ("parent", "default_organisation")
    actions = ("deactivate", "activate")

    def _set_active(self, request, queryset, active: bool) -> int:
        changed = 0
        for category in queryset.exclude(is_active=active):
            category.is_active = active
            category.save(update_fields=["is_active"])  # bumps the directory snapshot
            self.log_change(request, category, [{"changed": {"fields": ["is_active"]}}])
            changed += 1
        return changed

    @admin.action(description=_("Deactivate selected categories (no longer offered or learnt)"))
    def deactivate(self, request, queryset):
        n = self._set_active(request, queryset, False)
        message = ngettext("%(n)d category deactivated.", "%(n)d categories deactivated.", n)
        self.message_user(request, message % {"n": n})

    @admin.action(description=_("Activate selected categories"))
    def activate(self, request, queryset):
        n = self._set_active(request, queryset, True)
        message = ngettext("%(n)d category activated.", "%(n)d categories activated.", n)
        self.message_user(request, message % {"n": n})


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("organisation",)
    filter_horizontal = ("grids",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((_("Suqiu"), {"fields": ("display_name", "phone")}),)
    list_display = ("username", "display_name", "is_active", "is_staff")
    search_fields = ("username", "display_name", "phone")
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    exclude = ("digest",)

    def has_add_permission(self, request):
        return False  # tokens are printed once by `suqiu token create`
