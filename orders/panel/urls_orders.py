"""URLs of the orders area (see orders/urls.py): the list, saved views, bulk acts, export, the order page."""

from django.urls import path

from orders.panel import orders

urlpatterns: list = [
    path("", orders.order_list, name="index"),
    path("bulk/", orders.order_bulk, name="order_bulk"),
    path("export/", orders.order_export, name="order_export"),
    path("views/", orders.saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/delete/", orders.saved_view_delete, name="saved_view_delete"),
    path("<int:pk>/", orders.order_detail, name="detail"),
    path("<int:pk>/confirm/", orders.order_confirm, name="order_confirm"),
    path("<int:pk>/approve/", orders.order_approve, name="order_approve"),
    path("<int:pk>/reject/", orders.order_reject, name="order_reject"),
    path("<int:pk>/cancel/", orders.order_cancel, name="order_cancel"),
    path("<int:pk>/reallocate/", orders.order_reallocate, name="order_reallocate"),
    path("<int:pk>/note/", orders.order_note, name="order_note"),
]
