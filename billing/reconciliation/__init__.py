"""Reconciliation: money that arrives outside the payment providers, matched to what is owed.

- ``bank``: bank statement files (havale/EFT) imported per ``StatementFormat``, each credit line
  matched by payment reference (or bare order number, or amount and sender name) to an order's
  open invoices; what does not add up goes to the finance queue.
- ``cod``: carriers' cash-on-delivery remittance files matched by tracking number to shipments;
  differences, unknown parcels, parcels paid twice and remittances that never came are queued.
- ``queue``: the finance queue (``FinanceIssue``): open one (idempotent per key), take, release,
  resolve with a note.
- ``files``: reading the files (encoding, CSV, Turkish numbers and dates), shared by both imports.

Every payment goes through ``billing.payments.record_payment`` under a dedupe key naming its file
and row, so nothing found in a file is ever counted twice.
"""
