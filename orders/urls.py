from django.urls import include, path

app_name = "orders"

# Each area of the section has its own views and URL module under orders/panel/.
urlpatterns = [
    path("", include("orders.panel.urls_orders")),
    path("", include("orders.panel.urls_queues")),
    path("", include("orders.panel.urls_customers")),
    path("", include("orders.panel.urls_allocation")),
    path("", include("orders.panel.urls_intake")),
]
