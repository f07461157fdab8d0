"""Trigram indexes for the panel's "contains" searches (SKU, barcode, product name, brand).

Django's ``icontains`` is ``UPPER(col::text) LIKE UPPER('%x%')`` on PostgreSQL; a B-tree cannot
serve a leading wildcard, a GIN index with ``gin_trgm_ops`` on the same expression can. pg_trgm is
a trusted extension (PostgreSQL 13+): the database owner may create it. SQLite (the demo) scans.
"""

from django.db import migrations

INDEXES = [
    ("inventory_variant_sku_trgm", "inventory_variant", "sku"),
    ("inventory_variant_barcode_trgm", "inventory_variant", "barcode"),
    ("inventory_product_name_trgm", "inventory_product", "name"),
    ("inventory_product_brand_trgm", "inventory_product", "brand"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("inventory", "0008_panel_permissions_alert_acknowledgement")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
