"""PostgreSQL guards what billing must never rewrite (SQLite, the demo, relies on the services):

- ``billing_payment`` is append-only: a wrong payment is corrected by a new row (a refund).
- ``billing_invoiceline`` is append-only once written: an issued invoice's lines never change.
- ``billing_invoice``: the document (number, ETTN, parties, amounts, dates) never changes and the
  row is never deleted; only the settlement columns (paid, credited, status) and ``sent_at`` move.

(TRUNCATE, used by test-database flushes, is not a row operation and stays possible.)
"""

from django.db import migrations

# Every column of billing_invoice that is part of the issued document.
DOCUMENT_COLUMNS = [
    "number",
    "uuid",
    "kind",
    "profile",
    "original_id",
    "order_id",
    "customer_id",
    "source_key",
    "reason",
    "issue_date",
    "issued_at",
    "issued_by_id",
    "due_date",
    "seller_name",
    "seller_tax_number",
    "seller_tax_office",
    "seller_address",
    "buyer_name",
    "buyer_tax_number",
    "buyer_tax_office",
    "buyer_address",
    "buyer_city",
    "buyer_district",
    "buyer_country",
    "buyer_email",
    "buyer_alias",
    "currency",
    "line_total",
    "discount_total",
    "tax_total",
    "payable",
    "taxes",
    "note",
    "payment_method",
    "payment_reference",
]

CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in DOCUMENT_COLUMNS)

CREATE = f"""
CREATE OR REPLACE FUNCTION billing_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_payment_append_only
    BEFORE UPDATE OR DELETE ON billing_payment
    FOR EACH ROW EXECUTE FUNCTION billing_append_only();
CREATE TRIGGER billing_invoiceline_append_only
    BEFORE UPDATE OR DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION billing_append_only();

CREATE OR REPLACE FUNCTION billing_invoice_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING
            MESSAGE = 'an issued invoice is never deleted (issue a credit note)',
            ERRCODE = 'restrict_violation';
    END IF;
    IF {CHANGED} THEN
        RAISE EXCEPTION USING
            MESSAGE = 'invoice ' || OLD.number || ' is issued: its content cannot change (issue a credit note)',
            ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_immutable
    BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS billing_invoice_immutable ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_immutable();
DROP TRIGGER IF EXISTS billing_invoiceline_append_only ON billing_invoiceline;
DROP TRIGGER IF EXISTS billing_payment_append_only ON billing_payment;
DROP FUNCTION IF EXISTS billing_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
