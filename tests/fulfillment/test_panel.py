"""Fulfillment panel: dashboard counts, shipments list and page, manifests, carrier accounts with
write-only secrets, boxes, carrier rules, the problem queue and who may do what."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fulfillment import problems
from fulfillment.models import (
    Box,
    CarrierAccount,
    CarrierRule,
    Manifest,
    Parcel,
    PickList,
    PickListOrder,
    PickListStatus,
    Problem,
    ProblemKind,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    ShipmentStatus,
    TrackingEvent,
)
from oms.errors import Conflict, InvalidInput
from oms.models import AuditLog
from orders.models import OrderStatus
from tests.inventory.factories import make_warehouse, stocked
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db

_seq = count(1)
SECRET = "s3cr3t-Pa55-value"


@pytest.fixture
def ankara():
    return make_warehouse("ANK", province=6)


@pytest.fixture
def izmir():
    return make_warehouse("IZM", province=35)


@pytest.fixture
def channel():
    return make_channel("web")


@pytest.fixture
def carrier():
    return CarrierAccount.objects.create(
        code="yk",
        name="Yurtiçi",
        connector="manual",
        credentials={"password": SECRET, "user": "depo-user"},
        webhook_secret="whsec-very-secret",
    )


@pytest.fixture
def staff(user_factory):
    return user_factory(role="warehouse", username="depocu", language="en")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def boss_client(client, user_factory):
    client.force_login(user_factory(role="admin", username="patron", language="en"))
    return client


def allocated_order(channel, warehouse):
    variant, _wh = stocked(5, warehouse=warehouse)
    order = place(channel, [(variant, 1)])
    assert order.status == OrderStatus.ALLOCATED, order.status
    return order


def make_shipment(order, warehouse, *, carrier=None, status=ShipmentStatus.CREATED, **fields) -> Shipment:
    n = next(_seq)
    return Shipment.objects.create(
        number=f"SHP-{n:05d}", order=order, warehouse=warehouse, carrier=carrier, status=status, **fields
    )


def make_pick_list(warehouse, orders, status=PickListStatus.OPEN) -> PickList:
    n = next(_seq)
    pick_list = PickList.objects.create(
        number=f"PL-{n:05d}", warehouse=warehouse, method="single", status=status
    )
    for position, order in enumerate(orders, start=1):
        PickListOrder.objects.create(pick_list=pick_list, order=order, position=position)
    return pick_list


def open_problem(warehouse, **refs) -> Problem:
    with transaction.atomic():
        return problems.open_problem(
            kind=refs.pop("kind", ProblemKind.SHORT_PICK), warehouse_id=warehouse.pk, detail="2 short", **refs
        )


# --- Dashboard ------------------------------------------------------------------------------------


def test_dashboard_counts_each_step_per_warehouse(staff_client, channel, ankara, izmir, carrier):
    waiting = [allocated_order(channel, ankara) for _ in range(2)]  # to pick
    listed = allocated_order(channel, ankara)
    make_pick_list(ankara, [listed], PickListStatus.PICKING)  # picking, not "to pick"
    packed_order = allocated_order(channel, ankara)
    to_pack_order = allocated_order(channel, ankara)
    make_pick_list(ankara, [packed_order], PickListStatus.PICKED)  # packed already: not to pack
    make_shipment(packed_order, ankara, carrier=carrier, status=ShipmentStatus.LABEL_PRINTED)  # to ship
    make_pick_list(ankara, [to_pack_order], PickListStatus.PICKED)  # to pack
    make_pick_list(
        izmir, [allocated_order(channel, izmir)], PickListStatus.CANCELLED
    )  # cancelled: to pick again
    open_problem(izmir)
    resolved = open_problem(izmir)
    Problem.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now())
    assert len(waiting) == 2

    response = staff_client.get(reverse("fulfillment:index"))

    assert response.status_code == 200
    steps = {row["warehouse"].code: {k: n for k, n, _url in row["steps"]} for row in response.context["rows"]}
    assert steps["ANK"] == {"to_pick": 2, "picking": 1, "to_pack": 1, "to_ship": 1, "exceptions": 0}
    assert steps["IZM"] == {"to_pick": 1, "picking": 0, "to_pack": 0, "to_ship": 0, "exceptions": 1}
    assert response.context["totals"]["to_pick"] == 3
    links = {
        k: url for row in response.context["rows"] if row["warehouse"] == izmir for k, _n, url in row["steps"]
    }
    assert links["exceptions"] == f"{reverse('fulfillment:problems')}?warehouse={izmir.pk}"
    assert links["to_ship"] == f"{reverse('fulfillment:handover')}?warehouse={izmir.pk}"
    assert links["exceptions"] in response.content.decode()


def test_dashboard_needs_the_fulfillment_section(client, user_factory):
    client.force_login(user_factory(role="finance"))
    assert client.get(reverse("fulfillment:index")).status_code == 403
    client.logout()
    assert client.get(reverse("fulfillment:index")).status_code == 302


# --- Shipments ------------------------------------------------------------------------------------


@pytest.fixture
def shipments(channel, ankara, izmir, carrier):
    aras = CarrierAccount.objects.create(code="aras", name="Aras", connector="manual")
    a = make_shipment(allocated_order(channel, ankara), ankara, carrier=carrier, tracking_number="YK123")
    b = make_shipment(
        allocated_order(channel, izmir),
        izmir,
        carrier=aras,
        status=ShipmentStatus.IN_TRANSIT,
        tracking_number="AR9",
    )
    c = make_shipment(allocated_order(channel, ankara), ankara, carrier=aras, status=ShipmentStatus.DELIVERED)
    Shipment.objects.filter(pk=c.pk).update(created_at=timezone.now() - timedelta(days=10))
    return a, b, c


def listed(response) -> set[str]:
    return {s.number for s in response.context["page"]}


def test_shipment_list_filters(staff_client, shipments, carrier, izmir):
    a, b, c = shipments
    url = reverse("fulfillment:shipments")
    assert listed(staff_client.get(url)) == {a.number, b.number, c.number}
    assert listed(staff_client.get(url, {"status": ["in_transit", "delivered"]})) == {b.number, c.number}
    assert listed(staff_client.get(url, {"carrier": carrier.pk})) == {a.number}
    assert listed(staff_client.get(url, {"warehouse": izmir.pk})) == {b.number}
    assert listed(staff_client.get(url, {"q": "YK123"})) == {a.number}
    assert listed(staff_client.get(url, {"q": b.order.number.lower()})) == {b.number}
    recent = (timezone.localdate() - timedelta(days=2)).isoformat()
    assert listed(staff_client.get(url, {"created_from": recent})) == {a.number, b.number}
    old = (timezone.localdate() - timedelta(days=9)).isoformat()
    assert listed(staff_client.get(url, {"created_to": old})) == {c.number}


def test_shipment_list_htmx_returns_only_the_results(staff_client, shipments):
    response = staff_client.get(
        reverse("fulfillment:shipments"), {"q": "YK123"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="results"')
    assert "YK123" in body
    assert "<html" not in body


def test_shipment_list_query_count_does_not_grow(
    staff_client, channel, ankara, carrier, settings, django_assert_max_num_queries
):
    settings.PANEL_PAGE_SIZE = 50
    for _ in range(3):
        make_shipment(allocated_order(channel, ankara), ankara, carrier=carrier)
    with django_assert_max_num_queries(12) as few:
        staff_client.get(reverse("fulfillment:shipments"))
    for _ in range(8):
        make_shipment(allocated_order(channel, ankara), ankara, carrier=carrier)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(reverse("fulfillment:shipments"))
    assert len(response.context["page"]) == 11


def test_shipment_list_pages_with_a_cursor(staff_client, channel, ankara, settings):
    settings.PANEL_PAGE_SIZE = 2
    made = [make_shipment(allocated_order(channel, ankara), ankara) for _ in range(3)]
    first = staff_client.get(reverse("fulfillment:shipments"))
    assert listed(first) == {made[2].number, made[1].number}
    second = staff_client.get(reverse("fulfillment:shipments"), {"cursor": first.context["page"].next_cursor})
    assert listed(second) == {made[0].number}


def test_shipment_detail_shows_parcels_lines_tracking_timeline_and_problems(
    staff_client, channel, ankara, carrier
):
    order = allocated_order(channel, ankara)
    shipment = make_shipment(
        order, ankara, carrier=carrier, status=ShipmentStatus.IN_TRANSIT, tracking_number="YK777"
    )
    box = Box.objects.create(
        code="K2", name="Küçük", length_cm=30, width_cm=20, height_cm=10, max_weight_kg=5
    )
    Parcel.objects.create(
        shipment=shipment,
        number=1,
        box=box,
        weight_kg=Decimal("1.250"),
        length_cm=30,
        width_cm=20,
        height_cm=10,
        desi=Decimal("2.00"),
        barcode="PRC-0001",
    )
    line = order.lines.get()
    ShipmentLine.objects.create(shipment=shipment, line=line, quantity=1, quantity_verified=1)
    TrackingEvent.objects.create(
        shipment=shipment,
        occurred_at=timezone.now(),
        status=ShipmentStatus.IN_TRANSIT,
        description="Transfer merkezinde",
        location="Ankara TM",
        source="webhook",
        dedupe_key="k1",
    )
    ShipmentEvent.objects.create(subject=shipment, name="shipment.label_created", message="label-msg-42")
    open_problem(ankara, kind=ProblemKind.DELIVERY, shipment=shipment)

    response = staff_client.get(reverse("fulfillment:shipment_detail", args=[shipment.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "YK777",
        "PRC-0001",
        "K2",
        line.sku,
        "Transfer merkezinde",
        "Ankara TM",
        "label-msg-42",
        "2 short",
    ):
        assert text in body, text
    assert staff_client.get(reverse("fulfillment:shipment_detail", args=[999999])).status_code == 404


def test_manifest_list(staff_client, ankara, carrier):
    first = Manifest.objects.create(
        number="MNF-1", carrier=carrier, warehouse=ankara, day=date(2026, 1, 5), parcel_count=12
    )
    Manifest.objects.create(
        number="MNF-2", carrier=carrier, warehouse=ankara, day=date(2026, 1, 6), parcel_count=3
    )
    response = staff_client.get(reverse("fulfillment:manifests"), {"day_from": "2026-01-06"})
    assert [m.number for m in response.context["page"]] == ["MNF-2"]
    assert "MNF-2" in response.content.decode()
    on_it = make_shipment(place_for_manifest(ankara), ankara, carrier=carrier, manifest=first)
    make_shipment(place_for_manifest(ankara), ankara, carrier=carrier)
    shipments_page = staff_client.get(reverse("fulfillment:shipments"), {"manifest": first.pk})
    assert listed(shipments_page) == {on_it.number}
    assert f"?manifest={first.pk}" in staff_client.get(reverse("fulfillment:manifests")).content.decode()


def place_for_manifest(warehouse):
    return allocated_order(make_channel(), warehouse)


# --- Carrier accounts -----------------------------------------------------------------------------


def carrier_post(**overrides):
    data = {
        "code": "yk",
        "name": "Yurtiçi",
        "connector": "manual",
        "settings": '{"customer_code": "C-1"}',
        "supports_cod": "on",
        "supports_fragile": "on",
        "max_desi": "100",
        "transit_days": "2",
        "pickup_cutoff": "",
        "is_active": "on",
        "webhook_secret_input": "",
    }
    data.update(overrides)
    return data


def test_carrier_pages_never_render_secret_values(boss_client, carrier):
    listing = boss_client.get(reverse("fulfillment:carriers")).content.decode()
    page = boss_client.get(reverse("fulfillment:carrier_edit", args=[carrier.pk])).content.decode()
    for body in (listing, page):
        assert SECRET not in body
        assert "depo-user" not in body
        assert "whsec-very-secret" not in body
    assert "password" in listing
    assert "user" in listing
    assert "password" in page


def test_carrier_edit_keeps_blank_secrets_and_replaces_typed_ones(boss_client, carrier):
    url = reverse("fulfillment:carrier_edit", args=[carrier.pk])
    # Keys are sorted: secret_0 = password, secret_1 = user.
    response = boss_client.post(
        url, carrier_post(name="Yurtiçi Kargo", secret_0_value="", secret_1_value="new-user")
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    carrier.refresh_from_db()
    assert carrier.name == "Yurtiçi Kargo"
    assert carrier.credentials == {"password": SECRET, "user": "new-user"}
    assert carrier.webhook_secret == "whsec-very-secret"
    assert carrier.settings == {"customer_code": "C-1"}

    boss_client.post(
        url,
        carrier_post(secret_1_remove="on", new_0_key="api_key", new_0_value="k-1", clear_webhook_secret="on"),
    )
    carrier.refresh_from_db()
    assert carrier.credentials == {"password": SECRET, "api_key": "k-1"}
    assert carrier.webhook_secret == ""

    logs = AuditLog.objects.filter(object_id=str(carrier.pk), content_type__model="carrieraccount")
    changes = list(logs.order_by("id").values_list("changes", flat=True))
    # The fixture's create, then per save the plain fields (oms.audit) and the secret key names.
    assert changes[1:] == [
        {"name": ["Yurtiçi", "Yurtiçi Kargo"], "settings": ["{}", "{'customer_code': 'C-1'}"]},
        {"credentials.changed": [None, ["user"]]},
        {"name": ["Yurtiçi Kargo", "Yurtiçi"]},
        {
            "credentials.added": [None, ["api_key"]],
            "credentials.removed": [None, ["user"]],
            "webhook_secret": [None, ["removed"]],
        },
    ]
    text = str(changes)
    assert "api_key" in text
    assert "user" in text
    assert SECRET not in text
    assert "new-user" not in text
    assert "k-1" not in text
    assert "whsec" not in text


def test_carrier_create_with_secrets(boss_client):
    response = boss_client.post(
        reverse("fulfillment:carrier_create"),
        carrier_post(
            code="aras", name="Aras", new_0_key="password", new_0_value="pw", webhook_secret_input="wh"
        ),
    )
    assert response.status_code == 302
    account = CarrierAccount.objects.get(code="aras")
    assert account.credentials == {"password": "pw"}
    assert account.webhook_secret == "wh"
    assert AuditLog.objects.filter(object_id=str(account.pk), action="create").exists()


def test_carrier_form_refuses_unknown_connector_and_value_without_key(boss_client):
    response = boss_client.post(
        reverse("fulfillment:carrier_create"), carrier_post(code="x", connector="nope", new_0_value="orphan")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "connector" in errors
    assert "new_0_key" in errors
    assert not CarrierAccount.objects.filter(code="x").exists()


def test_only_admins_change_carriers_boxes_and_rules(staff_client, carrier):
    assert staff_client.get(reverse("fulfillment:carriers")).status_code == 200
    assert b"carrier_edit" not in staff_client.get(reverse("fulfillment:carriers")).content
    for name, args in (
        ("carrier_create", []),
        ("carrier_edit", [carrier.pk]),
        ("box_create", []),
        ("rule_create", []),
    ):
        assert staff_client.get(reverse(f"fulfillment:{name}", args=args)).status_code == 403, name
    assert (
        staff_client.post(
            reverse("fulfillment:carrier_edit", args=[carrier.pk]), carrier_post(name="X")
        ).status_code
        == 403
    )
    carrier.refresh_from_db()
    assert carrier.name == "Yurtiçi"
    assert staff_client.get(reverse("fulfillment:boxes")).status_code == 200
    assert staff_client.get(reverse("fulfillment:rules")).status_code == 200


# --- Boxes and rules ------------------------------------------------------------------------------


def test_box_create_edit_and_validation(boss_client):
    data = {
        "code": "B1",
        "name": "Orta",
        "length_cm": "40",
        "width_cm": "30",
        "height_cm": "20",
        "max_weight_kg": "10",
        "tare_weight_kg": "0.3",
        "is_active": "on",
    }
    assert boss_client.post(reverse("fulfillment:box_create"), data).status_code == 302
    box = Box.objects.get(code="B1")
    assert box.desi == Decimal("8.00")
    response = boss_client.post(reverse("fulfillment:box_edit", args=[box.pk]), {**data, "height_cm": "0"})
    assert response.status_code == 200
    assert "height_cm" in response.context["form"].errors
    boss_client.post(
        reverse("fulfillment:box_edit", args=[box.pk]), {**data, "name": "Orta boy", "for_fragile": "on"}
    )
    box.refresh_from_db()
    assert box.name == "Orta boy"
    assert box.for_fragile
    page = boss_client.get(reverse("fulfillment:boxes")).content.decode()
    assert "Orta boy" in page
    assert reverse("fulfillment:box_edit", args=[box.pk]) in page
    assert boss_client.get(reverse("fulfillment:box_create")).status_code == 200


def test_rule_create_edit_normalises_provinces(boss_client, carrier):
    data = {
        "name": "Soğuk zincir",
        "priority": "10",
        "carrier": carrier.pk,
        "zone": "",
        "provinces": "06, 34",
        "fragile": "",
        "cold_chain": "true",
        "oversize": "",
        "cash_on_delivery": "false",
        "express": "",
        "is_active": "on",
    }
    assert boss_client.post(reverse("fulfillment:rule_create"), data).status_code == 302
    rule = CarrierRule.objects.get()
    assert rule.provinces == "6,34"
    assert rule.cold_chain is True
    assert rule.cash_on_delivery is False
    assert rule.fragile is None
    response = boss_client.post(
        reverse("fulfillment:rule_edit", args=[rule.pk]), {**data, "provinces": "6, 99"}
    )
    assert response.status_code == 200
    assert "provinces" in response.context["form"].errors
    boss_client.post(reverse("fulfillment:rule_edit", args=[rule.pk]), {**data, "priority": "5"})
    rule.refresh_from_db()
    assert rule.priority == 5
    assert "Soğuk zincir" in boss_client.get(reverse("fulfillment:rules")).content.decode()
    assert boss_client.get(reverse("fulfillment:rule_edit", args=[rule.pk])).status_code == 200


# --- Problem queue --------------------------------------------------------------------------------


def test_problem_services_take_release_resolve(ankara, user_factory):
    ali, veli = user_factory(), user_factory()
    problem = open_problem(ankara)
    problems.take_problem(problem.pk, user=ali)
    with pytest.raises(Conflict):
        problems.take_problem(problem.pk, user=veli)
    with pytest.raises(Conflict):
        problems.release_problem(problem.pk, user=veli)
    with pytest.raises(Conflict):
        problems.resolve_problem(problem.pk, user=veli, resolution="done")
    problems.release_problem(problem.pk, user=veli, force=True)
    problem.refresh_from_db()
    assert problem.assignee is None
    with pytest.raises(InvalidInput):
        problems.resolve_problem(problem.pk, user=veli, resolution="   ")
    problems.resolve_problem(problem.pk, user=veli, resolution="  bulundu,   tekrar toplandı ")
    problem.refresh_from_db()
    assert problem.resolved_by == veli
    assert problem.assignee == veli
    assert problem.resolution == "bulundu, tekrar toplandı"
    with pytest.raises(Conflict):
        problems.take_problem(problem.pk, user=ali)


@pytest.mark.django_db(transaction=True)
def test_open_problem_needs_a_transaction(ankara):
    with pytest.raises(RuntimeError):
        problems.open_problem(kind=ProblemKind.LABEL, warehouse_id=ankara.pk)


def test_problem_queue_lists_open_problems_by_kind_and_warehouse(
    staff_client, ankara, izmir, django_assert_max_num_queries
):
    short = open_problem(ankara)
    label = open_problem(izmir, kind=ProblemKind.LABEL)
    gone = open_problem(izmir)
    Problem.objects.filter(pk=gone.pk).update(resolved_at=timezone.now(), resolution="x")
    url = reverse("fulfillment:problems")
    with django_assert_max_num_queries(12):
        response = staff_client.get(url)
    assert [p.pk for p in response.context["page"]] == [label.pk, short.pk]
    assert {(s["kind"], s["warehouse"], s["n"]) for s in response.context["summary"]} == {
        ("short_pick", "ANK", 1),
        ("label", "IZM", 1),
    }
    assert [p.pk for p in staff_client.get(url, {"kind": "label"}).context["page"]] == [label.pk]
    assert [p.pk for p in staff_client.get(url, {"warehouse": ankara.pk}).context["page"]] == [short.pk]


def test_problem_take_and_resolve_through_the_panel(staff_client, staff, ankara):
    problem = open_problem(ankara)
    take = reverse("fulfillment:problem_take", args=[problem.pk])
    response = staff_client.post(take, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="problem-{problem.pk}"' in response.content.decode()
    assert f'hx-target="#problem-{problem.pk}"' in response.content.decode()
    assert "Release" in response.content.decode()
    problem.refresh_from_db()
    assert problem.assignee == staff
    mine = staff_client.get(reverse("fulfillment:problems"), {"holder": "mine"})
    assert [p.pk for p in mine.context["page"]] == [problem.pk]

    resolve = reverse("fulfillment:problem_resolve", args=[problem.pk])
    refused = staff_client.post(resolve, {"resolution": ""}, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    problem.refresh_from_db()
    assert problem.resolved_at is None
    response = staff_client.post(resolve, {"resolution": "Raftan bulundu", "next": "/fulfillment/problems/"})
    assert response.status_code == 302
    assert response["Location"] == "/fulfillment/problems/"
    problem.refresh_from_db()
    assert problem.resolved_at is not None
    assert problem.resolution == "Raftan bulundu"
    assert staff_client.get(reverse("fulfillment:problems")).context["page"].object_list == []


def test_taking_a_problem_someone_else_holds_is_refused(staff_client, ankara, user_factory):
    problem = open_problem(ankara)
    problems.take_problem(problem.pk, user=user_factory())
    response = staff_client.post(
        reverse("fulfillment:problem_take", args=[problem.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "already working" in response.content.decode()


def test_problem_queue_needs_the_fulfillment_section(client, user_factory, ankara):
    problem = open_problem(ankara)
    client.force_login(user_factory(role="finance"))
    assert client.get(reverse("fulfillment:problems")).status_code == 403
    assert client.post(reverse("fulfillment:problem_take", args=[problem.pk])).status_code == 403


def test_dashboard_query_count_does_not_grow_with_warehouses(staff_client, django_assert_max_num_queries):
    make_warehouse("W1")
    with django_assert_max_num_queries(14) as few:
        staff_client.get(reverse("fulfillment:index"))
    for code in ("W2", "W3", "W4"):
        make_warehouse(code)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(reverse("fulfillment:index"))
    assert len(response.context["rows"]) == 4
