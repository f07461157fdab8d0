"""Purchasing pages: suppliers and their items, purchase orders (draft lines, send, cancel, PDF,
e-mail to the supplier), reorder suggestions with drafting, and the demo purchasing seed."""

import io
import random
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.demo import seed_inventory
from inventory.demo_purchasing import SUPPLIERS, seed_purchasing
from inventory.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Supplier,
    SupplierItem,
    Variant,
)
from inventory.purchasing import (
    OrderLineInput,
    ReceiptInput,
    add_purchase_order_line,
    add_supplier_item,
    cancel_purchase_order,
    change_purchase_order_line,
    create_purchase_order,
    create_supplier,
    email_purchase_order,
    receive_goods,
    remove_purchase_order_line,
    send_purchase_order,
    update_supplier,
    update_supplier_item,
)
from inventory.services import consume, reserve_one
from oms.errors import Conflict, IllegalTransition, InvalidInput
from oms.events import timeline_for
from oms.identity import validate_vkn
from oms.models import Province
from tests.inventory.factories import make_supplier, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db


# --- Set-up ---------------------------------------------------------------------------------------


def login(client, user_factory, role: str):
    client.force_login(user_factory(role=role, language="en"))
    return client


@pytest.fixture
def operator_client(client, user_factory):
    return login(client, user_factory, "operator")


@pytest.fixture
def warehouse_client(client, user_factory):
    return login(client, user_factory, "warehouse")


@pytest.fixture
def po():
    """A draft order of two variants from a supplier with an e-mail address and a price list."""
    supplier = make_supplier(
        code="ANT", name="Anadolu Tekstil A.Ş.", email="siparis@anadolu.example", lead_time_days=10
    )
    warehouse = make_warehouse("IST")
    shirt = make_variant(sku="TS-KIRMIZI-M", barcode="8690000000017", cost_price=Decimal("60.00"))
    socks = make_variant(sku="CORAP-39", cost_price=Decimal("12.50"))
    SupplierItem.objects.create(supplier=supplier, variant=shirt, cost=Decimal("55.00"), is_preferred=True)
    order = create_purchase_order(
        supplier=supplier, warehouse=warehouse, lines=[OrderLineInput(shirt, 10), OrderLineInput(socks, 4)]
    )
    return order, shirt, socks


def page_messages(response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


def lines_of(order) -> dict[str, tuple[int, Decimal]]:
    return {
        line.variant.sku: (line.quantity_ordered, line.unit_cost)
        for line in PurchaseOrderLine.objects.filter(order=order).select_related("variant")
    }


def sell(variant, warehouse, units):
    consume(
        reservation=reserve_one(
            variant=variant, warehouse=warehouse, quantity=units, reference="order_line:1"
        )
    )


# --- Access ---------------------------------------------------------------------------------------


def read_urls(order) -> list[str]:
    return [
        reverse("inventory:suppliers"),
        reverse("inventory:supplier", args=[order.supplier_id]),
        reverse("inventory:purchase_orders"),
        reverse("inventory:purchase_order", args=[order.pk]),
        reverse("inventory:purchase_order_pdf", args=[order.pk]),
        reverse("inventory:reorder"),
    ]


@pytest.mark.parametrize("role", ["warehouse", "operator", "admin"])
def test_inventory_roles_can_read_every_purchasing_page(client, user_factory, role, po):
    order, shirt, _socks = po
    login(client, user_factory, role)
    for url in read_urls(order):
        assert client.get(url).status_code == 200, url
    assert shirt.sku in client.get(reverse("inventory:purchase_order", args=[order.pk])).content.decode()


def test_finance_gets_403_on_every_purchasing_page_and_action(client, user_factory, po):
    order, _shirt, _socks = po
    login(client, user_factory, "finance")
    for url in read_urls(order):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("inventory:purchase_order_send", args=[order.pk])).status_code == 403
    assert client.post(reverse("inventory:supplier_create"), {"code": "X", "name": "X"}).status_code == 403
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.DRAFT


def test_warehouse_staff_may_look_but_not_change(warehouse_client, po):
    order, _shirt, _socks = po
    detail = warehouse_client.get(reverse("inventory:purchase_order", args=[order.pk])).content.decode()
    assert reverse("inventory:purchase_order_send", args=[order.pk]) not in detail
    assert reverse("inventory:purchase_order_line_add", args=[order.pk]) not in detail
    suppliers = warehouse_client.get(reverse("inventory:suppliers")).content.decode()
    assert reverse("inventory:supplier_create") not in suppliers
    for url in (
        reverse("inventory:supplier_create"),
        reverse("inventory:purchase_order_create"),
        reverse("inventory:purchase_order_edit", args=[order.pk]),
        reverse("inventory:purchasing_variant_search") + "?q=TS",
    ):
        assert warehouse_client.get(url).status_code == 403, url
    for url in (
        reverse("inventory:purchase_order_send", args=[order.pk]),
        reverse("inventory:purchase_order_cancel", args=[order.pk]),
        reverse("inventory:reorder_draft"),
    ):
        assert warehouse_client.post(url, {"reason": "x"}).status_code == 403, url
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.DRAFT


def test_operator_sees_the_actions(operator_client, po):
    order, _shirt, _socks = po
    detail = operator_client.get(reverse("inventory:purchase_order", args=[order.pk])).content.decode()
    assert reverse("inventory:purchase_order_send", args=[order.pk]) in detail
    assert reverse("inventory:purchase_order_line_add", args=[order.pk]) in detail
    assert reverse("inventory:purchase_order_cancel", args=[order.pk]) in detail


