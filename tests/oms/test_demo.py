import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction

from oms.demo import DEMO_LOGINS, DEMO_PASSWORD
from oms.models import User

pytestmark = pytest.mark.django_db

# The full shop takes ~20 s to seed; these tests are about the command, so a sliver of it.
SMALL = 0.05


def test_seed_demo_creates_one_login_per_role_with_the_documented_password():
    call_command("seed_demo", seed=7, scale=SMALL)
    for username, role, *_ in DEMO_LOGINS:
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert list(user.groups.values_list("name", flat=True)) == [role]
    assert User.objects.get(username="admin").is_staff
    assert User.objects.count() > len(DEMO_LOGINS)


def snapshot():
    from inventory.models import StockLevel

    users = sorted(User.objects.values_list("username", "first_name", "last_name", "language"))
    stock = sorted(StockLevel.objects.values_list("variant__sku", "warehouse__code", "on_hand", "reserved"))
    return users, stock


def test_seed_demo_is_deterministic_for_a_seed():
    # The ledger cannot be deleted, so each run happens in a savepoint that is rolled back.
    runs = []
    for _ in range(2):
        with transaction.atomic():
            call_command("seed_demo", seed=42, scale=SMALL)
            runs.append(snapshot())
            transaction.set_rollback(True)
    assert runs[0] == runs[1]
    assert runs[0][1]  # stock was seeded


def test_seed_demo_if_empty_leaves_existing_data_alone(user_factory):
    user_factory(username="existing")
    call_command("seed_demo", if_empty=True)
    assert list(User.objects.values_list("username", flat=True)) == ["existing"]


def test_stock_movements_name_the_demo_admin():
    from inventory.models import StockMovement

    call_command("seed_demo", seed=7, scale=SMALL)
    assert StockMovement.objects.filter(user__username="admin").exists()


def test_seed_demo_adds_inventory_activity_in_every_area():
    from inventory.ledger import verify_stock
    from inventory.models import PurchaseOrder, Receipt, StockAlert, StockCount, Supplier, Transfer

    call_command("seed_demo", seed=3, scale=SMALL)

    assert Supplier.objects.count() == 8
    assert set(PurchaseOrder.objects.values_list("status", flat=True)) >= {"draft", "sent", "received"}
    assert Receipt.objects.filter(purchase_order__isnull=True).exists()
    assert set(Transfer.objects.values_list("status", flat=True)) >= {"requested", "shipped", "received"}
    assert set(StockCount.objects.values_list("status", flat=True)) >= {"posted", "review", "counting"}
    assert StockAlert.objects.exists()
    assert verify_stock() == []
