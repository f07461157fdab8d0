"""Cash-on-delivery remittances: matched, different, unknown and twice-remitted parcels; the same
file twice; parcels never remitted after N days; the panel pages."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from billing.models import (
    CodRemittance,
    CodRemittanceLine,
    FinanceIssue,
    FinanceIssueKind,
    MatchStatus,
    Payment,
)
from billing.reconciliation import queue
from billing.reconciliation.cod import flag_missing_remittances, import_remittance, parse_remittance
from billing.tasks_reconciliation import flag_missing_cod_remittances
from fulfillment.models import CarrierAccount, Shipment, ShipmentStatus
from oms.errors import Conflict, InvalidInput
from orders.models import PaymentStatus
from tests.billing.factories import make_seller, sold_order
from tests.factories import make_user
from tests.inventory.factories import make_warehouse

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
TODAY = date(2026, 3, 20)
_seq = count(1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _seller():
    make_seller()


@pytest.fixture
def carrier():
    return CarrierAccount.objects.create(code="yk", name="Yurtiçi", connector="manual")


def cod_shipment(
    carrier, cod="449.90", *, tracking=None, delivered_days_ago=3, status=ShipmentStatus.DELIVERED
):
    n = next(_seq)
    order = sold_order([(1, cod, 20)], payment_method="cash_on_delivery")
    delivered = timezone.make_aware(datetime.combine(TODAY - timedelta(days=delivered_days_ago), time(12)))
    return Shipment.objects.create(
        number=f"SHP-C{n}",
        order=order,
        warehouse=make_warehouse(),
        carrier=carrier,
        status=status,
        tracking_number=tracking or f"YK{n:09d}",
        cod_amount=Decimal(cod),
        delivered_at=delivered if status == ShipmentStatus.DELIVERED else None,
    )


def remittance(*rows, header="Kargo Takip No;Tahsilat Tarihi;Tahsilat Tutarı", encoding="utf-8") -> bytes:
    return ("\n".join([header, *[";".join(row) for row in rows]]) + "\n").encode(encoding)


# --- Import and matching --------------------------------------------------------------------------


def test_an_equal_amount_is_matched_and_paid_once(carrier):
    shipment = cod_shipment(carrier, "449.90")

    result = import_remittance(
        remittance((shipment.tracking_number, "02.03.2026", "449,90")), "r.csv", carrier
    )

    line = result.lines.get()
    payment = Payment.objects.get()
    shipment.order.refresh_from_db()
    assert (line.status, line.shipment, line.difference) == (MatchStatus.MATCHED, shipment, Decimal("0.00"))
    assert (payment.source, payment.method, payment.order, payment.remittance_line) == (
        "cod",
        "cash_on_delivery",
        shipment.order,
        line,
    )
    assert payment.dedupe_key == f"cod:{result.pk}:2"
    assert payment.received_on == date(2026, 3, 2)
    assert shipment.order.payment_status == PaymentStatus.PAID
    assert (result.line_count, result.total) == (1, Decimal("449.90"))
    assert not FinanceIssue.objects.exists()


def test_a_different_amount_is_recorded_as_remitted_and_queued(carrier):
    shipment = cod_shipment(carrier, "449.90")

    result = import_remittance(
        remittance((shipment.tracking_number, "02.03.2026", "400.00")), "r.csv", carrier
    )

    line = result.lines.get()
    issue = FinanceIssue.objects.get()
    assert (line.status, line.difference) == (MatchStatus.PARTIAL, Decimal("-49.90"))
    assert Payment.objects.get().amount == Decimal("400.00")
    assert (issue.kind, issue.amount, issue.shipment, issue.remittance_line) == (
        FinanceIssueKind.COD_DIFFERENCE,
        Decimal("49.90"),
        shipment,
        line,
    )


def test_an_unknown_parcel_is_queued_and_not_paid(carrier):
    other = CarrierAccount.objects.create(code="aras", name="Aras", connector="manual")
    elsewhere = cod_shipment(other, tracking="SAME123")  # another carrier's parcel is not this carrier's

    result = import_remittance(
        remittance(("NOPE999", "02.03.2026", "10,00"), ("SAME123", "02.03.2026", "449,90")), "r.csv", carrier
    )

    assert list(result.lines.values_list("status", flat=True)) == [MatchStatus.UNMATCHED] * 2
    assert set(FinanceIssue.objects.values_list("kind", flat=True)) == {FinanceIssueKind.COD_UNKNOWN}
    assert FinanceIssue.objects.count() == 2
    assert not Payment.objects.exists()
    elsewhere.order.refresh_from_db()
    assert elsewhere.order.payment_status == PaymentStatus.PENDING


def test_the_same_file_twice_is_refused(carrier):
    shipment = cod_shipment(carrier)
    data = remittance((shipment.tracking_number, "02.03.2026", "449,90"))
    import_remittance(data, "r.csv", carrier)

    with pytest.raises(Conflict) as error:
        import_remittance(data, "r-again.csv", carrier)

    assert "r.csv" in error.value.message
    assert CodRemittance.objects.count() == 1
    assert Payment.objects.count() == 1


def test_a_parcel_remitted_in_an_earlier_file_is_flagged_and_not_paid_twice(carrier):
    shipment = cod_shipment(carrier)
    import_remittance(remittance((shipment.tracking_number, "02.03.2026", "449,90")), "first.csv", carrier)

    second = import_remittance(
        remittance((shipment.tracking_number, "03.03.2026", "449,90"), ("NEW1", "03.03.2026", "0")),
        "second.csv",
        carrier,
    )

    line = second.lines.get(row_number=2)
    issue = FinanceIssue.objects.get(remittance_line=line)
    assert (line.status, line.shipment) == (MatchStatus.IGNORED, shipment)
    assert issue.kind == FinanceIssueKind.COD_DIFFERENCE
    assert "first.csv" in issue.detail
    assert Payment.objects.count() == 1


def test_a_parcel_twice_in_one_file_is_paid_once(carrier):
    shipment = cod_shipment(carrier)

    result = import_remittance(
        remittance(
            (shipment.tracking_number, "02.03.2026", "449,90"),
            (shipment.tracking_number, "02.03.2026", "449,90"),
        ),
        "r.csv",
        carrier,
    )

    assert list(result.lines.values_list("status", flat=True)) == [MatchStatus.MATCHED, MatchStatus.IGNORED]
    assert Payment.objects.count() == 1
    assert "row 2 of this file" in FinanceIssue.objects.get().detail


def test_header_aliases_windows_1254_and_dot_amounts_are_read(carrier):
    shipment = cod_shipment(carrier, "1299.00")
    data = remittance(
        (shipment.tracking_number, "2026-03-02", "1299.00", "Gülşen Özer"),
        header="tracking_number;collected_on;Tutar;Alıcı",
        encoding="cp1254",
    )

    result = import_remittance(data, "r.csv", carrier)

    assert result.lines.get().status == MatchStatus.MATCHED


def test_a_wrong_layout_or_a_bad_row_writes_nothing(carrier):
    with pytest.raises(InvalidInput) as error:
        import_remittance(remittance(("x", "y"), header="Parcel;Money"), "bad.csv", carrier)
    assert "“Takip No”" in error.value.message
    assert "“Parcel”" in error.value.message

    shipment = cod_shipment(carrier)
    with pytest.raises(InvalidInput) as error:
        import_remittance(
            remittance((shipment.tracking_number, "02.03.2026", "449,90"), ("T2", "32.13.2026", "1,00")),
            "bad-row.csv",
            carrier,
        )
    assert "line 3" in error.value.message
    assert not CodRemittance.objects.exists()
    assert not CodRemittanceLine.objects.exists()
    assert not Payment.objects.exists()


def test_the_documented_sample_parses():
    parcels = parse_remittance((SAMPLES / "cod-remittance.csv").read_bytes())
    assert [p.tracking_number for p in parcels][:2] == ["YK100000001", "YK100000002"]
    assert parcels[1].amount == Decimal("1299.00")
    assert parcels[0].paid_on == date(2026, 3, 9)


# --- Missing remittances --------------------------------------------------------------------------


def test_delivered_cod_parcels_not_remitted_after_n_days_are_flagged_once(carrier):
    late = cod_shipment(carrier, delivered_days_ago=11)
    cod_shipment(carrier, delivered_days_ago=5)  # still within the carrier's time
    remitted = cod_shipment(carrier, delivered_days_ago=12)
    cod_shipment(carrier, "0", delivered_days_ago=20)  # prepaid: nothing to remit
    cod_shipment(carrier, delivered_days_ago=30, status=ShipmentStatus.IN_TRANSIT)
    import_remittance(remittance((remitted.tracking_number, "02.03.2026", "449,90")), "r.csv", carrier)

    assert flag_missing_remittances(TODAY, days=10) == 1
    assert flag_missing_remittances(TODAY, days=10) == 0

    issue = FinanceIssue.objects.get(kind=FinanceIssueKind.COD_MISSING)
    assert (issue.shipment, issue.order, issue.amount) == (late, late.order, Decimal("449.90"))
    assert "11 days ago" in issue.detail


def test_a_resolved_missing_remittance_is_not_reopened_and_the_setting_sets_the_days(carrier, settings):
    late = cod_shipment(carrier, delivered_days_ago=6)
    settings.COD_REMITTANCE_DAYS = 5
    assert flag_missing_remittances(TODAY) == 1
    issue = FinanceIssue.objects.get()
    queue.resolve_issue(issue.pk, user=make_user(role="finance"), resolution="Paid by bank transfer")

    assert flag_missing_remittances(TODAY) == 0
    assert FinanceIssue.objects.filter(shipment=late).count() == 1


def test_a_late_remittance_closes_its_missing_issue(carrier):
    late = cod_shipment(carrier, delivered_days_ago=15)
    flag_missing_remittances(TODAY, days=10)

    import_remittance(remittance((late.tracking_number, "02.03.2026", "449,90")), "late.csv", carrier)

    issue = FinanceIssue.objects.get(kind=FinanceIssueKind.COD_MISSING)
    assert issue.resolved_at is not None
    assert "late.csv" in issue.resolution


def test_the_daily_task_flags_missing_remittances(carrier):
    cod_shipment(carrier, delivered_days_ago=400)
    assert flag_missing_cod_remittances.delay().get() == 1


# --- Panel ----------------------------------------------------------------------------------------


def test_finance_uploads_a_remittance_and_the_operator_may_only_look(client, carrier):
    shipment = cod_shipment(carrier)
    upload = SimpleUploadedFile("r.csv", remittance((shipment.tracking_number, "02.03.2026", "449,90")))

    client.force_login(make_user(role="operator", language="en"))
    assert client.get(reverse("billing:cod_remittances")).status_code == 200
    assert (
        client.post(
            reverse("billing:cod_remittance_upload"), {"carrier": carrier.pk, "file": upload}
        ).status_code
        == 403
    )

    client.force_login(make_user(role="finance", language="en"))
    upload.seek(0)
    response = client.post(reverse("billing:cod_remittance_upload"), {"carrier": carrier.pk, "file": upload})

    result = CodRemittance.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("billing:cod_remittance_detail", args=[result.pk])
    detail = client.get(response.url)
    assert detail.status_code == 200
    assert shipment.order.number in detail.content.decode()


def test_remittance_list_queries_do_not_grow_with_the_rows(client, carrier, django_assert_max_num_queries):
    client.force_login(make_user(role="finance", language="en"))
    for n in range(2):
        import_remittance(remittance((f"U{n}", "02.03.2026", "1,00")), f"{n}.csv", carrier)
    with django_assert_max_num_queries(15) as few:
        assert client.get(reverse("billing:cod_remittances")).status_code == 200
    for n in range(2, 8):
        import_remittance(remittance((f"U{n}", "02.03.2026", "1,00")), f"{n}.csv", carrier)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("billing:cod_remittances")).status_code == 200


def test_the_queue_links_remittance_lines_and_shipments(client, carrier):
    shipment = cod_shipment(carrier, "449.90")
    result = import_remittance(
        remittance((shipment.tracking_number, "02.03.2026", "400,00")), "r.csv", carrier
    )
    client.force_login(make_user(role="finance", language="en"))

    body = client.get(reverse("billing:finance_queue"), {"kind": "cod_diff"}).content.decode()

    assert reverse("billing:cod_remittance_detail", args=[result.pk]) in body
    assert reverse("fulfillment:shipment_detail", args=[shipment.pk]) in body
    assert shipment.order.number in body