# --- Supplier services ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "terms",
    [
        {"reliability": Decimal("1.2")},
        {"reliability": "-0.1"},
        {"pack_size": 0},
        {"minimum_order_quantity": 0},
        {"lead_time_days": -1},
        {"currency": "XYZ"},
        {"email": "not-an-address"},
        {"name": "  "},
    ],
)
def test_create_supplier_refuses_bad_terms(terms):
    with pytest.raises(InvalidInput):
        create_supplier(**{"code": "NEW", "name": "Yeni Tedarikçi", **terms})
    assert not Supplier.objects.exists()


def test_create_supplier_refuses_a_taken_code_and_update_keeps_rules():
    supplier = create_supplier(code="ant-1", name="Anadolu", reliability="0.855")
    assert (supplier.code, supplier.reliability) == ("ANT-1", Decimal("0.86"))
    with pytest.raises(Conflict):
        create_supplier(code="ANT-1", name="Other")
    other = create_supplier(code="EGE", name="Ege")
    with pytest.raises(Conflict):
        update_supplier(supplier=other, code="ant-1")
    with pytest.raises(InvalidInput):
        update_supplier(supplier=other, pack_size=0)
    update_supplier(supplier=other, lead_time_days=3, reliability=Decimal("0.7"))
    other.refresh_from_db()
    assert (other.code, other.lead_time_days, other.reliability, other.pack_size) == (
        "EGE",
        3,
        Decimal("0.70"),
        1,
    )
    assert timeline_for(other).filter(name="supplier.updated").exists()


def test_supplier_address_and_tax_identity_are_validated():
    supplier = create_supplier(
        code="EGE",
        name="Ege Konfeksiyon",
        contact_name="  Zeynep   Kaya ",
        address_line="Kazımdirik Mah. 372. Sok. No: 8",
        district="Bornova",
        province=35,
        postal_code="35100",
        tax_office="Bornova",
        tax_number="454 053 6920",
    )
    supplier.refresh_from_db()
    assert (supplier.contact_name, supplier.province.name, supplier.postal_code, supplier.tax_number) == (
        "Zeynep Kaya",
        "İzmir",
        "35100",
        "4540536920",
    )
    for bad in [
        {"tax_number": "4540536921"},  # VKN check digit
        {"tax_number": "17291716050"},  # TCKN check digits
        {"tax_number": "12345"},
        {"postal_code": "3510"},
        {"province": 35, "postal_code": "34100"},  # an İstanbul code in İzmir
        {"province": 99},
        {"tax_office": "x" * 81},
    ]:
        with pytest.raises(InvalidInput):
            create_supplier(code="NEW", name="Yeni", **bad)
        with pytest.raises(InvalidInput):
            update_supplier(supplier=supplier, **bad)
    assert not Supplier.objects.filter(code="NEW").exists()
    supplier.refresh_from_db()
    assert (supplier.province_id, supplier.postal_code, supplier.tax_number) == (35, "35100", "4540536920")
    # The postal code is checked against the province it will have: moving both together is fine.
    with pytest.raises(InvalidInput):
        update_supplier(supplier=supplier, province=Province.objects.get(code=34))
    update_supplier(supplier=supplier, province=34, postal_code="34490", tax_number="10000000146")
    supplier.refresh_from_db()
    assert (supplier.province_id, supplier.postal_code, supplier.tax_number) == (34, "34490", "10000000146")
    update_supplier(supplier=supplier, province=None, postal_code="", tax_number="")
    supplier.refresh_from_db()
    assert (supplier.province, supplier.postal_code, supplier.tax_number) == (None, "", "")
    changes = list(timeline_for(supplier).filter(name="supplier.updated").values_list("data", flat=True))
    assert {"province": "İstanbul", "postal_code": "34490", "tax_number": "10000000146"} in changes
    assert {"province": "", "postal_code": "", "tax_number": ""} in changes


def test_one_preferred_supplier_per_variant_unless_switched_explicitly():
    variant = make_variant()
    first, second = make_supplier(), make_supplier()
    add_supplier_item(supplier=first, variant=variant, cost=Decimal("10"), is_preferred=True)
    with pytest.raises(Conflict) as refused:
        add_supplier_item(supplier=second, variant=variant, cost=Decimal("9"), is_preferred=True)
    assert refused.value.code == "preferred_supplier_exists"
    assert not SupplierItem.objects.filter(supplier=second).exists()
    item = add_supplier_item(supplier=second, variant=variant, cost=Decimal("9"))
    with pytest.raises(Conflict):
        update_supplier_item(item=item, cost=Decimal("9"), is_preferred=True)
    update_supplier_item(item=item, cost=Decimal("8.5"), is_preferred=True, switch_preferred=True)
    preferred = SupplierItem.objects.get(variant=variant, is_preferred=True)
    assert (preferred.supplier, preferred.cost) == (second, Decimal("8.50"))


# --- Supplier pages -------------------------------------------------------------------------------


SUPPLIER_FORM = {
    "code": "ege-knf",
    "name": "Ege Konfeksiyon Ltd. Şti.",
    "email": "satis@ege.example",
    "phone": "+902324418890",
    "lead_time_days": "14",
    "minimum_order_quantity": "12",
    "pack_size": "6",
    "reliability": "0.78",
    "currency": "TRY",
    "is_active": "on",
}


