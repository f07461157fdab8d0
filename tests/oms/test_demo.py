import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from oms.demo import DEMO_LOGINS, DEMO_PASSWORD
from oms.models import User


@pytest.mark.django_db
def test_seed_demo_creates_one_login_per_role_with_the_documented_password():
    call_command("seed_demo", seed=7)
    for username, role, *_ in DEMO_LOGINS:
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert list(user.groups.values_list("name", flat=True)) == [role]
    assert User.objects.get(username="admin").is_staff
    assert User.objects.count() > len(DEMO_LOGINS)


@pytest.mark.django_db
def test_seed_demo_is_deterministic_for_a_seed():
    call_command("seed_demo", seed=42)
    first = sorted(User.objects.values_list("username", "first_name", "last_name", "language"))
    User.objects.all().delete()
    call_command("seed_demo", seed=42)
    assert sorted(User.objects.values_list("username", "first_name", "last_name", "language")) == first


@pytest.mark.django_db
def test_seed_demo_if_empty_leaves_existing_data_alone(user_factory):
    user_factory(username="existing")
    call_command("seed_demo", if_empty=True)
    assert list(User.objects.values_list("username", flat=True)) == ["existing"]
