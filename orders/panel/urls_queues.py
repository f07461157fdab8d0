"""URLs of the queues area (see orders/urls.py)."""

urlpatterns: list = []
