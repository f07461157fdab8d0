from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from oms.models import ApiKey, AuditLog, Event, Heartbeat, Province, User

admin.site.site_header = _("OMS administration")
admin.site.site_title = _("OMS")
admin.site.index_title = _("Administration")
admin.site.site_url = "/"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledgers and logs are append-only: viewable, never edited or deleted from admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role_names", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "groups", "language")
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Preferences"), {"fields": ("language", "phone")}))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("Roles"))
    def role_names(self, obj: User) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all()))


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "latitude", "longitude")
    list_filter = ("region",)
    search_fields = ("name", "slug", "code")


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "action", "content_type", "object_repr")
    list_filter = ("action", "content_type")
    search_fields = ("object_repr", "actor_label", "object_id")
    date_hierarchy = "created_at"
    list_select_related = ("content_type",)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "name", "content_type", "object_id", "actor", "message")
    list_filter = ("name", "content_type")
    search_fields = ("name", "object_id", "message")
    list_select_related = ("content_type", "actor")


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_seen", "beats")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created with `manage.py create_api_key` (the secret is shown once); here: see, revoke."""

    list_display = ("name", "prefix", "scope_list", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("name", "prefix", "scopes", "created_by", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("Scopes"))
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    @admin.action(description=_("Revoke selected keys"))
    def revoke(self, request, queryset):
        from oms.apikeys import revoke_api_key

        for key in queryset:
            revoke_api_key(key=key)