def test_operator_creates_and_edits_a_supplier(operator_client):
    response = operator_client.post(reverse("inventory:supplier_create"), SUPPLIER_FORM)
    supplier = Supplier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:supplier", args=[supplier.pk])
    assert (supplier.code, supplier.pack_size, supplier.reliability) == ("EGE-KNF", 6, Decimal("0.78"))
    assert timeline_for(supplier).filter(name="supplier.created").exists()
    response = operator_client.post(
        reverse("inventory:supplier_edit", args=[supplier.pk]), {**SUPPLIER_FORM, "lead_time_days": "9"}
    )
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.lead_time_days == 9


@pytest.mark.parametrize(
    ("field", "value"),
    [("reliability", "1.5"), ("pack_size", "0"), ("minimum_order_quantity", "-1"), ("code", "A B")],
)
def test_bad_supplier_input_is_422_and_writes_nothing(operator_client, field, value):
    response = operator_client.post(reverse("inventory:supplier_create"), {**SUPPLIER_FORM, field: value})
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert not Supplier.objects.exists()


SUPPLIER_ADDRESS = {
    "contact_name": "Zeynep Kaya",
    "address_line": "Kazımdirik Mah. 372. Sok. No: 8",
    "district": "Bornova",
    "province": "35",
    "postal_code": "35100",
    "tax_office": "Bornova",
    "tax_number": "454 053 6920",
}


def test_operator_creates_a_supplier_with_address_and_tax_number(operator_client):
    response = operator_client.post(
        reverse("inventory:supplier_create"), {**SUPPLIER_FORM, **SUPPLIER_ADDRESS}
    )
    assert response.status_code == 302
    supplier = Supplier.objects.get()
    assert (
        supplier.contact_name,
        supplier.address_line,
        supplier.district,
        supplier.province_id,
        supplier.postal_code,
        supplier.tax_office,
        supplier.tax_number,
    ) == ("Zeynep Kaya", "Kazımdirik Mah. 372. Sok. No: 8", "Bornova", 35, "35100", "Bornova", "4540536920")
    detail = operator_client.get(reverse("inventory:supplier", args=[supplier.pk]))
    html = detail.content.decode()
    for shown in ("Zeynep Kaya", "Kazımdirik Mah. 372. Sok. No: 8", "35100 Bornova / İzmir", "4540536920"):
        assert shown in html
    edit = operator_client.get(reverse("inventory:supplier_edit", args=[supplier.pk]))
    assert edit.context["form"]["province"].value() == 35
    assert edit.context["form"]["tax_number"].value() == "4540536920"
    # A sole trader's T.C. identity number is a tax number too; clearing the address is allowed.
    response = operator_client.post(
        reverse("inventory:supplier_edit", args=[supplier.pk]),
        {**SUPPLIER_FORM, **SUPPLIER_ADDRESS, "tax_number": "10000000146", "province": "", "postal_code": ""},
    )
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert (supplier.tax_number, supplier.province, supplier.postal_code) == ("10000000146", None, "")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tax_number": "4540536921"}, "tax_number"),  # wrong VKN check digit
        ({"tax_number": "17291716050"}, "tax_number"),  # wrong TCKN check digits
        ({"tax_number": "123"}, "tax_number"),
        ({"postal_code": "3510"}, "postal_code"),
        ({"postal_code": "34100"}, "postal_code"),  # not an İzmir postal code
        ({"province": "82"}, "province"),
    ],
)
def test_an_invalid_tax_number_or_address_is_422_and_writes_nothing(operator_client, changes, field):
    payload = {**SUPPLIER_FORM, **SUPPLIER_ADDRESS, **changes}
    response = operator_client.post(reverse("inventory:supplier_create"), payload)
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert not Supplier.objects.exists()
    supplier = make_supplier(code="EGE-KNF", tax_number="4540536920")
    response = operator_client.post(reverse("inventory:supplier_edit", args=[supplier.pk]), payload)
    assert response.status_code == 422
    supplier.refresh_from_db()
    assert (supplier.tax_number, supplier.province_id) == ("4540536920", None)


def test_a_taken_supplier_code_is_a_field_error(operator_client):
    make_supplier(code="EGE-KNF")
    response = operator_client.post(reverse("inventory:supplier_create"), SUPPLIER_FORM)
    assert response.status_code == 422
    assert response.context["form"].errors["code"]
    assert Supplier.objects.count() == 1


def test_supplier_list_search_filter_and_figures(operator_client, po):
    _order, _shirt, _socks = po
    make_supplier(code="OLD", name="Eski Tedarikçi", is_active=False)
    response = operator_client.get(reverse("inventory:suppliers"))
    rows = {s.code: (s.item_count, s.open_order_count) for s in response.context["page"]}
    assert rows == {"ANT": (1, 1), "OLD": (0, 0)}
    assert [
        s.code for s in operator_client.get(reverse("inventory:suppliers"), {"q": "eski"}).context["page"]
    ] == ["OLD"]
    active = operator_client.get(reverse("inventory:suppliers"), {"active": "1"})
    assert [s.code for s in active.context["page"]] == ["ANT"]
    fragment = operator_client.get(
        reverse("inventory:suppliers"), {"q": "ANT"}, headers={"HX-Request": "true"}
    )
    assert b'id="results"' in fragment.content
    assert b"<html" not in fragment.content


