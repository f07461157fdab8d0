"""Public (no login) tracking pages; the project includes them at ``/track/``."""

from django.urls import path

from fulfillment import public

app_name = "tracking"

urlpatterns = [
    path("", public.track, name="track"),
    path("<str:token>/", public.detail, name="detail"),
]
