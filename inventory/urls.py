from django.urls import include, path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.index, name="index"),
    path("products/", views.product_list, name="products"),
    path("variants/<int:pk>/", views.variant_detail, name="variant"),
    path("variants/<int:pk>/adjust/", views.variant_adjust, name="variant_adjust"),
    path("variants/<int:pk>/lot-action/", views.variant_lot_action, name="variant_lot_action"),
    # Each area of the section has its own views and URL module under inventory/panel/.
    path("", include("inventory.panel.urls_purchasing")),
    path("", include("inventory.panel.urls_goods_in")),
    path("", include("inventory.panel.urls_counts")),
    path("", include("inventory.panel.urls_transfers")),
    path("", include("inventory.panel.urls_alerts")),
    path("", include("inventory.panel.urls_reports")),
]
