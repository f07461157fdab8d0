from django.urls import path

from channels import views

app_name = "channels"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.channel_create, name="create"),
    path("<int:pk>/edit/", views.channel_edit, name="edit"),
]
