"""URLs of the inventory panel's goods in pages (included by inventory/urls.py)."""

from django.urls import path

from inventory.panel import goods_in

urlpatterns: list = [
    path("goods-in/", goods_in.receipt_list, name="receipts"),
    path("goods-in/<int:pk>/", goods_in.receipt_detail, name="receipt"),
    path("goods-in/<int:pk>/summary/", goods_in.receiving_summary, name="receiving_summary"),
    path("goods-in/station/", goods_in.station, name="receiving_station"),
    path("goods-in/station/start/", goods_in.station_start, name="receiving_start"),
    path("goods-in/station/<slug:token>/", goods_in.station_draft, name="receiving_draft"),
    path("goods-in/station/<slug:token>/scan/", goods_in.station_scan, name="receiving_scan"),
    path("goods-in/station/<slug:token>/lines/<int:line>/", goods_in.station_line, name="receiving_line"),
    path("goods-in/station/<slug:token>/complete/", goods_in.station_complete, name="receiving_complete"),
    path("goods-in/station/<slug:token>/discard/", goods_in.station_discard, name="receiving_discard"),
]