def test_supplier_detail_shows_items_and_orders(warehouse_client, po):
    order, shirt, _socks = po
    html = warehouse_client.get(reverse("inventory:supplier", args=[order.supplier_id])).content.decode()
    assert shirt.sku in html
    assert order.number in html
    assert "siparis@anadolu.example" in html


def test_add_supplier_items_by_sku_or_barcode(operator_client, po):
    _order, shirt, socks = po
    other = make_supplier(code="EGE")
    url = reverse("inventory:supplier_item_add", args=[other.pk])
    response = operator_client.post(url, {"variant": shirt.barcode, "cost": "57,40", "supplier_sku": "E-1"})
    assert response.status_code == 302
    assert operator_client.post(url, {"variant": "corap-39 ".upper(), "cost": ""}).status_code == 302
    items = {
        i.variant.sku: (i.cost, i.supplier_sku, i.is_preferred) for i in other.items.select_related("variant")
    }
    assert items == {shirt.sku: (Decimal("57.40"), "E-1", False), socks.sku: (Decimal("12.50"), "", False)}


def test_bad_supplier_item_input_is_422(operator_client, po):
    order, shirt, _socks = po
    url = reverse("inventory:supplier_item_add", args=[order.supplier_id])
    for data in ({"variant": "NOPE"}, {"variant": "CORAP-39", "cost": "-3"}, {"variant": shirt.sku}):
        response = operator_client.post(url, data)
        assert response.status_code == 422, data
    assert SupplierItem.objects.count() == 1


def test_a_second_preferred_supplier_is_refused_with_a_message_then_switched(operator_client, po):
    _order, shirt, _socks = po
    other = make_supplier(code="EGE", name="Ege")
    url = reverse("inventory:supplier_item_add", args=[other.pk])
    referer = reverse("inventory:supplier", args=[other.pk])
    response = operator_client.post(url, {"variant": shirt.sku, "is_preferred": "on"}, HTTP_REFERER=referer)
    assert response.status_code == 302
    assert response["Location"] == referer
    [(level, text)] = page_messages(response)
    assert level == message_levels.ERROR
    assert "Anadolu Tekstil" in text
    assert shirt.sku in text
    assert not other.items.exists()
    response = operator_client.post(
        url, {"variant": shirt.sku, "is_preferred": "on", "switch_preferred": "on"}
    )
    assert response.status_code == 302
    assert SupplierItem.objects.get(variant=shirt, is_preferred=True).supplier == other


