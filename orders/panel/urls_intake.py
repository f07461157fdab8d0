"""URLs of the intake area (see orders/urls.py): the new-order form and the file import."""

from django.urls import path

from orders.panel import intake

urlpatterns: list = [
    path("new/", intake.order_new, name="new"),
    path("new/customer/", intake.customer_lookup, name="new_customer"),
    path("new/variants/", intake.variant_search, name="new_variants"),
    path("new/lines/add/", intake.line_add, name="new_line"),
    path("new/lines/remove/", intake.line_remove, name="new_line_remove"),
    path("new/totals/", intake.totals, name="new_totals"),
    path("import/", intake.import_orders, name="import"),
    path("import/sample.csv", intake.import_sample, name="import_sample"),
    path("import/<slug:token>/", intake.import_result, name="import_result"),
    path("import/<slug:token>/report.csv", intake.import_report_csv, name="import_report"),
]
