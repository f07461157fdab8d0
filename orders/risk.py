"""Rule-based fraud risk: each rule adds points with a reason a person can read; the score is capped
at 100 and compared with the channel's threshold. Approval rules are here too: both decide whether
an order waits for a person before it is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.money import format_money
from oms.reference_cache import ReferenceCache
from orders.models import ApprovalRule, Customer, Order, PaymentMethod

# Points per rule; tuned so that one strong signal alone does not hold an order at the default
# threshold (60) but two do.
HIGH_VALUE = Decimal("20000")  # TRY
VERY_HIGH_VALUE = Decimal("50000")
POINTS = {
    "high_value": 30,
    "very_high_value": 45,
    "first_order_cod": 30,
    "country_mismatch": 35,
    "address_mismatch": 10,
    "velocity": 35,
    "problem_history": 30,
}
VELOCITY_WINDOW = timedelta(hours=24)
VELOCITY_LIMIT = 3  # earlier orders within the window from one phone, e-mail or IP


@dataclass
class RiskInput:
    total: Decimal
    currency: str
    payment_method: str
    is_first_order: bool
    ship_country: str
    ship_city: str
    bill_country: str
    bill_city: str
    email: str
    phone: str
    ip_address: str | None
    customer: Customer | None


# How each reason reads; rendered when shown, so a Turkish and an English reader see their own.
REASON_TEXT = {
    "very_high_value": gettext_lazy("Order value %(v)s is very high."),
    "high_value": gettext_lazy("Order value %(v)s is high."),
    "first_order_cod": gettext_lazy("First order, paid cash on delivery."),
    "country_mismatch": gettext_lazy("Billing country %(b)s differs from shipping country %(s)s."),
    "address_mismatch": gettext_lazy("Billing city %(b)s differs from shipping city %(s)s."),
    "velocity": gettext_lazy("%(n)s orders from this %(what)s in 24 hours."),
    "problem_history": gettext_lazy("Earlier problem orders: %(p)s, failed deliveries: %(f)s."),
}
VELOCITY_WHAT = {
    "phone": gettext_lazy("phone"),
    "email": gettext_lazy("e-mail"),
    "ip": gettext_lazy("IP address"),
}


def reason_text(reason: dict) -> str:
    """A stored risk reason in the reader's language (older rows: their stored message)."""
    params = dict(reason.get("params") or {})
    template = REASON_TEXT.get(reason.get("code", ""))
    if template is None or not isinstance(params, dict):
        return reason.get("message", "")
    if "v" in params:
        params["v"] = format_money(Decimal(params["v"]), "TRY")
    if "what" in params:
        params["what"] = VELOCITY_WHAT.get(params["what"], params["what"])
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return reason.get("message", "")


def score(data: RiskInput, *, exclude_order_id: int | None = None) -> tuple[int, list[dict]]:
    """The score (0..100) and its reasons ``[{code, points, params, message}]``."""
    reasons: list[dict] = []

    def add(code: str, **params) -> None:
        reason = {"code": code, "points": POINTS[code], "params": params}
        reason["message"] = reason_text(reason)  # for readers of the raw JSON (API, exports)
        reasons.append(reason)

    total_try = data.total if data.currency == "TRY" else None
    if total_try is not None and total_try >= VERY_HIGH_VALUE:
        add("very_high_value", v=str(total_try))
    elif total_try is not None and total_try >= HIGH_VALUE:
        add("high_value", v=str(total_try))
    if data.is_first_order and data.payment_method == PaymentMethod.CASH_ON_DELIVERY:
        add("first_order_cod")
    if data.bill_country and data.ship_country and data.bill_country != data.ship_country:
        add("country_mismatch", b=data.bill_country, s=data.ship_country)
    elif data.bill_city and data.ship_city and _fold(data.bill_city) != _fold(data.ship_city):
        add("address_mismatch", b=data.bill_city, s=data.ship_city)
    velocity = _velocity(data, exclude_order_id)
    if velocity:
        add("velocity", **velocity)
    customer = data.customer
    if customer is not None and (customer.problem_orders or customer.failed_deliveries):
        add("problem_history", p=customer.problem_orders, f=customer.failed_deliveries)
    return min(100, sum(r["points"] for r in reasons)), reasons


