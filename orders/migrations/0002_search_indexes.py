"""Indexes for the order list's searches (bench/RESULTS.md, 1,000,000 orders).

The channel's order number alone (without the channel) gets a plain index. A customer name prefix
is Django's ``istartswith``: ``UPPER(col::text) LIKE UPPER('x%')`` on PostgreSQL, which a B-tree
on the same expression with ``text_pattern_ops`` serves (the default operator class cannot serve
LIKE outside the C locale). SQLite (the demo) scans.
"""

from django.db import migrations, models

NAME_INDEXES = [
    ("customer_last_name_upper_idx", "last_name"),
    ("customer_first_name_upper_idx", "first_name"),
    ("customer_company_upper_idx", "company"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in NAME_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "orders_customer" (UPPER("{column}"::text) text_pattern_ops)'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in NAME_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["channel_order_id"], name="order_channel_order_id_idx"),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
