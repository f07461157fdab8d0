"""URLs of the allocation area (see orders/urls.py)."""

from django.urls import path

from orders.panel import allocation

urlpatterns: list = [path("allocation/dry-run/", allocation.dry_run, name="dry_run")]
