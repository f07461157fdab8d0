from django.urls import include, path

from fulfillment import urls_packing, urls_panel, urls_picking, views

app_name = "fulfillment"

urlpatterns = [
    path("", views.index, name="index"),
    *urls_panel.urlpatterns,
    path("picking/", include(urls_picking.urlpatterns)),  # its paths are relative ("", "build/")
    *urls_packing.urlpatterns,  # its paths start with "packing/"
]
