"""Billing panel URLs under the 'billing' namespace; each area keeps its own module."""

from django.urls import path

from billing import urls_invoices, urls_payments, urls_quotes, urls_receivables, urls_reconciliation, views

app_name = "billing"

urlpatterns = [
    path("", views.index, name="index"),
    *urls_invoices.urlpatterns,
    *urls_payments.urlpatterns,
    *urls_reconciliation.urlpatterns,
    *urls_receivables.urlpatterns,
    *urls_quotes.urlpatterns,
]
