"""Customers: one record across channels, matched by normalised e-mail or phone, and merged by hand."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.address import normalize_phone
from oms.events import emit
from orders.errors import CustomerMergeError
from orders.models import Customer, CustomerAddress, Order, Segment

VIP_LIFETIME_VALUE = Decimal("50000")  # TRY; above it a customer counts as VIP


def normalize_email(raw: str) -> str:
    """Lower-cased and trimmed; raises ValidationError when it is not an address."""
    email = (raw or "").strip().lower()
    if email:
        validate_email(email)
    return email


@dataclass
class CustomerData:
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    language: str = ""


def clean_customer(data: CustomerData) -> tuple[CustomerData, dict[str, str]]:
    """Normalise e-mail and phone; return the cleaned data and ``{field: message}`` errors."""
    errors: dict[str, str] = {}
    email = phone = ""
    try:
        email = normalize_email(data.email)
    except ValidationError:
        errors["email"] = _("Enter a valid e-mail address.")
    if (data.phone or "").strip():
        try:
            phone = normalize_phone(data.phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages[0]
    if not email and not phone and "email" not in errors and "phone" not in errors:
        errors["email"] = _("Give the customer's e-mail or phone number.")
    if not (data.first_name or "").strip() and not (data.company or "").strip():
        errors["first_name"] = _("Give the customer's name.")
    cleaned = CustomerData(
        email=email,
        phone=phone,
        first_name=(data.first_name or "").strip()[:80],
        last_name=(data.last_name or "").strip()[:80],
        company=(data.company or "").strip()[:160],
        language=data.language or "",
    )
    return cleaned, errors


def find_customer(*, email: str = "", phone: str = "") -> Customer | None:
    """The customer with this e-mail, else with this phone (already normalised); merged ones skipped."""
    live = Customer.objects.filter(merged_into__isnull=True)
    if email:
        found = live.filter(email=email).first()
        if found:
            return found
    if phone:
        return live.filter(phone=phone).first()
    return None


def match_or_create(data: CustomerData) -> tuple[Customer, bool]:
    """The customer for this (cleaned) contact data, created if new; fills in missing contact data.

    Safe under concurrency: two orders of a new customer at once meet on the unique indexes and
    the loser reads the winner's row.
    """
    for _attempt in range(3):
        customer = find_customer(email=data.email, phone=data.phone)
        if customer is not None:
            _complete(customer, data)
            return customer, False
        try:
            with transaction.atomic():
                customer = Customer.objects.create(
                    email=data.email,
                    phone=data.phone,
                    first_name=data.first_name,
                    last_name=data.last_name,
                    company=data.company,
                    language=data.language or "tr",
                )
            return customer, True
        except IntegrityError:
            continue  # created meanwhile by a concurrent order: read it
    raise RuntimeError("customer match kept colliding")  # pragma: no cover - needs three races in a row


def _complete(customer: Customer, data: CustomerData) -> None:
    """Add contact data the record lacks (a phone-only customer now gives an e-mail), never overwrite."""
    fields = []
    for name in ("email", "phone", "first_name", "last_name", "company"):
        value = getattr(data, name)
        if value and not getattr(customer, name):
            setattr(customer, name, value)
            fields.append(name)
    if fields:
        try:
            with transaction.atomic():
                customer.save(update_fields=[*fields, "updated_at"])
        except IntegrityError:
            customer.refresh_from_db()  # the e-mail/phone belongs to someone else: keep ours as it was


def remember_address(customer: Customer, order: Order, *, new_customer: bool = False) -> None:
    """Keep the order's shipping address on the customer's address book (once per distinct address)."""
    if not order.ship_line:
        return
    if new_customer:  # an empty address book: no need to look
        _add_address(customer, order, default=True)
        return
    book = CustomerAddress.objects.filter(customer=customer).aggregate(
        same=Count(
            "pk",
            filter=Q(
                address_line=order.ship_line, district=order.ship_district, province=order.ship_province
            ),
        ),
        defaults=Count("pk", filter=Q(is_default_shipping=True)),
    )
    if not book["same"]:
        _add_address(customer, order, default=not book["defaults"])


def _add_address(customer: Customer, order: Order, *, default: bool) -> None:
    CustomerAddress.objects.create(
        customer=customer,
        full_name=order.ship_name[:120],
        phone=order.ship_phone,
        address_line=order.ship_line,
        neighbourhood=order.ship_neighbourhood,
        district=order.ship_district,
        province=order.ship_province,
        postal_code=order.ship_postal_code[:5],
        country=order.ship_country,
        is_default_shipping=default,
        is_default_billing=default,
    )


def record_order(customer: Customer, order: Order) -> None:
    """Count a new order in the customer's history: one UPDATE, safe under concurrency (the
    segment is worked out in the same statement from the new figures)."""
    value = order.grand_total if order.currency == customer.currency else Decimal(0)
    Customer.objects.filter(pk=customer.pk).update(
        orders_count=F("orders_count") + 1,
        lifetime_value=F("lifetime_value") + value,
        first_order_at=Coalesce(F("first_order_at"), Value(order.created_at)),
        last_order_at=order.created_at,
        segment=_segment(added_orders=1, added_value=value),
        updated_at=timezone.now(),
    )


def _segment(*, added_orders: int = 0, added_value: Decimal = Decimal(0)) -> Case:
    """The segment rule as SQL, over the row's figures plus what the same UPDATE adds to them
    (a CASE sees the row as it was): VIP by hand or by lifetime value, repeat from two orders."""
    return Case(
        When(
            Q(is_vip=True) | Q(lifetime_value__gte=VIP_LIFETIME_VALUE - added_value), then=Value(Segment.VIP)
        ),
        When(orders_count__gte=2 - added_orders, then=Value(Segment.REPEAT)),
        default=Value(Segment.NEW),
    )


def forget_order(order: Order) -> None:
    """A cancelled order no longer counts towards lifetime value."""
    if order.currency == order.customer.currency:
        Customer.objects.filter(pk=order.customer_id, lifetime_value__gte=order.grand_total).update(
            lifetime_value=F("lifetime_value") - order.grand_total
        )
    refresh_segment(order.customer_id)


def refresh_segment(customer_id: int) -> None:
    Customer.objects.filter(pk=customer_id).update(segment=_segment())


@transaction.atomic
def set_vip(customer: Customer, *, vip: bool, user) -> Customer:
    """Mark or unmark a customer as VIP by hand; the segment follows, the change is on the timeline."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.is_vip != vip:
        customer.is_vip = vip
        customer.save(update_fields=["is_vip", "updated_at"])
        refresh_segment(customer.pk)
        emit(
            "customer.vip_changed",
            subject=customer,
            actor=user,
            message=_("Marked as VIP") if vip else _("VIP mark removed"),
            data={"vip": vip},
        )
    customer.refresh_from_db()
    return customer


