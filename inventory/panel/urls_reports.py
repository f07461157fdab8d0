"""URLs of the inventory panel's reports pages (included by inventory/urls.py)."""

urlpatterns: list = []
