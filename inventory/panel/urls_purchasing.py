"""URLs of the inventory panel's purchasing pages (included by inventory/urls.py)."""

urlpatterns: list = []
