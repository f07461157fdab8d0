"""Signals other apps listen to without inventory knowing them (orders fill backorders on these)."""

from django.dispatch import Signal

# Sent after a transaction that changed stock levels committed, with ``pairs``: sorted
# (variant_id, warehouse_id) tuples. Receivers must be quick and only enqueue work.
stock_changed = Signal()
