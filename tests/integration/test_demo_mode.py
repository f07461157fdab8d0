"""Demo mode needs no servers: SQLite and kombu's filesystem broker carry a task to a real worker."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from oms.celery import worker_command

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration

CLIENT = """
from oms.celery import app
from oms.tasks import ping
assert app.conf.broker_url == "filesystem://", app.conf.broker_url
print("RESULT", ping.delay(value="from-demo").get(timeout=45))
"""


def test_embedded_broker_round_trip_without_redis(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    env.update({"DEBUG": "1", "OMS_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "oms.settings"})
    worker = subprocess.Popen(
        worker_command(beat_schedule=str(tmp_path / "beat-schedule"), concurrency=1),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        client = subprocess.run(
            [sys.executable, "-c", CLIENT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert client.returncode == 0, client.stderr + output[-3000:]
    assert "RESULT from-demo" in client.stdout
    assert (tmp_path / "celery" / "broker").is_dir()
