"""A real Celery worker, started as its own process against Redis, runs a task and returns the result."""

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from oms.celery import app, worker_command
from oms.tasks import OmsTask, heartbeat, ping

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


@pytest.fixture
def worker_queue():
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL is not set: the Celery smoke test needs Redis (run `make test`).")
    queue = f"smoke-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        worker_command(queue=queue, pool="solo", concurrency=1),
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield queue
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output[-3000:])  # noqa: T201 - shown by pytest only when the test fails


def test_real_worker_round_trip_through_redis(worker_queue):
    assert app.conf.broker_url.startswith("redis://")
    app.conf.task_always_eager = False
    token = uuid.uuid4().hex
    deadline = time.monotonic() + 120  # a loaded 2-core CI machine starts a worker slowly
    result = ping.apply_async(kwargs={"value": token}, queue=worker_queue)
    assert result.get(timeout=max(1, deadline - time.monotonic())) == token
    assert result.successful()


def test_beat_schedule_is_defined_in_code():
    schedule = app.conf.beat_schedule
    assert schedule["heartbeat"]["task"] == "oms.tasks.heartbeat"
    assert schedule["heartbeat"]["schedule"] == 60.0
    assert "clear-expired-sessions" in schedule
    assert set(app.tasks) >= {"oms.tasks.heartbeat", "oms.tasks.clear_expired_sessions", "oms.tasks.ping"}


def test_tasks_are_late_acked_and_retry_transient_errors():
    from django.db import OperationalError

    assert isinstance(heartbeat, OmsTask)
    assert heartbeat.acks_late
    assert heartbeat.reject_on_worker_lost
    assert OperationalError in heartbeat.autoretry_for
    assert heartbeat.max_retries >= 3
    assert app.conf.worker_prefetch_multiplier == 1
