"""URLs of the intake area (see orders/urls.py)."""

urlpatterns: list = []
