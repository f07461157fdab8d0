"""URLs of the inventory panel's transfers pages (included by inventory/urls.py)."""

from django.urls import path

from inventory.panel import transfers

urlpatterns = [
    path("transfers/", transfers.transfer_list, name="transfers"),
    path("transfers/new/", transfers.transfer_request, name="transfer_request"),
    path("transfers/new/search/", transfers.transfer_sku_search, name="transfer_sku_search"),
    path("transfers/new/line/", transfers.transfer_line_row, name="transfer_line_row"),
    path("transfers/<int:pk>/", transfers.transfer_detail, name="transfer"),
    path("transfers/<int:pk>/ship/", transfers.transfer_ship, name="transfer_ship"),
    path("transfers/<int:pk>/receive/", transfers.transfer_receive, name="transfer_receive"),
    path("transfers/<int:pk>/cancel/", transfers.transfer_cancel, name="transfer_cancel"),
]