def _fold(text: str) -> str:
    from oms.address import turkish_casefold

    return turkish_casefold(text)


def _velocity(data: RiskInput, exclude_order_id: int | None) -> dict:
    """Params of a reason when one phone, e-mail or IP placed too many orders lately, else {}.

    One query: the three indexed conditions OR-ed, counted separately."""
    checks = [
        (what, field, value)
        for what, field, value in (
            ("phone", "customer_phone", data.phone),
            ("email", "customer_email", data.email),
            ("ip", "ip_address", data.ip_address),
        )
        if value
    ]
    if not checks:
        return {}
    recent = Order.objects.filter(created_at__gte=timezone.now() - VELOCITY_WINDOW)
    if exclude_order_id:
        recent = recent.exclude(pk=exclude_order_id)
    any_match = Q()
    for _what, field, value in checks:
        any_match |= Q(**{field: value})
    counts = recent.filter(any_match).aggregate(
        **{what: Count("pk", filter=Q(**{field: value})) for what, field, value in checks}
    )
    for what, _field, _value in checks:
        if counts[what] >= VELOCITY_LIMIT:
            return {"n": counts[what] + 1, "what": what}
    return {}


_rules = ReferenceCache(
    lambda: list(ApprovalRule.objects.filter(is_active=True).select_related("category")),
    models=["orders.ApprovalRule"],
)


# Approval checks other apps add (billing: the credit limit of on-account orders). Each is called
# with the new order (not saved yet: no pk, its customer and totals set) and returns reasons
# ``[{rule, message}]``; orders cannot import those apps, so they register here at start-up.
APPROVAL_CHECKS: list = []


def register_approval_check(check):
    if check not in APPROVAL_CHECKS:
        APPROVAL_CHECKS.append(check)
    return check


def extra_approval_reasons(order) -> list[dict]:
    reasons: list[dict] = []
    for check in APPROVAL_CHECKS:
        reasons += check(order)
    return reasons


def approval_reasons(*, channel_id: int, total: Decimal, currency: str, category_ids: set[int]) -> list[dict]:
    """The active approval rules this order meets, as ``[{rule, message}]``."""
    if not category_ids and total <= 0:
        return []
    rules = [rule for rule in _rules.get() if rule.channel_id in (None, channel_id)]
    if not rules:
        return []
    ancestors = _with_ancestors(category_ids)
    reasons = []
    for rule in rules:
        if rule.min_total is not None and currency == "TRY" and total >= rule.min_total:
            reasons.append(
                {
                    "rule": rule.pk,
                    "message": _("%(rule)s: total %(total)s TRY reaches %(limit)s TRY.")
                    % {"rule": rule.name, "total": total, "limit": rule.min_total},
                }
            )
        elif rule.category_id is not None and rule.category_id in ancestors:
            reasons.append(
                {
                    "rule": rule.pk,
                    "message": _("%(rule)s: contains a product in %(category)s.")
                    % {"rule": rule.name, "category": rule.category.name},
                }
            )
    return reasons


def _load_category_parents() -> dict[int, int | None]:
    from inventory.models import Category

    return dict(Category.objects.order_by().values_list("pk", "parent_id"))


# The category tree changes rarely and intake reads it for every order.
_category_parents = ReferenceCache(_load_category_parents, models=["inventory.Category"], ttl=60.0)


def _with_ancestors(category_ids: set[int]) -> set[int]:
    """The categories and every category above them (a rule on "Electronics" covers "Phones")."""
    parents = _category_parents.get()
    found: set[int] = set()
    for category_id in category_ids:
        current = category_id
        while current and current not in found:
            found.add(current)
            current = parents.get(current)
    return found
