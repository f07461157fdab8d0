"""Billing panel URLs: reconciliation (spliced into billing/urls.py)."""

from django.urls import path

from billing import views_reconciliation as views

urlpatterns: list = [
    path("bank-statements/", views.statement_list, name="bank_statements"),
    path("bank-statements/upload/", views.statement_upload, name="bank_statement_upload"),
    path("bank-statements/<int:pk>/", views.statement_detail, name="bank_statement_detail"),
    path("bank-lines/<int:pk>/match/", views.line_match, name="bank_line_match"),
    path("cod-remittances/", views.remittance_list, name="cod_remittances"),
    path("cod-remittances/upload/", views.remittance_upload, name="cod_remittance_upload"),
    path("cod-remittances/<int:pk>/", views.remittance_detail, name="cod_remittance_detail"),
    path("finance-queue/", views.issue_list, name="finance_queue"),
    path("finance-queue/<int:pk>/take/", views.issue_take, name="finance_issue_take"),
    path("finance-queue/<int:pk>/release/", views.issue_release, name="finance_issue_release"),
    path("finance-queue/<int:pk>/resolve/", views.issue_resolve, name="finance_issue_resolve"),
]
