"""The picking pages over HTTP: list page, building, the htmx station (scan, tap, short) and the PDF."""

import pytest
from django.urls import include, path, reverse

import fulfillment.urls
import oms.urls
from fulfillment import picking
from fulfillment.models import PickList, PickTask, Problem
from tests.fulfillment import test_picking as base
from tests.orders.factories import place


def _with_picking(patterns):
    """The project's URLs with the picking pages under /fulfillment/picking/ (until they are wired)."""
    names = {getattr(p, "name", None) for p in fulfillment.urls.urlpatterns}
    own = list(fulfillment.urls.urlpatterns)
    if "picking" not in names and not any(
        getattr(p, "urlconf_name", None) in ("fulfillment.urls_picking",) for p in own
    ):
        own.append(path("picking/", include("fulfillment.urls_picking")))
    out = []
    for p in patterns:
        if getattr(p, "app_name", None) == "fulfillment" or str(p.pattern) == "fulfillment/":
            out.append(path("fulfillment/", include((own, "fulfillment"))))
        else:
            out.append(p)
    return out


urlpatterns = _with_picking(oms.urls.urlpatterns)
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
HX = {"HTTP_HX_REQUEST": "true"}
site, channel, stocked_variant = base.site, base.channel, base.stocked_variant  # shared fixtures


@pytest.fixture
def picker(user_factory):
    return user_factory(role="warehouse", username="picker", language="en")


@pytest.fixture
def picker_client(client, picker):
    client.force_login(picker)
    return client


@pytest.fixture
def pick_list(site, channel):
    a = stocked_variant(site, "A-01-01-1", barcode="8690000000017")
    b = stocked_variant(site, "B-01-01-1")
    place(channel, [(a, 2), (b, 1)])
    [made] = picking.build_pick_lists(warehouse=site, method="single")
    return made


def scan(client, pick_list, code, **extra):
    task = picking.next_task(pick_list)
    data = {"code": code, "task": task.pk if task else "", **extra}
    return client.post(reverse("fulfillment:picking_scan", args=[pick_list.pk]), data, **HX)


def test_index_lists_open_lists_in_few_queries(picker_client, site, channel, django_assert_max_num_queries):
    variant = stocked_variant(site, "A-01-01-1")
    for _ in range(6):
        place(channel, [(variant, 1)])
    picking.build_pick_lists(warehouse=site, method="single", order_ids=None)
    with django_assert_max_num_queries(12):
        response = picker_client.get(reverse("fulfillment:picking"), {"warehouse": site.pk})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('href="/fulfillment/picking/') >= 6
    for pl in PickList.objects.all():
        assert pl.number in body


def test_build_form_makes_lists_and_reports(picker_client, site, channel):
    variant = stocked_variant(site, "A-01-01-1")
    place(channel, [(variant, 1)])
    place(channel, [(variant, 1)])
    response = picker_client.post(
        reverse("fulfillment:picking_build"), {"warehouse": site.pk, "method": "batch", "batch_size": "5"}
    )
    assert response.status_code == 302
    assert PickList.objects.get().list_orders.count() == 2
    response = picker_client.post(
        reverse("fulfillment:picking_build"), {"warehouse": site.pk, "method": "batch"}, follow=True
    )
    assert "No allocated order" in response.content.decode()


def test_station_page_shows_first_line_with_focused_scan_field(picker_client, pick_list):
    response = picker_client.get(reverse("fulfillment:picking_screen", args=[pick_list.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "A-01-01-1" in body
    assert "data-scan" in body
    assert "autofocus" in body
    assert "fulfillment/picking.js" in body


def test_scan_round_trip_returns_next_line_partial(
    picker_client, pick_list, site, django_assert_max_num_queries
):
    response = scan(picker_client, pick_list, "A-01-01-1")
    assert response.status_code == 200
    assert "scan-ok" in response["HX-Trigger"]
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="station-body"' in body
    at_bin = str(PickTask.objects.filter(pick_list=pick_list).order_by("sequence").first().bin_id)
    assert f'name="at_bin" value="{at_bin}"' in body
    with django_assert_max_num_queries(20):
        response = scan(picker_client, pick_list, "8690000000017", at_bin=at_bin)
    assert response.status_code == 200
    response = scan(picker_client, pick_list, "8690000000017", at_bin=at_bin)
    body = response.content.decode()
    # The first line is done; the next one (bin B) asks for its bin.
    assert "B-01-01-1" in body
    assert 'name="at_bin" value=""' in body
    pick_list.refresh_from_db()
    assert pick_list.lines_done == 1
    assert pick_list.status == "picking"


def test_wrong_scan_answers_red_with_error_trigger_and_records_nothing(picker_client, pick_list):
    response = scan(picker_client, pick_list, "B-01-01-1")
    assert response.status_code == 422
    assert "scan-error" in response["HX-Trigger"]
    body = response.content.decode()
    assert "pick-result error" in body
    assert "Wrong bin" in body
    assert sum(PickTask.objects.values_list("quantity_picked", flat=True)) == 0


def test_quantity_tap_and_short_pick_finish_the_list(picker_client, pick_list):
    first = picking.next_task(pick_list)
    response = picker_client.post(
        reverse("fulfillment:picking_pick", args=[pick_list.pk]), {"task": first.pk, "quantity": "2"}, **HX
    )
    assert response.status_code == 200
    second = picking.next_task(pick_list)
    response = picker_client.post(
        reverse("fulfillment:picking_short", args=[pick_list.pk]), {"task": second.pk, "found": "0"}, **HX
    )
    assert response.status_code == 200
    assert "Every line of this list is done" in response.content.decode()
    pick_list.refresh_from_db()
    assert pick_list.status == "picked"
    assert Problem.objects.get().kind == "short_pick"


def test_stale_task_is_refused(picker_client, pick_list):
    first = picking.next_task(pick_list)
    picking.pick(first, 2)
    response = picker_client.post(
        reverse("fulfillment:picking_pick", args=[pick_list.pk]), {"task": first.pk, "quantity": "1"}, **HX
    )
    assert response.status_code == 422
    assert "already done" in response.content.decode()


def test_plain_post_without_htmx_redirects_back(picker_client, pick_list):
    task = picking.next_task(pick_list)
    response = picker_client.post(
        reverse("fulfillment:picking_scan", args=[pick_list.pk]), {"code": "A-01-01-1", "task": task.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("fulfillment:picking_screen", args=[pick_list.pk])


def test_pick_list_pdf_is_a_pdf(picker_client, pick_list):
    response = picker_client.get(reverse("fulfillment:picking_pdf", args=[pick_list.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_anonymous_and_roles_without_fulfillment_are_kept_out(client, user_factory, pick_list):
    url = reverse("fulfillment:picking_screen", args=[pick_list.pk])
    assert client.get(url).status_code == 302
    client.force_login(user_factory(role="finance"))
    assert client.get(url).status_code == 403
