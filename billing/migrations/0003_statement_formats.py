"""Built-in bank statement formats for the common Turkish banks' CSV exports.

The column names follow those banks' public sample exports ("hesap hareketleri") as far as they
are known; exports differ between internet banking, corporate banking and the Excel/CSV choice,
so every format is an ordinary row that finance edits in admin (column names, delimiter, date
format, encoding) or copies for a bank not listed. Rows already present (same name) are left as
they are, so re-running never overwrites an edit; reversing removes only untouched presets.
"""

from django.db import migrations

# name, delimiter, encoding ("" = detect), date column, date format, amount column,
# description column, bank reference column, sender column, decimal comma
PRESETS = [
    # İş Bankası: "Tarih/Saat" as 31/01/2026-14:05:00, "İşlem Tutarı" signed, "Dekont No".
    (
        "İş Bankası",
        ";",
        "",
        "Tarih/Saat",
        "%d/%m/%Y-%H:%M:%S",
        "İşlem Tutarı",
        "Açıklama",
        "Dekont No",
        "",
        True,
    ),
    # Garanti BBVA: "Tarih" 31.01.2026, "Tutar" signed, "Dekont No"; sender inside "Açıklama".
    ("Garanti BBVA", ";", "", "Tarih", "%d.%m.%Y", "Tutar", "Açıklama", "Dekont No", "", True),
    # Akbank: "Tarih" 31.01.2026, "Tutar" signed, "İşlem No"; sender inside "Açıklama".
    ("Akbank", ";", "", "Tarih", "%d.%m.%Y", "Tutar", "Açıklama", "İşlem No", "", True),
    # Yapı Kredi: "Tarih" 31/01/2026, "İşlem Tutarı" signed, "İşlem No" (no separate sender).
    ("Yapı Kredi", ";", "", "Tarih", "%d/%m/%Y", "İşlem Tutarı", "Açıklama", "İşlem No", "", True),
    # Ziraat Bankası: "Tarih" 31.01.2026, "İşlem Tutarı" signed, "Fiş No"; often Windows-1254.
    ("Ziraat Bankası", ";", "", "Tarih", "%d.%m.%Y", "İşlem Tutarı", "Açıklama", "Fiş No", "", True),
    # A plain layout for any bank: what docs/samples/bank-utf8.csv uses.
    (
        "Genel CSV",
        ";",
        "",
        "Tarih",
        "%d.%m.%Y",
        "Tutar",
        "Açıklama",
        "Dekont No",
        "Gönderen",
        True,
    ),
]

FIELDS = (
    "name",
    "delimiter",
    "encoding",
    "date_column",
    "date_format",
    "amount_column",
    "description_column",
    "reference_column",
    "sender_column",
    "decimal_comma",
)


def create_presets(apps, schema_editor):
    StatementFormat = apps.get_model("billing", "StatementFormat")
    for values in PRESETS:
        fields = dict(zip(FIELDS, values, strict=True))
        StatementFormat.objects.get_or_create(name=fields.pop("name"), defaults=fields)


def remove_presets(apps, schema_editor):
    StatementFormat = apps.get_model("billing", "StatementFormat")
    BankStatement = apps.get_model("billing", "BankStatement")
    for values in PRESETS:
        fields = dict(zip(FIELDS, values, strict=True))
        preset = StatementFormat.objects.filter(**fields).first()
        if preset is not None and not BankStatement.objects.filter(format=preset).exists():
            preset.delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_immutable_documents_and_ledger")]

    operations = [migrations.RunPython(create_presets, remove_presets)]
