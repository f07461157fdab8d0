"""Intake pages of the orders panel: the new-order form (phone / customer-service orders) with its
htmx helpers (customer look-up, SKU search, line rows, live totals) and the CSV/XLSX import.

Both paths hand the order to ``orders.services.create_order``, the one intake service: the form
maps its ``OrderInvalid`` field errors back onto the fields and keeps what was typed; the import
(``orders.importing``) reports them per row. Everything here needs ``orders.manage_orders``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels.models import SalesChannel
from inventory import selectors as inventory_selectors
from inventory.models import Variant
from oms.access import role_required
from oms.address import normalize_phone
from oms.csv_export import csv_response
from oms.errors import DomainError
from orders import importing, services
from orders.customers import find_customer, normalize_email
from orders.errors import OrderInvalid
from orders.models import CustomerAddress, OrderSource, OrderStatus
from orders.panel.intake_forms import (
    ImportForm,
    LineRow,
    OrderForm,
    channel_prices,
    default_channel,
    describe_rows,
    estimate,
    free_stock,
    line_rows,
)

MANAGE = ("oms.access_orders", "orders.manage_orders")
FORM_TEMPLATE = "orders/intake/new.html"
IMPORT_TEMPLATE = "orders/intake/import.html"
SEARCH_LIMIT = 12
REPORT_TTL = 24 * 3600  # the import report (for its CSV download) is kept a day
SAMPLE_FILE = Path(settings.BASE_DIR) / "docs" / "samples" / "orders_import.csv"


def order_url(pk: int) -> str:
    """The order's detail page; the orders index while the detail page does not exist."""
    try:
        return reverse("orders:detail", args=[pk])
    except NoReverseMatch:
        return reverse("orders:index")


def _customer_url(pk: int) -> str | None:
    try:
        return reverse("orders:customer", args=[pk])
    except NoReverseMatch:
        return None


def amount_text(value) -> str:
    """An amount for an input box, written the way the user's language writes it (both parse)."""
    if value is None:
        return ""
    text = f"{value:.2f}"
    return text.replace(".", ",") if (get_language() or "tr").startswith("tr") else text


# --- New order ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*MANAGE)
def order_new(request: HttpRequest) -> HttpResponse:
    """The phone-order form. A valid submit goes to ``create_order`` (source panel); its refusals
    come back as field errors with everything typed still there (422)."""
    if request.method == "GET":
        channel = default_channel()
        form = OrderForm(
            initial={
                "channel": channel.pk if channel else None,
                "installments": 1,
                "submission": secrets.token_urlsafe(16),
            }
        )
        return _render_form(request, form, [], channel=channel)
    form = OrderForm(request.POST)
    rows = line_rows(request.POST)
    line_errors: list[str] = []
    if form.is_valid():
        claim = _claim_submission(request, form.cleaned_data.get("submission") or "")
        if claim is not True and claim is not False:  # the id of the order it already created
            messages.info(request, _("This form was already sent; here is the order it created."))
            return redirect(order_url(claim))
        if claim is False:
            form.add_error(None, _("This form is being sent already; wait a moment."))
            return _render_form(request, form, rows, channel=form.cleaned_data.get("channel"), status=409)
        try:
            order, _created = services.create_order(
                form.order_data(rows), source=OrderSource.PANEL, user=request.user
            )
        except OrderInvalid as exc:
            _forget_submission(request, form.cleaned_data.get("submission") or "")
            line_errors = form.apply_service_errors(exc.data.get("errors") or [], rows)
            if not form.errors and not line_errors and not any(row.errors for row in rows):
                form.add_error(None, exc.message)
        except DomainError as exc:  # e.g. the channel rejects orders it cannot reserve
            _forget_submission(request, form.cleaned_data.get("submission") or "")
            form.add_error(None, exc.message)
        except Exception:
            _forget_submission(request, form.cleaned_data.get("submission") or "")
            raise
        else:
            _remember_submission(request, form.cleaned_data.get("submission") or "", order.pk)
            order.refresh_from_db()
            _announce(request, order)
            return redirect(order_url(order.pk))
    channel = form.cleaned_data.get("channel") if hasattr(form, "cleaned_data") else None
    return _render_form(request, form, rows, channel=channel, line_errors=line_errors, status=422)


def _submission_key(request: HttpRequest, token: str) -> str:
    return f"orders:new-order:{request.user.pk}:{token}"


def _claim_submission(request: HttpRequest, token: str) -> bool | int:
    """True: go ahead. An order id: this form already created it. False: a first submit of it
    is still running. Without a token (an old form) there is nothing to guard."""
    if not token:
        return True
    key = _submission_key(request, token)
    if cache.add(key, "pending", timeout=3600):
        return True
    value = cache.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else False


def _remember_submission(request: HttpRequest, token: str, order_id: int) -> None:
    if token:
        cache.set(_submission_key(request, token), order_id, timeout=3600)


def _forget_submission(request: HttpRequest, token: str) -> None:
    if token:
        cache.delete(_submission_key(request, token))


