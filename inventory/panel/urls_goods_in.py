"""URLs of the inventory panel's goods in pages (included by inventory/urls.py)."""

urlpatterns: list = []
