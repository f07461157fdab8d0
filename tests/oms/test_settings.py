"""Settings come only from environment variables, with safe defaults for the demo."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "debug": settings.DEBUG, "engine": db["ENGINE"], "name": str(db["NAME"]),
    "options": db.get("OPTIONS", {}),
    "broker": settings.CELERY_BROKER_URL, "cache": settings.CACHES["default"]["BACKEND"],
    "hosts": settings.ALLOWED_HOSTS, "tz": settings.TIME_ZONE, "lang": settings.LANGUAGE_CODE,
    "languages": [code for code, _ in settings.LANGUAGES], "use_tz": settings.USE_TZ,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT, "email_backend": settings.MAILERS["default"]["BACKEND"],
}))
"""
CONTROLLED = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "EMAIL_HOST",
    "STATIC_MANIFEST",
    "SECURE_HSTS_PRELOAD",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DB_PREPARED_STATEMENTS",
    *(f"COMPANY_{part}" for part in ("NAME", "ADDRESS", "DISTRICT", "PROVINCE", "TAX_OFFICE", "TAX_NUMBER")),
    *(f"COMPANY_{part}" for part in ("PHONE", "EMAIL", "WEBSITE")),
)


def run(env: dict[str, str], code: str = PROBE, *args: str, tmp_path: Path | None = None):
    base = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    base["DJANGO_SETTINGS_MODULE"] = "oms.settings"
    if tmp_path is not None:
        base["OMS_VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, *(args or ("-c", code))],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def probe(env: dict[str, str], tmp_path: Path) -> dict:
    result = run(env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_demo_defaults_are_sqlite_in_immediate_mode_and_embedded_broker(tmp_path):
    values = probe({"DEBUG": "1"}, tmp_path)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "oms.sqlite3")
    assert values["options"]["transaction_mode"] == "IMMEDIATE"
    assert values["broker"] == "filesystem://"
    assert values["cache"].endswith("LocMemCache")
    assert (values["tz"], values["lang"], values["use_tz"]) == ("Europe/Istanbul", "tr", True)
    assert values["languages"] == ["tr", "en"]
    assert "localhost" in values["hosts"]


def test_database_and_redis_urls_switch_backends(tmp_path):
    values = probe(
        {
            "DEBUG": "1",
            "DATABASE_URL": "postgres://u:p@db.example:5433/shop",
            "REDIS_URL": "redis://cache:6379/2",
        },
        tmp_path,
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "shop"
    assert values["options"] == {"server_side_binding": True, "prepare_threshold": 5}
    assert values["broker"] == "redis://cache:6379/2"
    assert values["cache"].endswith("RedisCache")


def test_prepared_statements_can_be_turned_off_for_old_poolers(tmp_path):
    env = {"DEBUG": "1", "DATABASE_URL": "postgres://u:p@db:5432/shop", "DB_PREPARED_STATEMENTS": "0"}
    assert probe(env, tmp_path)["options"] == {}


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = run({"DEBUG": "0"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_values_turn_on_transport_security(tmp_path):
    values = probe({"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "oms.example.com, ,api.example.com,"}, tmp_path)
    assert values["debug"] is False
    assert values["hosts"] == ["oms.example.com", "api.example.com"]
    assert values["ssl_redirect"] is True


def test_email_host_selects_smtp(tmp_path):
    assert probe({"DEBUG": "1"}, tmp_path)["email_backend"].endswith("console.EmailBackend")
    smtp = probe({"DEBUG": "1", "EMAIL_HOST": "smtp.example.com"}, tmp_path)
    assert smtp["email_backend"].endswith("smtp.EmailBackend")


COMPANY_PROBE = """
import json, django
from django.conf import settings
django.setup()
from oms.pdf import company
print(json.dumps(company()))
"""


def test_company_identity_comes_from_the_environment(tmp_path):
    result = run({"DEBUG": "1"}, COMPANY_PROBE, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout.strip().splitlines()[-1])
    assert default["name"] == "OMS Demo Mağazası"
    assert set(default) == {
        "name",
        "address",
        "district",
        "province",
        "tax_office",
        "tax_number",
        "phone",
        "email",
        "website",
    }
    assert not any(value for key, value in default.items() if key != "name")
    env = {
        "DEBUG": "1",
        "COMPANY_NAME": "Örnek Ticaret A.Ş.",
        "COMPANY_PROVINCE": "İzmir",
        "COMPANY_TAX_NUMBER": " 4540536920 ",
        "COMPANY_WEBSITE": "https://ornek.example",
    }
    result = run(env, COMPANY_PROBE, tmp_path=tmp_path)
    ours = json.loads(result.stdout.strip().splitlines()[-1])
    assert (ours["name"], ours["province"], ours["tax_number"], ours["website"]) == (
        "Örnek Ticaret A.Ş.",
        "İzmir",
        "4540536920",
        "https://ornek.example",
    )
    # docker-compose passes an unset variable as an empty string: the default name stays.
    result = run({"DEBUG": "1", "COMPANY_NAME": ""}, COMPANY_PROBE, tmp_path=tmp_path)
    assert json.loads(result.stdout.strip().splitlines()[-1])["name"] == "OMS Demo Mağazası"


@pytest.mark.parametrize("raw", ["maybe", "2"])
def test_malformed_boolean_is_refused_by_name(raw, tmp_path):
    result = run({"DEBUG": raw}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    env = {
        "SECRET_KEY": "k8Jx2-" + "q" * 60,
        "ALLOWED_HOSTS": "oms.example.com",
        "EMAIL_HOST": "smtp.example.com",
        "SECURE_HSTS_PRELOAD": "1",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
    result = run(env, "", "manage.py", "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
