"""URLs of the inventory panel's reports pages (included by inventory/urls.py)."""

from django.urls import path

from inventory.panel import reports

urlpatterns: list = [
    path("reports/", reports.report_index, name="reports"),
    path("reports/abc/", reports.abc_report, name="report_abc"),
    path("reports/valuation/", reports.valuation_report, name="report_valuation"),
    path("reports/turnover/", reports.turnover_report, name="report_turnover"),
    path("reports/dead-stock/", reports.dead_stock_report, name="report_dead_stock"),
    path("reports/movements/", reports.movement_report, name="report_movements"),
    path("reports/rebalancing/", reports.rebalancing_report, name="report_rebalancing"),
    path("reports/rebalancing/transfer/", reports.rebalancing_transfer, name="report_rebalancing_transfer"),
]
