"""URLs of the customers area (see orders/urls.py)."""

urlpatterns: list = []
