"""URLs of the inventory panel's alerts pages (included by inventory/urls.py)."""

from django.urls import path

from inventory.panel import alerts

urlpatterns: list = [
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/acknowledge/", alerts.alerts_acknowledge, name="alerts_acknowledge"),
    path("alerts/evaluate/", alerts.alerts_evaluate, name="alerts_evaluate"),
    path("alerts/<int:pk>/acknowledge/", alerts.alert_acknowledge, name="alert_acknowledge"),
]
