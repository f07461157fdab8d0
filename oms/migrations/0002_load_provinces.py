"""Load Türkiye's 81 provinces (plate code, name, region, centre) from oms/data/provinces.json."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "provinces.json"


def load(apps, schema_editor):
    Province = apps.get_model("oms", "Province")
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    for row in rows:
        Province.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "slug": row["slug"],
                "region": row["region"],
                "latitude": Decimal(str(row["latitude"])),
                "longitude": Decimal(str(row["longitude"])),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("oms", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
