from django import template
from django.urls import NoReverseMatch, reverse

from inventory.panel import TABS

register = template.Library()


@register.simple_tag
def inventory_tabs() -> list[dict]:
    """The section's tabs whose pages exist (resolved once per render, no queries)."""
    tabs = []
    for key, url_name, label in TABS:
        try:
            tabs.append({"key": key, "url": reverse(url_name), "label": label})
        except NoReverseMatch:
            continue
    return tabs
