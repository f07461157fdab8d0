"""Shared test set-up: PostgreSQL only, eager Celery, fast hashing, and role-based user factories."""

import pytest
from django.conf import settings

from tests.factories import make_user


def pytest_configure(config):
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.exit(
            f"The tests need PostgreSQL (DATABASE_URL points at {engine}). Run them with `make test`, "
            "which starts PostgreSQL and Redis and sets the environment.",
            returncode=2,
        )


@pytest.fixture(autouse=True)
def _fast_and_eager(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from oms.reference_cache import clear_all

    clear_all()  # rows of the previous test were rolled back without a signal
    from oms.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
    # Eager tasks run in several threads at once (concurrency tests) race on Celery's global
    # "join would block" flag and can leave it set; reset it so later tests may call .get().
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture
def user_factory(db):
    return make_user


@pytest.fixture
def admin_user(db):
    return make_user(role="admin", username="boss")


@pytest.fixture
def operator(db):
    return make_user(role="operator", username="op")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client
