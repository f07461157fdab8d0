"""What every benchmark script starts with: the project on the path, settings for a local run,
and a scratch PostgreSQL database created afresh (only ``oms_bench*`` names are ever dropped)."""

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")


def fresh_database() -> None:
    """Drop and create the database named in DATABASE_URL (connecting to the maintenance db)."""
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    if not name.startswith("oms_bench"):
        raise SystemExit(f"refusing to drop {name!r}: benchmarks only drop oms_bench* databases")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
