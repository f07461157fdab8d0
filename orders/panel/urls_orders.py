"""URLs of the orders area (see orders/urls.py)."""

from django.urls import path

from oms.views import section_index

urlpatterns: list = [path("", section_index("orders"), name="index")]
