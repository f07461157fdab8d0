"""URLs of the inventory panel's counts pages (included by inventory/urls.py)."""

from django.urls import path

from inventory.panel import counts

urlpatterns = [
    path("counts/", counts.count_list, name="counts"),
    path("counts/new/", counts.count_start, name="count_start"),
    path("counts/<int:pk>/", counts.count_detail, name="count"),
    path("counts/<int:pk>/station/", counts.count_station, name="count_station"),
    path("counts/<int:pk>/scan/", counts.count_scan, name="count_scan"),
    path("counts/<int:pk>/lines/<int:line_pk>/", counts.count_line, name="count_line"),
    path("counts/<int:pk>/found/", counts.count_found, name="count_found"),
    path("counts/<int:pk>/submit/", counts.count_submit, name="count_submit"),
    path("counts/<int:pk>/reopen/", counts.count_reopen, name="count_reopen"),
    path("counts/<int:pk>/post/", counts.count_post, name="count_post"),
    path("counts/<int:pk>/cancel/", counts.count_cancel, name="count_cancel"),
]
