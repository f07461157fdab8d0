from django.contrib import admin

from channels.models import ChannelPrice, SalesChannel


@admin.register(SalesChannel)
class SalesChannelAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "type",
        "currency",
        "commission_rate",
        "shortage_policy",
        "risk_threshold",
        "is_active",
    )
    list_filter = ("type", "is_active", "shortage_policy")
    search_fields = ("code", "name")


@admin.register(ChannelPrice)
class ChannelPriceAdmin(admin.ModelAdmin):
    list_display = ("channel", "variant", "price")
    list_filter = ("channel",)
    search_fields = ("variant__sku",)
    raw_id_fields = ("variant",)
    list_select_related = ("channel", "variant")
