"""URLs of the customers area (see orders/urls.py)."""

from django.urls import path

from orders.panel import customers

urlpatterns: list = [
    path("customers/", customers.customer_list, name="customers"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer"),
    path("customers/<int:pk>/vip/", customers.customer_vip, name="customer_vip"),
    path("customers/<int:pk>/merge/", customers.customer_merge_search, name="customer_merge_search"),
    path("customers/<int:pk>/merge/<int:other>/", customers.customer_merge, name="customer_merge"),
]
