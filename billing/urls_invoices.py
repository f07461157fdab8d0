"""Billing panel URLs: invoices (spliced into billing/urls.py)."""

from django.urls import path

from billing import views_invoices as views

urlpatterns: list = [
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/download/", views.invoice_download, name="invoice_download"),
    path("invoices/issue/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/xml/", views.invoice_xml, name="invoice_xml"),
    path("invoices/<int:pk>/sent/", views.invoice_mark_sent, name="invoice_mark_sent"),
    path("invoices/<int:pk>/credit/", views.invoice_credit, name="invoice_credit"),
]
