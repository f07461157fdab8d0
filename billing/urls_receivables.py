"""Billing panel URLs: receivables, statements of account, billing accounts (spliced into billing/urls.py)."""

from django.urls import path

from billing import views_receivables as views

urlpatterns: list = [
    path("receivables/", views.receivables_list, name="receivables"),
    path("receivables/csv/", views.receivables_csv, name="receivables_csv"),
    path("receivables/<int:customer_id>/statement/", views.customer_statement, name="statement"),
    path("receivables/<int:customer_id>/statement/pdf/", views.customer_statement_pdf, name="statement_pdf"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/<int:customer_id>/", views.account_edit, name="account_edit"),
]
