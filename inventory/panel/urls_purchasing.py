"""URLs of the inventory panel's purchasing pages (included by inventory/urls.py)."""

from django.urls import path

from inventory.panel import purchasing

urlpatterns: list = [
    path("suppliers/", purchasing.supplier_list, name="suppliers"),
    path("suppliers/new/", purchasing.supplier_create, name="supplier_create"),
    path("suppliers/<int:pk>/", purchasing.supplier_detail, name="supplier"),
    path("suppliers/<int:pk>/edit/", purchasing.supplier_edit, name="supplier_edit"),
    path("suppliers/<int:pk>/items/add/", purchasing.supplier_item_add, name="supplier_item_add"),
    path("suppliers/<int:pk>/items/<int:item_pk>/", purchasing.supplier_item_edit, name="supplier_item_edit"),
    path(
        "suppliers/<int:pk>/items/<int:item_pk>/remove/",
        purchasing.supplier_item_remove,
        name="supplier_item_remove",
    ),
    path("purchase-orders/", purchasing.purchase_order_list, name="purchase_orders"),
    path("purchase-orders/new/", purchasing.purchase_order_create, name="purchase_order_create"),
    path("purchase-orders/<int:pk>/", purchasing.purchase_order_detail, name="purchase_order"),
    path("purchase-orders/<int:pk>/edit/", purchasing.purchase_order_edit, name="purchase_order_edit"),
    path(
        "purchase-orders/<int:pk>/lines/add/",
        purchasing.purchase_order_line_add,
        name="purchase_order_line_add",
    ),
    path(
        "purchase-orders/<int:pk>/lines/<int:line_pk>/",
        purchasing.purchase_order_line_change,
        name="purchase_order_line_change",
    ),
    path(
        "purchase-orders/<int:pk>/lines/<int:line_pk>/remove/",
        purchasing.purchase_order_line_remove,
        name="purchase_order_line_remove",
    ),
    path("purchase-orders/<int:pk>/send/", purchasing.purchase_order_send, name="purchase_order_send"),
    path("purchase-orders/<int:pk>/cancel/", purchasing.purchase_order_cancel, name="purchase_order_cancel"),
    path("purchase-orders/<int:pk>/pdf/", purchasing.purchase_order_pdf, name="purchase_order_pdf"),
    path("purchasing/variants/", purchasing.variant_search, name="purchasing_variant_search"),
    path("purchasing/variants/pick/", purchasing.variant_pick, name="purchasing_variant_pick"),
    path("purchasing/empty/", purchasing.empty_fragment, name="purchasing_empty"),
    path("reorder/", purchasing.reorder, name="reorder"),
    path("reorder/draft/", purchasing.reorder_draft, name="reorder_draft"),
]
