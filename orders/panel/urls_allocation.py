"""URLs of the allocation area (see orders/urls.py)."""

urlpatterns: list = []
