from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.index, name="index"),
    path("products/", views.product_list, name="products"),
    path("variants/<int:pk>/", views.variant_detail, name="variant"),
    path("variants/<int:pk>/adjust/", views.variant_adjust, name="variant_adjust"),
]
