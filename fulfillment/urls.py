from django.urls import path

from fulfillment import views

app_name = "fulfillment"

urlpatterns = [
    path("", views.index, name="index"),
]
