"""Factories shared by every app's tests."""

from itertools import count

from oms.models import User
from oms.services import assign_roles

_seq = count(1)


def make_user(
    *, role: str | None = None, username: str | None = None, password: str = "pw-123456", **fields
) -> User:
    """A user with one role (through the real service, so staff flags and events are as in production)."""
    n = next(_seq)
    user = User(username=username or f"user{n}", email=f"user{n}@example.com", **fields)
    user.set_password(password)
    user.save()
    if role:
        assign_roles(user=user, roles=[role], by=None)
    return user
