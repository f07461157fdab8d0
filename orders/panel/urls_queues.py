"""URLs of the queues area (see orders/urls.py)."""

from django.urls import path

from orders.panel import queues

urlpatterns: list = [
    path("queues/", queues.queue_list, name="queues"),
    path("queues/<int:pk>/take/", queues.queue_take, name="queue_take"),
    path("queues/<int:pk>/release/", queues.queue_release, name="queue_release"),
    path("queues/<int:pk>/resolve/", queues.queue_resolve, name="queue_resolve"),
]
