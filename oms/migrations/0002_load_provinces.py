"""Load Türkiye's 81 provinces (plate code, name, region, centre) from oms/data/provinces.json."""

from django.db import migrations


def load(apps, schema_editor):
    from oms.address import load_provinces

    load_provinces(apps)


class Migration(migrations.Migration):
    dependencies = [("oms", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
