"""Low-stock alerts page: filters, tier counts, acknowledging (single and bulk), re-evaluating."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.alerts import AlertResolved, acknowledge_alert, acknowledge_alerts
from inventory.models import AlertStatus, AlertTier, StockAlert
from inventory.panel.alerts import _url_or_none
from inventory.replenishment import evaluate_alerts
from inventory.services import add_stock, remove_stock
from oms.models import Event
from tests.inventory.factories import make_category, make_product, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db

URL = "inventory:alerts"


def low(quantity: int, **kwargs):
    """A variant with ``quantity`` units (category thresholds: minimum 20, critical 5) and its alert."""
    variant, warehouse = stocked(quantity, **kwargs)
    evaluate_alerts(pairs=[(variant.pk, warehouse.pk)])
    return StockAlert.objects.get(variant=variant, warehouse=warehouse, status=AlertStatus.OPEN)


def listed(response) -> list[str]:
    return [alert.variant.sku for alert in response.context["page"]]


@pytest.fixture
def operator_client(client, user_factory):
    client.force_login(user_factory(role="operator", username="planner", language="en"))
    return client


@pytest.fixture
def warehouse_client(client, user_factory):
    client.force_login(user_factory(role="warehouse", username="depocu", language="en"))
    return client


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["warehouse", "operator", "admin"])
def test_inventory_roles_see_the_alerts(client, user_factory, role):
    alert = low(3)
    client.force_login(user_factory(role=role))
    response = client.get(reverse(URL))
    assert response.status_code == 200
    assert alert.variant.sku in response.content.decode()


def test_finance_gets_403_and_cannot_acknowledge(client, user_factory):
    alert = low(3)
    client.force_login(user_factory(role="finance"))
    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse("inventory:alert_acknowledge", args=[alert.pk])).status_code == 403
    assert client.post(reverse("inventory:alerts_acknowledge"), {"alert": [alert.pk]}).status_code == 403
    assert client.post(reverse("inventory:alerts_evaluate")).status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_warehouse_staff_may_not_acknowledge_nor_see_the_buttons(warehouse_client):
    alert = low(3)
    response = warehouse_client.get(reverse(URL))
    assert response.context["may_acknowledge"] is False
    assert reverse("inventory:alert_acknowledge", args=[alert.pk]).encode() not in response.content
    assert reverse("inventory:alerts_evaluate").encode() not in response.content
    assert warehouse_client.post(reverse("inventory:alert_acknowledge", args=[alert.pk])).status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_by is None


def test_acknowledging_needs_a_post(operator_client):
    alert = low(3)
    assert operator_client.get(reverse("inventory:alert_acknowledge", args=[alert.pk])).status_code == 405


# --- The list -------------------------------------------------------------------------------------


def test_open_alerts_by_default_with_current_available_and_tier_counts(operator_client):
    warehouse = make_warehouse()
    critical = low(3, warehouse=warehouse)
    approaching = low(15, warehouse=warehouse)
    variant, _w = stocked(1, warehouse=warehouse)
    remove_stock(variant=variant, warehouse=warehouse, quantity=1, reason="lost")
    evaluate_alerts(pairs=[(variant.pk, warehouse.pk)])
    resolved = low(4, warehouse=warehouse)
    add_stock(variant=resolved.variant, warehouse=warehouse, quantity=50)
    evaluate_alerts(pairs=[(resolved.variant_id, warehouse.pk)])
    remove_stock(variant=critical.variant, warehouse=warehouse, quantity=1, reason="lost")  # 2 left now

    response = operator_client.get(reverse(URL))

    assert set(listed(response)) == {critical.variant.sku, approaching.variant.sku, variant.sku}
    counts = {tier: n for tier, _label, n in response.context["tier_counts"]}
    assert counts == {AlertTier.OUT_OF_STOCK: 1, AlertTier.CRITICAL: 1, AlertTier.APPROACHING: 1}
    row = next(a for a in response.context["page"] if a.pk == critical.pk)
    assert (row.available, row.available_now, row.threshold) == (3, 2, 5)
    html = response.content.decode()
    assert reverse("inventory:variant", args=[critical.variant_id]) in html
    resolved_only = operator_client.get(reverse(URL), {"status": "resolved"})
    assert listed(resolved_only) == [resolved.variant.sku]
    assert len(listed(operator_client.get(reverse(URL), {"status": "all"}))) == 4


def test_filters_by_tier_warehouse_sku_and_acknowledgement(operator_client, operator):
    ist, ank = make_warehouse("IST"), make_warehouse("ANK")
    critical = low(2, warehouse=ist)
    approaching = low(12, warehouse=ank)
    acknowledge_alert(alert=approaching, user=operator)

    def skus(**params):
        return listed(operator_client.get(reverse(URL), params))

    assert skus(tier=AlertTier.CRITICAL) == [critical.variant.sku]
    assert skus(warehouse=ank.pk) == [approaching.variant.sku]
    assert skus(q=critical.variant.sku.lower()) == [critical.variant.sku]
    assert skus(acknowledged="yes") == [approaching.variant.sku]
    assert skus(acknowledged="no") == [critical.variant.sku]


def test_category_filter_includes_subcategories(operator_client):
    parent = make_category()
    child = make_category(parent=parent)
    inside = low(2, variant=make_variant(make_product(category=child)))
    outside = low(2)
    response = operator_client.get(reverse(URL), {"category": parent.pk})
    assert listed(response) == [inside.variant.sku]
    assert outside.variant.sku not in response.content.decode()


def test_htmx_filtering_returns_only_the_results(operator_client):
    alert = low(2)
    response = operator_client.get(reverse(URL), {"q": alert.variant.sku}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert alert.variant.sku in html
    assert "filter-bar" not in html


def test_reorder_link_only_when_the_page_exists(operator_client):
    alert = low(2)
    response = operator_client.get(reverse(URL))
    reorder = _url_or_none("inventory:reorder")
    assert response.context["reorder_url"] == reorder
    assert (f"{reorder}?warehouse={alert.warehouse_id}" in response.content.decode()) is (reorder is not None)
    assert _url_or_none("inventory:no_such_page") is None


def test_query_count_does_not_grow_with_alerts(operator_client, django_assert_max_num_queries):
    warehouse = make_warehouse()
    for _ in range(2):
        low(3, warehouse=warehouse)
    with CaptureQueriesContext(connection) as few:
        operator_client.get(reverse(URL))
    for _ in range(30):
        low(3, warehouse=warehouse)
    with django_assert_max_num_queries(len(few)) as many:
        response = operator_client.get(reverse(URL))
    assert len(response.context["page"]) == 32
    assert len(many) == len(few)


# --- Acknowledging --------------------------------------------------------------------------------


def test_operator_acknowledges_one_alert_which_stays_open(operator_client):
    alert = low(3)
    next_url = reverse(URL) + "?tier=critical"
    response = operator_client.post(
        reverse("inventory:alert_acknowledge", args=[alert.pk]), {"next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == next_url
    alert.refresh_from_db()
    assert alert.acknowledged_by.username == "planner"
    assert alert.acknowledged_at is not None
    assert alert.status == AlertStatus.OPEN
    event = Event.objects.get(name="stock.alert_acknowledged")
    assert (event.object_id, event.actor.username) == (str(alert.pk), "planner")


def test_acknowledge_ignores_a_foreign_next_url(operator_client):
    alert = low(3)
    response = operator_client.post(
        reverse("inventory:alert_acknowledge", args=[alert.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse(URL)


def test_acknowledging_twice_keeps_the_first_and_records_one_event(operator, admin_user):
    alert = low(3)
    acknowledge_alert(alert=alert, user=operator)
    again = acknowledge_alert(alert=alert.pk, user=admin_user)
    assert again.acknowledged_by == operator
    assert Event.objects.filter(name="stock.alert_acknowledged").count() == 1


def test_a_resolved_alert_cannot_be_acknowledged(operator_client, operator):
    alert = low(3)
    add_stock(variant=alert.variant, warehouse=alert.warehouse, quantity=100)
    evaluate_alerts()
    with pytest.raises(AlertResolved):
        acknowledge_alert(alert=alert, user=operator)
    response = operator_client.post(
        reverse("inventory:alert_acknowledge", args=[alert.pk]),
        HTTP_REFERER="http://testserver" + reverse(URL),
    )
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    assert not Event.objects.filter(name="stock.alert_acknowledged").exists()


def test_acknowledged_alert_resolves_when_stock_recovers(operator):
    alert = low(3)
    acknowledge_alert(alert=alert, user=operator)
    add_stock(variant=alert.variant, warehouse=alert.warehouse, quantity=100)
    evaluate_alerts(pairs=[(alert.variant_id, alert.warehouse_id)])
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_bulk_acknowledge_skips_resolved_and_already_acknowledged(operator_client, admin_user):
    first, second, done = low(2), low(3), low(4)
    acknowledge_alert(alert=done, user=admin_user)
    gone = low(1)
    add_stock(variant=gone.variant, warehouse=gone.warehouse, quantity=100)
    evaluate_alerts()

    response = operator_client.post(
        reverse("inventory:alerts_acknowledge"),
        {"alert": [first.pk, second.pk, done.pk, gone.pk, "x"]},
        follow=True,
    )

    assert response.status_code == 200
    assert StockAlert.objects.filter(acknowledged_by__username="planner").count() == 2
    assert {StockAlert.objects.get(pk=pk).acknowledged_by for pk in (done.pk, gone.pk)} == {admin_user, None}
    text = [str(m) for m in response.context["messages"]]
    assert text == ["2 alerts acknowledged. 2 were already acknowledged or resolved."]


def test_bulk_acknowledge_without_a_selection_warns(operator_client):
    response = operator_client.post(reverse("inventory:alerts_acknowledge"), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]


def test_bulk_service_returns_how_many_it_acknowledged(operator):
    alerts = [low(2), low(2)]
    assert acknowledge_alerts(alerts=alerts, user=operator) == 2
    assert acknowledge_alerts(alerts=[a.pk for a in alerts], user=operator) == 0


# --- Re-evaluating --------------------------------------------------------------------------------


def test_re_evaluate_now_raises_what_the_beat_job_would(operator_client):
    stocked(2)  # no evaluation ran after this stock change
    assert not StockAlert.objects.exists()
    response = operator_client.post(reverse("inventory:alerts_evaluate"), follow=True)
    assert StockAlert.objects.get().tier == AlertTier.CRITICAL
    assert [str(m) for m in response.context["messages"]] == ["Alerts re-evaluated: 1 raised, 0 resolved."]


def test_re_evaluate_needs_purchasing_permission(client, user_factory):
    viewer = user_factory()
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="oms", codename="access_inventory"),
        Permission.objects.get(content_type__app_label="inventory", codename="adjust_stock"),
    )
    client.force_login(viewer)
    stocked(2)
    assert client.get(reverse(URL)).status_code == 200
    assert client.post(reverse("inventory:alerts_evaluate")).status_code == 403
    assert not StockAlert.objects.exists()
