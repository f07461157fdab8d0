"""Billing panel URLs: payments (spliced into billing/urls.py)."""

from django.urls import path

from billing import views_payments as views

urlpatterns: list = [
    path("payments/", views.payment_list, name="payments"),
    path("payments/record/", views.record_payment_view, name="payment_record"),
    path("payments/callbacks/", views.callback_list, name="callbacks"),
    path("installments/", views.installment_list_view, name="installments"),
]
