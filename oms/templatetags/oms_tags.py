"""Panel template helpers: icons and money."""

from decimal import Decimal

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from oms.money import format_money

register = template.Library()


@register.simple_tag
def icon(name: str, label: str = "") -> str:
    """An icon from the SVG sprite; decorative unless a label is given for screen readers."""
    aria = format_html('role="img" aria-label="{}"', label) if label else mark_safe('aria-hidden="true"')
    return format_html(
        '<svg class="icon" {}><use href="{}#{}"></use></svg>', aria, static("img/icons.svg"), name
    )


@register.filter
def money(amount: Decimal | None, currency: str = "TRY") -> str:
    """``{{ order.total|money:order.currency }}`` -> ``1.234,56 ₺`` (in the active language)."""
    if amount is None or amount == "":
        return ""
    return format_money(Decimal(amount), currency)


@register.filter
def role_label(name: str) -> str:
    """A role group's name as people read it (``customer_service`` -> ``Müşteri hizmetleri``)."""
    from oms.roles import Role

    return Role(name).label if name in Role.values else name


@register.filter(name="event_label")
def event_label_filter(name: str) -> str:
    """``{{ entry.name|event_label }}``: a timeline event's name as people read it."""
    from oms.events import event_label

    return event_label(name)
