import pytest

from inventory.ledger import verify_stock


@pytest.fixture
def assert_consistent(db):
    """After an act: levels equal ledger sums, lot sums and active reservations."""

    def check():
        assert verify_stock() == []

    return check