def _render_form(
    request: HttpRequest,
    form: OrderForm,
    rows: list[LineRow],
    *,
    channel: SalesChannel | None,
    line_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    describe_rows(rows, channel)
    totals, line_totals = estimate(request.POST, rows, channel)
    for row in rows:
        row.total = line_totals.get(row.uid)
    context = {
        "form": form,
        "rows": rows,
        "line_errors": line_errors or [],
        "rows_invalid": any(row.errors for row in rows),
        "totals": totals,
        "currency": totals.currency,
    }
    return render(request, FORM_TEMPLATE, context, status=status)


def _announce(request: HttpRequest, order) -> None:
    """The success message: the number and where intake routed the order."""
    values = {"number": order.number, "status": order.get_status_display()}
    if order.status == OrderStatus.ALLOCATED:
        text, level = _("Order %(number)s created and allocated."), messages.SUCCESS
    elif order.status == OrderStatus.ON_HOLD:
        reason = _("waiting for approval") if order.hold_reason == "approval" else _("held for review")
        text, level = _("Order %(number)s created and put on hold (%(reason)s)."), messages.WARNING
        values["reason"] = reason
    elif order.status == OrderStatus.BACKORDERED:
        text = _("Order %(number)s created as backordered: not every line could be reserved.")
        level = messages.WARNING
    else:
        text, level = _("Order %(number)s created: %(status)s."), messages.INFO
    message = text % values
    if order.special_code:
        message += " " + _("Special code: %(code)s.") % {"code": order.special_code}
    messages.add_message(request, level, message)


def _channel_from(request: HttpRequest) -> SalesChannel | None:
    value = request.GET.get("channel") or request.POST.get("channel") or ""
    if value.isdigit():
        return SalesChannel.objects.filter(pk=int(value), is_active=True).first()
    return None


@require_GET
@role_required(*MANAGE)
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """htmx: find the customer by phone or e-mail and fill the customer and shipping fields
    (their default address); without a match, start a new customer with what was typed."""
    text = (request.GET.get("lookup") or "").strip()
    values = request.GET.dict()  # the form as typed so far: nothing else is lost
    values.pop("lookup", None)
    customer, problem = None, ""
    email = phone = ""
    try:
        if "@" in text:
            email = normalize_email(text)
        elif text:
            phone = normalize_phone(text)
    except ValidationError:
        problem = _("Enter a phone number (0532 123 45 67) or an e-mail address.")
    if email or phone:
        customer = find_customer(email=email, phone=phone)
    address = None
    if customer is not None:
        values.update(
            email=customer.email,
            phone=customer.phone,
            first_name=customer.first_name,
            last_name=customer.last_name,
            company=customer.company,
        )
        address = CustomerAddress.objects.filter(customer=customer).select_related("province").first()
        if address is not None:
            values.update(
                ship_name=address.full_name,
                ship_phone=address.phone,
                ship_line1=address.address_line,
                ship_neighbourhood=address.neighbourhood,
                ship_district=address.district,
                ship_province=address.province_id or "",
                ship_postal_code=address.postal_code,
            )
    elif email and not values.get("email"):
        values["email"] = email
    elif phone and not values.get("phone"):
        values["phone"] = phone
    context = {
        "form": OrderForm(initial=values),
        "lookup": text,
        "lookup_problem": problem,
        "customer": customer,
        "customer_url": _customer_url(customer.pk) if customer else None,
        "address": address,
        "oob": address is not None,
    }
    return render(request, "orders/intake/_lookup.html", context)


def search_variants(text: str) -> list[Variant]:
    """Sellable variants for the SKU box: an exact SKU or barcode (a scan) first, then SKUs,
    barcodes and product names containing the text."""
    text = text.strip()
    if len(text) < 2:
        return []
    exact = inventory_selectors.variant_for_code(text)
    found = [exact] if exact is not None and exact.is_active and exact.product.is_active else []
    more = (
        Variant.objects.filter(inventory_selectors.search_variants("pk", text))
        .filter(is_active=True, product__is_active=True)
        .exclude(pk__in=[v.pk for v in found])
        .select_related("product")
        .order_by("sku")[: SEARCH_LIMIT - len(found)]
    )
    return found + list(more)


def _is_exact(variant: Variant, text: str) -> bool:
    code = text.strip().lower()
    return bool(code) and code in {variant.sku.lower(), (variant.barcode or "").lower()}


@require_GET
@role_required(*MANAGE)
def variant_search(request: HttpRequest) -> HttpResponse:
    """htmx: SKU search results with the channel's price and free stock. Enter on an exact SKU
    or barcode (``enter=1``, what a scanner sends) adds the line at once."""
    text = request.GET.get("q") or ""
    channel = _channel_from(request)
    variants = search_variants(text)
    if request.GET.get("enter") and variants and _is_exact(variants[0], text):
        response = _line_response(request, variants[0], channel)
        response["HX-Retarget"] = "#order-lines"
        response["HX-Reswap"] = "beforeend"
        return response
    prices = channel_prices(channel, variants)
    free = free_stock([v.pk for v in variants])
    for variant in variants:
        variant.price = prices.get(variant.pk)
        variant.free = free.get(variant.pk, 0)
    context = {
        "variants": variants,
        "query": text.strip(),
        "channel": channel,
        "currency": _currency(channel),
    }
    return render(request, "orders/intake/_variant_results.html", context)


def _currency(channel: SalesChannel | None) -> str:
    return channel.currency if channel else "TRY"


@require_GET
@role_required(*MANAGE)
def line_add(request: HttpRequest) -> HttpResponse:
    """htmx: a new line row for the chosen variant, its price taken from the channel's price list."""
    variant = get_object_or_404(Variant.objects.select_related("product"), pk=request.GET.get("variant") or 0)
    return _line_response(request, variant, _channel_from(request))


def _line_response(request: HttpRequest, variant: Variant, channel: SalesChannel | None) -> HttpResponse:
    price = channel_prices(channel, [variant]).get(variant.pk)
    row = LineRow(sku=variant.sku, unit_price=amount_text(price), variant=variant, list_price=price)
    row.free = free_stock([variant.pk]).get(variant.pk, 0)
    context = {"row": row, "currency": _currency(channel), "added": True}
    response = render(request, "orders/intake/_line_row.html", context)
    response["HX-Trigger-After-Swap"] = "lines-changed"
    return response


@require_GET
@role_required(*MANAGE)
def line_remove(request: HttpRequest) -> HttpResponse:
    """htmx: nothing, swapped over the removed row; the totals follow."""
    response = HttpResponse("")
    response["HX-Trigger-After-Swap"] = "lines-changed"
    return response


@require_POST
@role_required(*MANAGE)
def totals(request: HttpRequest) -> HttpResponse:
    """htmx: the totals of the form as typed, computed as ``create_order`` will store them."""
    channel = _channel_from(request)
    rows = line_rows(request.POST)
    describe_rows(rows, channel)
    order_totals, line_totals = estimate(request.POST, rows, channel)
    context = {
        "totals": order_totals,
        "currency": order_totals.currency,
        "line_totals": {row.uid: line_totals.get(row.uid) for row in rows},
    }
    return render(request, f"{FORM_TEMPLATE}#totals", context)


# --- Import ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*MANAGE)
def import_orders(request: HttpRequest) -> HttpResponse:
    """Upload a CSV/XLSX file; every order in it goes through ``create_order`` on its own. The
    report is kept for a day under a random key and shown at ``import_result``."""
    if request.method == "GET":
        return render(request, IMPORT_TEMPLATE, _import_context(ImportForm()))
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            groups = importing.parse_file(uploaded)
        except importing.ImportRejected as exc:
            form.add_error("file", exc.message)
        else:
            report = importing.import_orders(groups, user=request.user)
            token = secrets.token_urlsafe(16)
            cache.set(
                _report_key(token),
                {"user": request.user.pk, "file": uploaded.name, "report": importing.report_to_dict(report)},
                REPORT_TTL,
            )
            return redirect("orders:import_result", token=token)
    return render(request, IMPORT_TEMPLATE, _import_context(form), status=422)


def _import_context(form: ImportForm, **extra) -> dict:
    columns = [
        {
            "name": name,
            "aliases": [a for a in aliases if a != name],
            "required": name in importing.REQUIRED_COLUMNS,
        }
        for name, aliases in importing.COLUMNS.items()
    ]
    return {
        "form": form,
        "columns": columns,
        "max_mb": importing.MAX_FILE_BYTES // 2**20,
        "max_rows": importing.MAX_ROWS,
        "payment_methods": importing.PaymentMethod.values,
        **extra,
    }


def _report_key(token: str) -> str:
    return f"orders:import-report:{token}"


def _stored_report(request: HttpRequest, token: str) -> dict:
    stored = cache.get(_report_key(token))
    if not stored or stored.get("user") != request.user.pk:
        raise Http404(_("This import report has expired."))
    return stored


@require_GET
@role_required(*MANAGE)
def import_result(request: HttpRequest, token: str) -> HttpResponse:
    """The report of one import: per order created (link, status), already there, or failed with
    the rows and columns at fault."""
    stored = _stored_report(request, token)
    report = importing.report_from_dict(stored["report"])
    for result in report.results:
        result.url = order_url(result.order_id) if result.order_id else None
    context = _import_context(ImportForm(), report=report, token=token, filename=stored["file"])
    return render(request, IMPORT_TEMPLATE, context)


@require_GET
@role_required(*MANAGE)
def import_report_csv(request: HttpRequest, token: str) -> HttpResponse:
    report = importing.report_from_dict(_stored_report(request, token)["report"])
    header, rows = importing.report_rows(report)
    return csv_response("order-import-report.csv", header, rows)


@require_GET
@role_required(*MANAGE)
def import_sample(request: HttpRequest) -> FileResponse:
    """The sample file of docs/samples: the columns and two small orders."""
    return FileResponse(
        SAMPLE_FILE.open("rb"),
        as_attachment=True,
        filename="orders_import.csv",
        content_type="text/csv; charset=utf-8",
    )
