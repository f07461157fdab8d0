"""URLs of the inventory panel's alerts pages (included by inventory/urls.py)."""

urlpatterns: list = []
