"""URLs of the packing station, spliced into fulfillment/urls.py (``*urls_packing.urlpatterns``):
``fulfillment:packing`` is the station's start page, the rest ``fulfillment:packing_*``."""

from django.urls import path

from fulfillment import views_packing as views

urlpatterns: list = [
    path("packing/", views.station_start, name="packing"),
    path("packing/<int:pk>/", views.station, name="packing_station"),
    path("packing/<int:pk>/scan/", views.scan, name="packing_scan"),
    path("packing/<int:pk>/parcels/", views.add_parcel, name="packing_parcel"),
    path(
        "packing/<int:pk>/parcels/<int:parcel_pk>/remove/", views.remove_parcel, name="packing_parcel_remove"
    ),
    path("packing/<int:pk>/close/", views.close, name="packing_close"),
    path("packing/<int:pk>/label.pdf", views.label, name="packing_label"),
    path("packing/<int:pk>/packing-slip.pdf", views.packing_slip, name="packing_slip"),
    path("packing/manifests/<int:pk>.pdf", views.manifest_pdf, name="manifest_pdf"),
    path("packing/manifests/<int:pk>.csv", views.manifest_csv, name="manifest_csv"),
]