def test_edit_and_remove_a_supplier_item(operator_client, po):
    order, shirt, _socks = po
    item = SupplierItem.objects.get(variant=shirt)
    edit = reverse("inventory:supplier_item_edit", args=[order.supplier_id, item.pk])
    assert operator_client.get(edit).status_code == 200
    assert operator_client.post(edit, {"cost": "abc"}).status_code == 422
    response = operator_client.post(edit, {"cost": "51.25", "supplier_sku": "A-9"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.cost, item.supplier_sku, item.is_preferred) == (Decimal("51.25"), "A-9", False)
    operator_client.post(reverse("inventory:supplier_item_remove", args=[order.supplier_id, item.pk]))
    assert not SupplierItem.objects.filter(pk=item.pk).exists()


def test_variant_search_fills_the_field_or_adds_a_row(operator_client, po):
    order, shirt, socks = po
    search = reverse("inventory:purchasing_variant_search")
    results = operator_client.get(
        search, {"variant": "8690000", "mode": "field"}, headers={"HX-Request": "true"}
    )
    assert shirt.sku in results.content.decode()
    assert socks.sku not in results.content.decode()
    pick = operator_client.get(
        reverse("inventory:purchasing_variant_pick"), {"variant": shirt.pk}, headers={"HX-Request": "true"}
    )
    assert f'value="{shirt.sku}"' in pick.content.decode()
    # A scanned barcode in the new-order search adds the line at once, priced from the supplier.
    scanned = operator_client.get(
        search,
        {"q": shirt.barcode, "mode": "row", "supplier": order.supplier_id},
        headers={"HX-Request": "true"},
    )
    assert scanned["HX-Retarget"] == "#po-lines"
    html = scanned.content.decode()
    assert f'name="line_sku" value="{shirt.sku}"' in html
    assert 'placeholder="55.00"' in html or 'placeholder="55,00"' in html


# --- Purchase order list --------------------------------------------------------------------------


def test_purchase_order_list_filters_and_figures(warehouse_client, po):
    order, shirt, socks = po
    today = timezone.localdate()
    late = create_purchase_order(
        supplier=order.supplier,
        warehouse=order.warehouse,
        lines=[OrderLineInput(shirt, 3)],
        expected_date=today - timedelta(days=2),
    )
    send_purchase_order(order=late, notify_supplier=False)
    other_supplier = make_supplier(code="EGE")
    elsewhere = create_purchase_order(
        supplier=other_supplier,
        warehouse=make_warehouse("ANK"),
        lines=[OrderLineInput(socks, 5)],
        expected_date=today - timedelta(days=5),  # late, but only a draft: not overdue
    )
    url = reverse("inventory:purchase_orders")

    def numbers(**params) -> list[str]:
        return [o.number for o in warehouse_client.get(url, params).context["page"]]

    assert numbers() == [elsewhere.number, late.number, order.number]
    assert numbers(overdue="true") == [late.number]
    assert numbers(status="sent") == [late.number]
    assert numbers(supplier=other_supplier.pk) == [elsewhere.number]
    assert numbers(warehouse=order.warehouse_id) == [late.number, order.number]
    assert numbers(q=order.number[-3:]) == [order.number]
    row = next(o for o in warehouse_client.get(url).context["page"] if o.pk == order.pk)
    assert (row.line_count, row.units_ordered, row.units_received) == (2, 14, 0)
    assert row.total_cost == Decimal("600.00")  # 10 x 55.00 + 4 x 12.50
    assert "overdue" in warehouse_client.get(url, {"overdue": "true"}).content.decode()


def test_purchase_order_list_query_count_does_not_grow_with_rows(
    warehouse_client, django_assert_max_num_queries
):
    supplier, warehouse = make_supplier(), make_warehouse()
    variants = [make_variant() for _ in range(3)]

    def an_order():
        create_purchase_order(
            supplier=supplier, warehouse=warehouse, lines=[OrderLineInput(v, 2) for v in variants]
        )

    an_order()
    with CaptureQueriesContext(connection) as few:
        warehouse_client.get(reverse("inventory:purchase_orders"))
    for _ in range(30):
        an_order()
    with django_assert_max_num_queries(len(few)) as many:
        response = warehouse_client.get(reverse("inventory:purchase_orders"))
    assert len(response.context["page"]) == 31
    assert len(many) == len(few)


def test_supplier_list_query_count_does_not_grow_with_rows(warehouse_client, django_assert_max_num_queries):
    variant, warehouse = make_variant(), make_warehouse()

    def a_supplier():
        supplier = make_supplier()
        SupplierItem.objects.create(supplier=supplier, variant=variant, cost=Decimal(1))
        create_purchase_order(supplier=supplier, warehouse=warehouse, lines=[OrderLineInput(variant, 1)])

    a_supplier()
    with CaptureQueriesContext(connection) as few:
        warehouse_client.get(reverse("inventory:suppliers"))
    for _ in range(20):
        a_supplier()
    with django_assert_max_num_queries(len(few)) as many:
        response = warehouse_client.get(reverse("inventory:suppliers"))
    assert len(response.context["page"]) == 21
    assert len(many) == len(few)


# --- Creating and editing orders ------------------------------------------------------------------


def test_operator_creates_a_draft_with_lines(operator_client, po):
    order, shirt, socks = po
    supplier, warehouse = order.supplier, order.warehouse
    response = operator_client.post(
        reverse("inventory:purchase_order_create"),
        {
            "supplier": supplier.pk,
            "warehouse": warehouse.pk,
            "expected_date": "",
            "note": "Paletli teslimat",
            "line_sku": [shirt.barcode, socks.sku, "", shirt.sku],
            "line_quantity": ["5", "8", "", "2"],
            "line_cost": ["", "11,75", "", ""],
        },
    )
    created = PurchaseOrder.objects.exclude(pk=order.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:purchase_order", args=[created.pk])
    assert created.status == PurchaseOrderStatus.DRAFT
    assert created.expected_date == timezone.localdate() + timedelta(days=10)  # the supplier's lead time
    assert created.note == "Paletli teslimat"
    # The shirt on two rows is one line; without a cost it is the supplier's price.
    assert lines_of(created) == {shirt.sku: (7, Decimal("55.00")), socks.sku: (8, Decimal("11.75"))}


@pytest.mark.parametrize(
    "lines",
    [
        {},
        {"line_sku": ["NOPE"], "line_quantity": ["1"], "line_cost": [""]},
        {"line_sku": ["CORAP-39"], "line_quantity": ["0"], "line_cost": [""]},
        {"line_sku": ["CORAP-39"], "line_quantity": ["2"], "line_cost": ["-1"]},
    ],
)
def test_bad_new_order_is_422_and_writes_nothing(operator_client, po, lines):
    order, _shirt, _socks = po
    data = {"supplier": order.supplier_id, "warehouse": order.warehouse_id, **lines}
    response = operator_client.post(reverse("inventory:purchase_order_create"), data)
    assert response.status_code == 422
    assert PurchaseOrder.objects.count() == 1


def test_draft_lines_are_added_changed_and_removed(operator_client, po):
    order, shirt, socks = po
    add = reverse("inventory:purchase_order_line_add", args=[order.pk])
    assert operator_client.post(add, {"variant": shirt.sku, "quantity": "5"}).status_code == 302
    tea = make_variant(sku="CAY-1KG", cost_price=Decimal("150"))
    assert (
        operator_client.post(add, {"variant": "CAY-1KG", "quantity": "3", "unit_cost": "140"}).status_code
        == 302
    )
    assert lines_of(order) == {
        shirt.sku: (15, Decimal("55.00")),
        socks.sku: (4, Decimal("12.50")),
        tea.sku: (3, Decimal("140.00")),
    }
    line = order.lines.get(variant=socks)
    change = reverse("inventory:purchase_order_line_change", args=[order.pk, line.pk])
    assert operator_client.post(change, {"quantity": "0"}).status_code == 422
    assert operator_client.post(change, {"quantity": "6", "unit_cost": "12"}).status_code == 302
    assert lines_of(order)[socks.sku] == (6, Decimal("12.00"))
    operator_client.post(reverse("inventory:purchase_order_line_remove", args=[order.pk, line.pk]))
    assert set(lines_of(order)) == {shirt.sku, tea.sku}
    assert operator_client.post(add, {"variant": "NOPE", "quantity": "1"}).status_code == 422
    names = list(timeline_for(order).values_list("name", flat=True))
    assert names.count("purchase_order.line_added") == 2
    assert "purchase_order.line_changed" in names
    assert "purchase_order.line_removed" in names


def test_the_last_line_cannot_be_removed(po):
    order, shirt, socks = po
    remove_purchase_order_line(line=order.lines.get(variant=socks))
    with pytest.raises(InvalidInput):
        remove_purchase_order_line(line=order.lines.get(variant=shirt))
    assert order.lines.count() == 1


def test_lines_of_a_sent_order_cannot_change(operator_client, po):
    order, shirt, socks = po
    send_purchase_order(order=order, notify_supplier=False)
    line = order.lines.get(variant=socks)
    for act in (
        lambda: add_purchase_order_line(order=order, variant=shirt, quantity=1),
        lambda: change_purchase_order_line(line=line, quantity=9),
        lambda: remove_purchase_order_line(line=line),
    ):
        with pytest.raises(Conflict):
            act()
    detail = reverse("inventory:purchase_order", args=[order.pk])
    response = operator_client.post(
        reverse("inventory:purchase_order_line_change", args=[order.pk, line.pk]),
        {"quantity": "9"},
        HTTP_REFERER=detail,
    )
    assert response["Location"] == detail
    [(level, text)] = page_messages(response)
    assert level == message_levels.ERROR
    assert order.number in text
    assert lines_of(order)[socks.sku] == (4, Decimal("12.50"))


def test_edit_an_open_orders_expected_date_but_not_the_warehouse_once_sent(operator_client, po):
    order, _shirt, _socks = po
    url = reverse("inventory:purchase_order_edit", args=[order.pk])
    new_date = timezone.localdate() + timedelta(days=20)
    other = make_warehouse("ANK")
    data = {"warehouse": other.pk, "expected_date": new_date.isoformat(), "note": "Randevulu"}
    assert operator_client.post(url, data).status_code == 302
    order.refresh_from_db()
    assert (order.warehouse, order.expected_date, order.note) == (other, new_date, "Randevulu")
    send_purchase_order(order=order, notify_supplier=False)
    assert "warehouse" not in operator_client.get(url).context["form"].fields
    assert operator_client.post(url, {"expected_date": "nonsense"}).status_code == 422


# --- Sending, e-mail, cancelling ------------------------------------------------------------------


def test_sending_emails_the_pdf_to_the_supplier_once(operator_client, po, django_capture_on_commit_callbacks):
    order, _shirt, _socks = po
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = operator_client.post(reverse("inventory:purchase_order_send", args=[order.pk]))
    assert response.status_code == 302
    assert len(callbacks) == 1
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.SENT
    assert order.sent_at
    [message] = mail.outbox
    assert message.to == ["siparis@anadolu.example"]
    assert order.number in message.subject
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"{order.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    emailed = timeline_for(order).filter(name="purchase_order.emailed")
    assert list(emailed.values_list("message", flat=True)) == ["siparis@anadolu.example"]
    # A repeated task (a retry, a duplicate message) sends nothing more.
    from inventory.tasks import email_purchase_order as task

    assert task.delay(order.pk).get() is False
    assert len(mail.outbox) == 1
    assert emailed.count() == 1


def test_no_email_without_an_address_or_for_a_cancelled_order(po, django_capture_on_commit_callbacks):
    order, _shirt, _socks = po
    Supplier.objects.filter(pk=order.supplier_id).update(email="")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_purchase_order(order=order)
    assert callbacks == []
    Supplier.objects.filter(pk=order.supplier_id).update(email="x@example.com")
    cancel_purchase_order(order=order, reason="test")
    assert email_purchase_order(order_id=order.pk) is False
    assert mail.outbox == []


def test_sending_twice_is_refused_with_a_message(operator_client, po):
    order, _shirt, _socks = po
    send_purchase_order(order=order, notify_supplier=False)
    detail = reverse("inventory:purchase_order", args=[order.pk])
    response = operator_client.post(
        reverse("inventory:purchase_order_send", args=[order.pk]), HTTP_REFERER=detail
    )
    assert response["Location"] == detail
    [(level, _text)] = page_messages(response)
    assert level == message_levels.ERROR
    assert timeline_for(order).filter(name="purchase_order.sent").count() == 1


def test_cancel_needs_a_reason_and_received_orders_stay(operator_client, po):
    order, shirt, _socks = po
    url = reverse("inventory:purchase_order_cancel", args=[order.pk])
    assert operator_client.post(url, {"reason": ""}).status_code == 422
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.DRAFT
    assert operator_client.post(url, {"reason": "Fiyat değişti"}).status_code == 302
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.CANCELLED
    assert timeline_for(order).filter(name="purchase_order.cancelled", message="Fiyat değişti").exists()
    # A fully received order cannot be cancelled: the page says so.
    done = create_purchase_order(
        supplier=order.supplier, warehouse=order.warehouse, lines=[OrderLineInput(shirt, 2)]
    )
    send_purchase_order(order=done, notify_supplier=False)
    receive_goods(warehouse=order.warehouse, purchase_order=done, lines=[ReceiptInput(shirt, 2)])
    with pytest.raises(IllegalTransition):
        cancel_purchase_order(order=done)
    response = operator_client.post(
        reverse("inventory:purchase_order_cancel", args=[done.pk]),
        {"reason": "x"},
        HTTP_REFERER="/inventory/",
    )
    assert page_messages(response)[-1][0] == message_levels.ERROR
    done.refresh_from_db()
    assert done.status == PurchaseOrderStatus.RECEIVED


def test_detail_shows_outstanding_receipts_and_history(warehouse_client, po):
    order, shirt, socks = po
    send_purchase_order(order=order, notify_supplier=False)
    receipt = receive_goods(warehouse=order.warehouse, purchase_order=order, lines=[ReceiptInput(shirt, 6)])
    response = warehouse_client.get(reverse("inventory:purchase_order", args=[order.pk]))
    lines = {
        line.variant.sku: (line.quantity_received, line.outstanding) for line in response.context["lines"]
    }
    assert lines == {shirt.sku: (6, 4), socks.sku: (0, 4)}
    assert response.context["outstanding"] == 8
    assert [r.number for r in response.context["receipts"]] == [receipt.number]
    html = response.content.decode()
    assert receipt.number in html
    names = [entry.name for entry in response.context["timeline"]]
    assert names[:2] == ["purchase_order.partially_received", "purchase_order.sent"]


# --- PDF ------------------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str | None:
    """The PDF's text with pypdf or poppler's pdftotext when available (no new dependency)."""
    try:
        from pypdf import PdfReader
    except ImportError:
        PdfReader = None
    if PdfReader is not None:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    if shutil.which("pdftotext"):
        result = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True, timeout=30
        )
        return result.stdout.decode()
    return None


def test_purchase_order_pdf(warehouse_client, po):
    order, shirt, _socks = po
    response = warehouse_client.get(reverse("inventory:purchase_order_pdf", args=[order.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{order.number}.pdf"'
    assert response.content.startswith(b"%PDF")
    download = warehouse_client.get(reverse("inventory:purchase_order_pdf", args=[order.pk]), {"download": 1})
    assert download["Content-Disposition"].startswith("attachment;")
    text = pdf_text(response.content)
    if text is None:
        pytest.fail("neither pypdf nor pdftotext is installed (make test installs poppler-utils)")
    assert order.number in text
    assert shirt.sku in text
    assert shirt.barcode in text
    assert "Anadolu Tekstil" in text


def test_purchase_order_pdf_shows_the_suppliers_address_and_tax_identity(warehouse_client, po, settings):
    order, _shirt, _socks = po
    update_supplier(
        supplier=order.supplier,
        contact_name="Serkan Aydın",
        address_line="Mustafa Karaer Cad. No: 14",
        district="Osmangazi",
        province=16,
        postal_code="16245",
        tax_office="Uludağ Kurumlar",
        tax_number="0684123759",
    )
    settings.COMPANY = {
        "name": "Örnek Ticaret A.Ş.",
        "district": "Kadıköy",
        "province": "İstanbul",
        "tax_office": "Kadıköy",
        "tax_number": "4540536920",
        "website": "ornek.example",
    }
    response = warehouse_client.get(reverse("inventory:purchase_order_pdf", args=[order.pk]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    if text is None:
        pytest.fail("neither pypdf nor pdftotext is installed (make test installs poppler-utils)")
    flat = " ".join(text.split())
    for shown in (
        "0684123759",
        "Uludağ Kurumlar",
        "Mustafa Karaer Cad. No: 14",
        "16245 Osmangazi / Bursa",
        "Serkan Aydın",
        "Örnek Ticaret A.Ş.",
        "Kadıköy / İstanbul",
        "4540536920",
        "ornek.example",
    ):
        assert shown in flat, shown


# --- Reorder --------------------------------------------------------------------------------------


@pytest.fixture
def fast_seller():
    """400 sold in 28 days (100 a week) from 420: at R = 150 with 20 left, 230 to order in packs of 10."""
    supplier = make_supplier(
        code="ANT",
        name="Anadolu",
        lead_time_days=7,
        reliability=Decimal("0.75"),
        minimum_order_quantity=50,
        pack_size=10,
    )
    variant, warehouse = stocked(420)
    SupplierItem.objects.create(supplier=supplier, variant=variant, cost=Decimal("40.00"), is_preferred=True)
    sell(variant, warehouse, 400)
    unsourced, _w = stocked(50, warehouse=warehouse)
    sell(unsourced, warehouse, 45)
    return supplier, variant, warehouse, unsourced


def test_reorder_page_shows_suggestions_with_their_figures(warehouse_client, fast_seller):
    supplier, variant, _warehouse, unsourced = fast_seller
    response = warehouse_client.get(reverse("inventory:reorder"))
    rows = {row.variant.sku: row for row in response.context["rows"]}
    assert set(rows) == {variant.sku, unsourced.sku}
    row = rows[variant.sku]
    assert (row.available, row.on_order, row.reorder_point, row.quantity) == (20, 0, 150, 230)
    assert (row.supplier, row.unit_cost, row.line_cost) == (supplier, Decimal("40.00"), Decimal("9200.00"))
    assert rows[unsourced.sku].supplier is None
    assert reverse("inventory:reorder_draft") not in response.content.decode()  # warehouse staff
    by_supplier = warehouse_client.get(reverse("inventory:reorder"), {"supplier": supplier.pk})
    assert [r.variant.sku for r in by_supplier.context["rows"]] == [variant.sku]
    elsewhere = warehouse_client.get(reverse("inventory:reorder"), {"warehouse": make_warehouse().pk})
    assert elsewhere.context["rows"] == []


def test_drafting_from_the_reorder_page(operator_client, fast_seller):
    supplier, variant, warehouse, _unsourced = fast_seller
    response = operator_client.post(reverse("inventory:reorder_draft"))
    assert response.status_code == 302
    order = PurchaseOrder.objects.get()
    assert (order.supplier, order.warehouse, order.status) == (supplier, warehouse, PurchaseOrderStatus.DRAFT)
    assert lines_of(order) == {variant.sku: (230, Decimal("40.00"))}
    texts = dict(page_messages(response))
    assert reverse("inventory:purchase_order", args=[order.pk]) in texts[message_levels.SUCCESS]
    assert "1" in texts[message_levels.WARNING]  # the unsourced one
    # Now on order: nothing more to draft, and the page shows it as on order.
    response = operator_client.post(reverse("inventory:reorder_draft"))
    assert PurchaseOrder.objects.count() == 1
    assert message_levels.INFO in dict(page_messages(response))
    rows = operator_client.get(reverse("inventory:reorder")).context["rows"]
    assert variant.sku not in [row.variant.sku for row in rows]


def test_reorder_query_count_does_not_grow_with_rows(warehouse_client, django_assert_max_num_queries):
    supplier, warehouse = make_supplier(), make_warehouse()

    def a_seller():
        variant, _w = stocked(30, warehouse=warehouse)
        SupplierItem.objects.create(supplier=supplier, variant=variant, cost=Decimal(5), is_preferred=True)
        sell(variant, warehouse, 28)

    a_seller()
    with CaptureQueriesContext(connection) as few:
        warehouse_client.get(reverse("inventory:reorder"))
    for _ in range(15):
        a_seller()
    with django_assert_max_num_queries(len(few)) as many:
        response = warehouse_client.get(reverse("inventory:reorder"))
    assert len(response.context["rows"]) == 16
    assert len(many) == len(few)


# --- Demo -----------------------------------------------------------------------------------------


def purchasing_snapshot() -> dict:
    return {
        "suppliers": sorted(
            Supplier.objects.values_list("code", "name", "lead_time_days", "reliability", "pack_size")
        ),
        "items": sorted(
            SupplierItem.objects.values_list("supplier__code", "variant__sku", "cost", "is_preferred")
        ),
        "orders": sorted(
            PurchaseOrder.objects.values_list(
                "number", "supplier__code", "warehouse__code", "status", "expected_date"
            )
        ),
        "lines": sorted(
            PurchaseOrderLine.objects.values_list(
                "order__number", "variant__sku", "quantity_ordered", "quantity_received"
            )
        ),
    }


def seed_purchasing_and_forget(seed: int, admin) -> tuple[dict, dict]:
    with transaction.atomic():
        counts = seed_purchasing(random.Random(seed), admin=admin)
        taken = purchasing_snapshot()
        transaction.set_rollback(True)
    return counts, taken


def test_demo_purchasing_is_deterministic_and_covers_every_state(admin_user, assert_consistent):
    seed_inventory(random.Random(1), admin=admin_user, scale=0.05)
    counts, first = seed_purchasing_and_forget(7, admin_user)
    assert not Supplier.objects.exists()
    _counts, second = seed_purchasing_and_forget(7, admin_user)
    assert first == second
    assert counts["suppliers"] == len(SUPPLIERS) == 8
    assert counts["purchase_orders"] == 15
    assert set(counts["purchase_orders_by_status"]) == set(PurchaseOrderStatus.values)
    assert counts["receipts"] == 6

    seed_purchasing(random.Random(7), admin=admin_user)
    assert purchasing_snapshot() == first
    assert_consistent()
    # Every sellable variant has exactly one preferred supplier, priced near its cost price.
    for variant in Variant.objects.filter(is_active=True).prefetch_related("supplier_items"):
        preferred = [item for item in variant.supplier_items.all() if item.is_preferred]
        assert len(preferred) == 1, variant.sku
        assert (
            variant.cost_price * Decimal("0.9") <= preferred[0].cost <= variant.cost_price * Decimal("1.06")
        )
    today = timezone.localdate()
    overdue = PurchaseOrder.objects.filter(
        status__in=[PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED], expected_date__lt=today
    )
    assert overdue.count() >= 3
    assert Supplier.objects.filter(email="").exists()
    assert Supplier.objects.exclude(email="").count() == 7
    # Every demo supplier has an address in a real province (its postal code's prefix) and a VKN.
    for supplier in Supplier.objects.select_related("province"):
        assert all((supplier.contact_name, supplier.address_line, supplier.district, supplier.tax_office)), (
            supplier.code
        )
        assert supplier.postal_code[:2] == f"{supplier.province.code:02d}"
        assert validate_vkn(supplier.tax_number) == supplier.tax_number
    assert len({s.tax_number for s in Supplier.objects.all()}) == len(SUPPLIERS)
    assert not mail.outbox


def test_demo_pages_render(operator_client, admin_user):
    seed_inventory(random.Random(1), admin=admin_user, scale=0.05)
    seed_purchasing(random.Random(7), admin=admin_user)
    order = PurchaseOrder.objects.filter(status=PurchaseOrderStatus.PARTIALLY_RECEIVED).first()
    for url in [
        reverse("inventory:suppliers"),
        reverse("inventory:supplier", args=[order.supplier_id]),
        reverse("inventory:purchase_orders"),
        reverse("inventory:purchase_order", args=[order.pk]),
        reverse("inventory:reorder"),
    ]:
        assert operator_client.get(url).status_code == 200, url
    assert operator_client.get(reverse("inventory:purchase_order_pdf", args=[order.pk])).content.startswith(
        b"%PDF"
    )