@transaction.atomic
def merge_customers(*, keep: Customer | int, merge: Customer | int, user=None) -> Customer:
    """Fold ``merge`` into ``keep``: orders, addresses and history move over; ``merge`` stays as a
    pointer (``merged_into``) so links to it still lead somewhere."""
    ids = sorted({_pk(keep), _pk(merge)})
    if len(ids) == 1:
        raise CustomerMergeError(_("Choose two different customers."))
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    survivor, gone = locked.get(_pk(keep)), locked.get(_pk(merge))
    if survivor is None or gone is None:
        raise CustomerMergeError(_("One of the customers does not exist."))
    if survivor.merged_into_id or gone.merged_into_id:
        raise CustomerMergeError(_("A customer that was merged away cannot be merged again."))
    moved = Order.objects.filter(customer=gone).update(customer=survivor)
    CustomerAddress.objects.filter(customer=gone).update(
        customer=survivor, is_default_shipping=False, is_default_billing=False
    )
    Customer.objects.filter(merged_into=gone).update(merged_into=survivor)
    gone.merged_into = survivor
    gone.save(update_fields=["merged_into", "updated_at"])  # frees its e-mail/phone for the survivor
    for name in ("email", "phone", "first_name", "last_name", "company"):
        if not getattr(survivor, name) and getattr(gone, name):
            setattr(survivor, name, getattr(gone, name))
    survivor.orders_count += gone.orders_count
    if gone.currency == survivor.currency:
        survivor.lifetime_value += gone.lifetime_value
    survivor.problem_orders += gone.problem_orders
    survivor.failed_deliveries += gone.failed_deliveries
    survivor.returned_orders += gone.returned_orders
    survivor.is_vip = survivor.is_vip or gone.is_vip
    survivor.consent_email = survivor.consent_email or gone.consent_email
    survivor.consent_sms = survivor.consent_sms or gone.consent_sms
    firsts = [d for d in (survivor.first_order_at, gone.first_order_at) if d]
    lasts = [d for d in (survivor.last_order_at, gone.last_order_at) if d]
    survivor.first_order_at = min(firsts) if firsts else None
    survivor.last_order_at = max(lasts) if lasts else None
    if gone.note:
        survivor.note = "\n".join(n for n in (survivor.note, gone.note) if n)
    survivor.save()
    refresh_segment(survivor.pk)
    emit(
        "customer.merged",
        subject=survivor,
        actor=user,
        message=_("%(gone)s merged in (%(n)s orders)") % {"gone": gone, "n": moved},
        data={"merged_id": gone.pk, "orders_moved": moved},
    )
    survivor.refresh_from_db()
    return survivor


def _pk(obj) -> int:
    return obj if isinstance(obj, int) else obj.pk
