"""URLs of the inventory panel's counts pages (included by inventory/urls.py)."""

urlpatterns: list = []
