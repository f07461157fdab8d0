"""The customer's public tracking page: no login, no enumeration.

A customer reaches an order either with its number and e-mail (the form) or with a signed link
(``tracking_url(order)``, for notification e-mails and SMS). A wrong pair gets the same neutral
answer as an unknown order, and attempts per address are counted in the cache so the form cannot
be used to guess order numbers. The page shows only what the parcel's recipient already knows:
order number, shipments, carrier scans and the estimated delivery date, no address or name.
"""

from __future__ import annotations

from django import forms
from django.core import signing
from django.core.cache import cache
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from fulfillment.models import Shipment, ShipmentStatus, TrackingEvent
from orders.models import Order

TOKEN_SALT = "fulfillment.public-tracking"  # noqa: S105 (a signing salt, not a secret)
TOKEN_MAX_AGE = 180 * 24 * 3600  # a link in a delivery e-mail keeps working for half a year
ATTEMPTS_PER_WINDOW = 10
ATTEMPT_WINDOW = 15 * 60


def tracking_token(order: Order | int) -> str:
    pk = order if isinstance(order, int) else order.pk
    return signing.dumps({"o": pk}, salt=TOKEN_SALT, compress=True)


def tracking_url(order: Order | int) -> str:
    """The path of the signed tracking page of ``order`` (prefix the site's base URL for mails)."""
    return reverse("tracking:detail", args=[tracking_token(order)])


def _order_from_token(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    pk = data.get("o") if isinstance(data, dict) else None
    return pk if isinstance(pk, int) else None


class TrackForm(forms.Form):
    number = forms.CharField(label=_("Order number"), max_length=20, strip=True)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)


def _client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def _too_many(request: HttpRequest) -> bool:
    """Count a failed lookup per client address; True once the window's budget is spent."""
    key = f"public-tracking:fail:{_client(request)}"
    if cache.add(key, 1, ATTEMPT_WINDOW):
        return False
    try:
        return cache.incr(key) > ATTEMPTS_PER_WINDOW
    except ValueError:  # expired between add and incr
        cache.add(key, 1, ATTEMPT_WINDOW)
        return False


def _blocked(request: HttpRequest) -> bool:
    return (cache.get(f"public-tracking:fail:{_client(request)}") or 0) >= ATTEMPTS_PER_WINDOW


def _private(response: HttpResponse) -> HttpResponse:
    # The signed link must not leak to other sites. Not "no-referrer": with it browsers send
    # "Origin: null" on the page's own form, which Django's CSRF check then refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """The lookup form; a match redirects to the signed page, so the result can be bookmarked."""
    status = 200
    not_found = False
    if request.method == "POST":
        form = TrackForm(request.POST)
        if _blocked(request):
            form.is_valid()
            return _private(
                render(
                    request, "fulfillment/public/track.html", {"form": form, "throttled": True}, status=429
                )
            )
        if form.is_valid():
            order_id = (
                Order.objects.filter(
                    number__iexact=form.cleaned_data["number"],
                    customer_email__iexact=form.cleaned_data["email"],
                )
                .values_list("pk", flat=True)
                .first()
            )
            if order_id is not None:
                return redirect("tracking:detail", token=tracking_token(order_id))
            _too_many(request)
            not_found, status = True, 404
    else:
        form = TrackForm()
    return _private(
        render(
            request, "fulfillment/public/track.html", {"form": form, "not_found": not_found}, status=status
        )
    )


VISIBLE = [s for s in ShipmentStatus.values if s != ShipmentStatus.CANCELLED]
STEPS = [
    ShipmentStatus.HANDED_OVER,
    ShipmentStatus.IN_TRANSIT,
    ShipmentStatus.OUT_FOR_DELIVERY,
    ShipmentStatus.DELIVERED,
]


@never_cache
@require_http_methods(["GET"])
def detail(request: HttpRequest, token: str) -> HttpResponse:
    """The order's shipments with their scans (newest first) and estimated delivery."""
    order_id = _order_from_token(token)
    order = Order.objects.filter(pk=order_id).first() if order_id else None
    if order is None:
        form = TrackForm()
        return _private(
            render(
                request,
                "fulfillment/public/track.html",
                {"form": form, "not_found": True, "bad_link": True},
                status=404,
            )
        )
    shipments = list(
        Shipment.objects.filter(order=order, status__in=VISIBLE)
        .select_related("carrier")
        .prefetch_related(
            Prefetch(
                "tracking_events",
                queryset=TrackingEvent.objects.order_by("-occurred_at", "-pk"),
                to_attr="timeline",
            )
        )
        .order_by("created_at", "pk")
    )
    for shipment in shipments:
        reached = STEPS.index(shipment.status) if shipment.status in STEPS else None
        shipment.steps = [
            {"label": ShipmentStatus(step).label, "done": reached is not None and i <= reached}
            for i, step in enumerate(STEPS)
        ]
    context = {"order": order, "shipments": shipments, "token": token}
    return _private(render(request, "fulfillment/public/detail.html", context))
