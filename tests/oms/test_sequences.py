"""Document numbers: gap-free per series and year, unique under concurrency."""

import threading

import pytest
from django.db import connection, transaction

from oms.sequences import next_number


@pytest.mark.django_db
def test_numbers_count_up_per_series_and_year():
    with transaction.atomic():
        assert next_number("PO", year=2026) == "PO-2026-00001"
        assert next_number("PO", year=2026) == "PO-2026-00002"
        assert next_number("GR", year=2026) == "GR-2026-00001"
        assert next_number("PO", year=2027) == "PO-2027-00001"


@pytest.mark.django_db
def test_a_rolled_back_number_is_handed_out_again():
    with transaction.atomic():
        first = next_number("CNT", year=2026)

    def failing_act():
        with transaction.atomic():
            next_number("CNT", year=2026)
            raise ValueError("the act failed")

    with pytest.raises(ValueError, match="act failed"):
        failing_act()
    with transaction.atomic():
        assert next_number("CNT", year=2026) == first.replace("00001", "00002")


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number("PO")


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_get_distinct_consecutive_numbers():
    results, barrier = [], threading.Barrier(16)

    def work():
        try:
            barrier.wait()
            with transaction.atomic():
                results.append(next_number("INV", year=2026))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [f"INV-2026-{n:05d}" for n in range(1, 17)]
