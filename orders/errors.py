"""The orders' business-rule failures (all ``DomainError``: panel message, API problem JSON)."""

from django.utils.translation import gettext_lazy as _

from oms.errors import Conflict, DomainError, InvalidInput, NotPermitted


class OrderInvalid(InvalidInput):
    """Intake refused the order; ``errors`` lists ``{field, code, message}`` for every problem."""

    code = "order_invalid"
    title = _("The order is not valid")


class OutOfStock(DomainError):
    """The channel rejects orders it cannot reserve in full, and this one could not be."""

    code = "out_of_stock"
    status = 409
    title = _("Not enough stock")


class SelfApproval(NotPermitted):
    code = "self_approval"
    title = _("You cannot approve your own order")


class AllocationFailed(Conflict):
    code = "allocation_failed"
    title = _("The allocation could not be changed")


class CustomerMergeError(InvalidInput):
    code = "customer_merge"
    title = _("These customers cannot be merged")
