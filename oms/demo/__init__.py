"""Demo data builders. Each app adds a ``seed_*`` step here as its issue lands; all take a seeded RNG."""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from django.contrib.auth.hashers import make_password
from faker import Faker

from oms.models import User
from oms.roles import Role
from oms.services import assign_roles


@contextmanager
def clock(moment: datetime | None) -> Iterator[None]:
    """Run the services as if it were ``moment`` (their ``timezone.now()`` and ``auto_now_add``), so
    a demo history has dated rows; ``None`` keeps the real clock."""
    if moment is None:
        yield
        return
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


# Documented in README: every demo account uses this password.
DEMO_PASSWORD = "demo1234"  # noqa: S105 - demo only

# (username, role, first name, last name): one login per role, named for what they do.
DEMO_LOGINS = [
    ("admin", Role.ADMIN, "Ayşe", "Yılmaz"),
    ("operator", Role.OPERATOR, "Mehmet", "Kaya"),
    ("warehouse", Role.WAREHOUSE, "Emre", "Demir"),
    ("finance", Role.FINANCE, "Zeynep", "Çelik"),
    ("support", Role.CUSTOMER_SERVICE, "Elif", "Şahin"),
]


def _create(
    username: str,
    first: str,
    last: str,
    role: str,
    admin: User | None,
    *,
    password: str,
    language: str = "tr",
) -> User:
    user = User(
        username=username,
        first_name=first,
        last_name=last,
        language=language,
        email=f"{username}@demo.oms.local",
        password=password,
    )
    user.save()
    assign_roles(user=user, roles=[role], by=admin)
    return user


def seed_users(rng: random.Random) -> list[User]:
    """One login per role, then a realistic team of colleagues with Turkish names."""
    fake = Faker("tr_TR")
    fake.seed_instance(rng.randint(0, 2**31))
    password = make_password(DEMO_PASSWORD)  # hashed once: PBKDF2 per user would take seconds each
    admin = None
    users = []
    for username, role, first, last in DEMO_LOGINS:
        user = _create(username, first, last, role, admin, password=password)
        admin = admin or user
        users.append(user)
    team = [Role.OPERATOR] * 4 + [Role.WAREHOUSE] * 6 + [Role.FINANCE] * 2 + [Role.CUSTOMER_SERVICE] * 4
    taken = {u.username for u in users}
    for role in team:
        first, last = fake.first_name(), fake.last_name()
        base = f"{first}.{last}".lower().translate(str.maketrans("çğıöşüİ", "cgiosui")).replace(" ", "")
        username = base
        n = 2
        while username in taken:
            username, n = f"{base}{n}", n + 1
        taken.add(username)
        users.append(
            _create(
                username,
                first,
                last,
                role,
                admin,
                password=password,
                language=rng.choice(["tr", "tr", "tr", "en"]),
            )
        )
    return users
