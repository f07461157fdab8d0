"""Billing accounts: a customer's legal identity for invoices, e-invoice registration, payment
terms, credit limit and reminder preference. Changing them needs ``billing.manage_credit``
(the views check it); every change is on the customer's timeline.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from billing.models import BillingAccount, PaymentTerms
from oms.errors import InvalidInput
from oms.events import emit
from oms.identity import validate_tax_number
from orders.models import Customer

ACCOUNT_FIELDS = (
    "legal_name",
    "tax_number",
    "tax_office",
    "einvoice_registrant",
    "einvoice_alias",
    "commercial_profile",
    "invoice_email",
    "payment_terms",
    "credit_limit",
    "currency",
    "invoice_per_shipment",
    "invoice_note",
    "reminders",
)


def account_list(*, query: str = "", b2b_only: bool = False) -> QuerySet[BillingAccount]:
    """Billing accounts with their customer, for the panel list (one query)."""
    accounts = BillingAccount.objects.select_related("customer")
    query = (query or "").strip()
    if query:
        accounts = accounts.filter(
            Q(legal_name__icontains=query)
            | Q(tax_number=query)
            | Q(customer__company__icontains=query)
            | Q(customer__last_name__icontains=query)
            | Q(customer__email__icontains=query)
        )
    if b2b_only:
        accounts = accounts.exclude(payment_terms=PaymentTerms.PREPAID)
    return accounts


def clean_tax_number(value: str) -> str:
    """The VKN/TCKN compacted, or ``InvalidInput`` naming what is wrong with it."""
    if not value:
        return ""
    try:
        return validate_tax_number(value)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), code="invalid_tax_number") from error


@transaction.atomic
def save_account(*, customer: Customer | int, user=None, **values) -> BillingAccount:
    """Create or change the billing account of ``customer`` with ``values`` (``ACCOUNT_FIELDS``).

    The tax number must pass its checksum; an e-invoice registrant needs one (GİB refuses its
    invoices otherwise); a credit limit is not negative. The change is recorded on the customer's
    timeline with the fields that changed."""
    unknown = set(values) - set(ACCOUNT_FIELDS)
    if unknown:
        raise TypeError(f"unknown billing account fields: {sorted(unknown)}")
    customer_id = customer if isinstance(customer, int) else customer.pk
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    account = BillingAccount.objects.filter(customer=customer).first() or BillingAccount(customer=customer)
    before = {name: getattr(account, name) for name in ACCOUNT_FIELDS} if account.pk else {}
    for name, value in values.items():
        setattr(account, name, value)
    account.tax_number = clean_tax_number(account.tax_number)
    if account.einvoice_registrant and not account.tax_number:
        raise InvalidInput(_("An e-invoice registrant needs its VKN or TCKN."), code="tax_number_required")
    if account.credit_limit is not None and account.credit_limit < 0:
        raise InvalidInput(_("The credit limit cannot be negative."), code="negative_limit")
    if account.payment_terms not in PaymentTerms.values:
        raise InvalidInput(_("Unknown payment terms."), code="invalid_choice")
    account.save()
    changed = sorted(name for name in ACCOUNT_FIELDS if before.get(name) != getattr(account, name))
    if changed:
        emit(
            "billing_account.saved",
            subject=customer,
            actor=user,
            message=", ".join(changed),
            data={
                "fields": changed,
                "payment_terms": account.payment_terms,
                "credit_limit": None if account.credit_limit is None else str(account.credit_limit),
            },
        )
    return account
