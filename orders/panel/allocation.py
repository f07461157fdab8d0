"""Allocation dry run: which warehouses the rules would choose, and why, before anything is reserved.

Two ways in: an existing order (``?order=<number, special code or id>``: the lines' open needs,
shipped to the order's province) or a pasted address province and lines. Both call
``orders.allocation.plan``, which only reads stock levels; nothing is reserved or recorded.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from oms.access import role_required
from oms.http import is_partial
from orders import allocation
from orders.models import Order
from orders.panel.panel_forms import DryRunForm


def find_order(text: str) -> Order | None:
    """The order with this number or special code (any case), else with this id."""
    text = (text or "").strip()
    if not text:
        return None
    condition = Q(number__iexact=text) | Q(special_code__iexact=text)
    if text.isdigit():
        condition |= Q(pk=int(text))
    return Order.objects.filter(condition).select_related("ship_province").order_by("pk").first()


def explain(needs: list[allocation.Need], *, province_id: int | None, names: dict) -> dict:
    """Run the rules on ``needs`` and lay the answer out for the page.

    ``names`` maps a need's key to the product name shown next to its SKU.
    """
    result = allocation.plan(needs, province_id=province_id)
    codes = {c["warehouse"]: c["code"] for c in result.candidates}
    per_key: dict = {}
    for key, warehouse_id, quantity in result.assignments:
        per_key.setdefault(key, []).append(
            {"code": codes.get(warehouse_id, warehouse_id), "quantity": quantity}
        )
    short_variants = {n.variant_id for n in needs if result.short.get(n.key)}
    promises = allocation.promise_dates_for(short_variants) if short_variants else {}
    lines = [
        {
            "key": need.key,
            "sku": need.sku,
            "name": names.get(need.key, ""),
            "quantity": need.quantity,
            "assignments": per_key.get(need.key, []),
            "short": result.short.get(need.key, 0),
            "promise_date": promises.get(need.variant_id) if result.short.get(need.key) else None,
        }
        for need in needs
    ]
    return {
        "plan": result,
        "lines": lines,
        "chosen": [c for c in result.candidates if c["chosen"]],
        "shortfalls": [line for line in lines if line["short"]],
    }


@vary_on_headers("HX-Request")
@role_required("oms.access_orders")
def dry_run(request: HttpRequest) -> HttpResponse:
    context: dict = {"order_query": request.GET.get("order", "").strip()}
    if request.method == "POST":
        form = DryRunForm(request.POST)
        if form.is_valid():
            rows = [line for line in form.rows if line.variant and line.merged_into is None]
            needs = [
                allocation.Need(line.row, line.variant.pk, line.variant.sku, line.quantity) for line in rows
            ]
            names = {line.row: line.variant.product.name for line in rows}
            context["report"] = explain(needs, province_id=form.cleaned_data["province"].pk, names=names)
            context["province"] = form.cleaned_data["province"]
        context["rows"] = getattr(form, "rows", [])
    else:
        form = DryRunForm()
        if context["order_query"]:
            order = find_order(context["order_query"])
            context["order"] = order
            if order is None:
                context["order_error"] = _("There is no order “%(query)s”.") % {
                    "query": context["order_query"]
                }
            else:
                lines = {line.pk: line for line in order.lines.all()}
                needs = allocation.open_needs_from(lines)
                names = {key: lines[key].name for key in lines}
                context["report"] = explain(needs, province_id=order.ship_province_id, names=names)
                context["province"] = order.ship_province
    context["form"] = form
    template = "orders/allocation/dry_run.html"
    if request.method == "POST" and is_partial(request):
        template += "#workspace"
    return render(request, template, context)
