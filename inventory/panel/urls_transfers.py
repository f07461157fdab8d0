"""URLs of the inventory panel's transfers pages (included by inventory/urls.py)."""

urlpatterns: list = []
