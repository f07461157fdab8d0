"""Signals other apps listen to without inventory knowing them (orders fill backorders on these)."""

from django.dispatch import Signal

# Sent after a transaction that may have made stock available committed (receipt, adjustment,
# transfer, release of a reservation; not a reservation), with ``pairs``: sorted
# (variant_id, warehouse_id) tuples. Receivers must be quick and only enqueue work.
stock_changed = Signal()
