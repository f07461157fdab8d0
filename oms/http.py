"""Small HTTP helpers shared by the panel's views."""

import json

from django.http import HttpRequest, HttpResponse


def is_partial(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (not a history restore, which needs the page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def scan_feedback(response: HttpResponse, ok: bool, **detail) -> HttpResponse:
    """Tell a tablet station (static/js/scan.js) whether the scan was accepted.

    Sets ``HX-Trigger: scan-ok`` or ``scan-error``; the station flashes and beeps. ``detail`` (e.g.
    ``message=...``) travels with the event for pages that want to show it.
    """
    name = "scan-ok" if ok else "scan-error"
    response["HX-Trigger"] = json.dumps({name: detail or True})
    return response
