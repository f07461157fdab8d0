"""Picking pages; included by ``fulfillment/urls.py`` under ``picking/`` (namespace ``fulfillment``)."""

from django.urls import path

from fulfillment import views_picking as views

urlpatterns = [
    path("", views.picking_index, name="picking"),
    path("build/", views.picking_build, name="picking_build"),
    path("<int:pk>/", views.picking_screen, name="picking_screen"),
    path("<int:pk>/scan/", views.picking_scan, name="picking_scan"),
    path("<int:pk>/pick/", views.picking_pick, name="picking_pick"),
    path("<int:pk>/short/", views.picking_short, name="picking_short"),
    path("<int:pk>/pdf/", views.picking_pdf, name="picking_pdf"),
]
