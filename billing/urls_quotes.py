"""Billing panel URLs: quotes (spliced into billing/urls.py)."""

from django.urls import path

from billing import views_quotes as views

urlpatterns: list = [
    path("quotes/", views.quote_list, name="quotes"),
    path("quotes/new/", views.quote_create, name="quote_create"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", views.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/send/", views.quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", views.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/decline/", views.quote_decline, name="quote_decline"),
    path("quotes/<int:pk>/convert/", views.quote_convert, name="quote_convert"),
    path("quotes/<int:pk>/pdf/", views.quote_pdf, name="quote_pdf"),
]
