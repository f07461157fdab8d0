"""Order badges the panel shows everywhere: status, special-order code, risk score and flags."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from orders.models import CUSTOMER_FLAG_LABELS, Order, OrderStatus, Priority, SpecialKind

register = template.Library()

# Colour family per status: where the order stands for the people working on it.
STATUS_TONE = {
    OrderStatus.NEW: "info",
    OrderStatus.ON_HOLD: "warn",
    OrderStatus.CONFIRMED: "info",
    OrderStatus.ALLOCATED: "ok",
    OrderStatus.BACKORDERED: "warn",
    OrderStatus.IN_FULFILLMENT: "info",
    OrderStatus.PARTIALLY_SHIPPED: "info",
    OrderStatus.SHIPPED: "ok",
    OrderStatus.DELIVERED: "ok",
    OrderStatus.COMPLETED: "done",
    OrderStatus.CANCELLED: "danger",
    OrderStatus.PARTIALLY_RETURNED: "warn",
    OrderStatus.RETURNED: "done",
}


@register.simple_tag
def status_badge(status: str) -> SafeString:
    """``{% status_badge order.status %}``: the status in its colour."""
    if status not in OrderStatus.values:
        return format_html('<span class="badge">{}</span>', status)
    return format_html(
        '<span class="badge order-status tone-{} status-{}">{}</span>',
        STATUS_TONE.get(status, "info"),
        status,
        OrderStatus(status).label,
    )


@register.simple_tag
def special_badge(order: Order) -> SafeString:
    """The special-order code (``HED-7K3Q9``), shown wherever the order is: people quote it."""
    if not order.special_code:
        return mark_safe("")
    kind = SpecialKind(order.special_kind).label if order.special_kind in SpecialKind.values else ""
    return format_html(
        '<span class="badge special-code special-{}" title="{}">★ {}</span>',
        order.special_kind or "other",
        kind,
        order.special_code,
    )


def risk_level(score: int, threshold: int | None) -> str:
    threshold = threshold or 60
    if score >= threshold:
        return "high"
    if score >= threshold / 2:
        return "medium"
    return "low"


@register.simple_tag
def risk_badge(order: Order) -> SafeString:
    """Risk score against the channel's threshold (needs ``channel`` joined in)."""
    level = risk_level(order.risk_score, order.channel.risk_threshold)
    labels = {"high": _("High risk"), "medium": _("Medium risk"), "low": _("Low risk")}
    return format_html(
        '<span class="badge risk risk-{}" title="{} ({} {})">{}</span>',
        level,
        labels[level],
        _("threshold"),
        order.channel.risk_threshold,
        order.risk_score,
    )


@register.simple_tag
def order_flags(order: Order, with_customer: bool = True) -> SafeString:
    """Small badges: priority, first order, needs approval, and the customer's history flags."""
    flags: list[tuple[str, str]] = []
    if order.priority >= Priority.HIGH:
        flags.append(("priority", Priority(order.priority).label))
    if order.is_first_order:
        flags.append(("first", _("First order")))
    if order.needs_approval and not order.approved_at:
        flags.append(("approval", _("Needs approval")))
    if with_customer and order.customer_id:
        customer = order.customer
        for code in customer.flags:
            if code == "first_order":
                continue  # on an order its own first-order mark is what matters
            flags.append((code, CUSTOMER_FLAG_LABELS.get(code, code)))
    if not flags:
        return mark_safe("")
    return format_html(
        '<span class="flags">{}</span>',
        format_html_join(" ", '<span class="badge flag flag-{}">{}</span>', flags),
    )


@register.filter
def customer_flag_label(code: str) -> str:
    return str(CUSTOMER_FLAG_LABELS.get(code, code))


@register.filter
def decision_text(decision) -> str:
    """An allocation decision in the reader's language, rebuilt from its stored plan."""
    from orders.allocation import decision_summary

    plan = getattr(decision, "plan", None) or {}
    try:
        return decision_summary(plan) if plan.get("candidates") is not None else decision.summary
    except (KeyError, TypeError):
        return decision.summary


@register.filter
def candidate_text(candidate: dict) -> str:
    from orders.allocation import candidate_reason

    try:
        return candidate_reason(candidate)
    except (KeyError, TypeError):
        return candidate.get("reason", "")


@register.filter
def risk_text(reason: dict) -> str:
    from orders.risk import reason_text

    return reason_text(reason)


@register.filter
def tax_percent(rate) -> str:
    """KDV rate as Turkish writes it (%20) or English (20%)."""
    from django.utils.translation import get_language

    return f"%{rate}" if (get_language() or "tr").startswith("tr") else f"{rate}%"
