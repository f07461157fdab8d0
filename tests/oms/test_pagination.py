"""Keyset pagination and the htmx list pages built on it."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from oms.errors import InvalidInput
from oms.models import User
from oms.pagination import paginate


def walk(rf: RequestFactory, queryset, ordering, per_page):
    """Follow next links to the end, then previous links back; return both sequences of pages."""
    forward, cursor = [], None
    while True:
        page = paginate(
            rf.get("/", {"cursor": cursor} if cursor else {}), queryset, ordering=ordering, per_page=per_page
        )
        forward.append([u.pk for u in page])
        if not page.has_next:
            break
        cursor = page.next_cursor
    backward = [forward[-1]]
    while page.has_previous:
        page = paginate(
            rf.get("/", {"cursor": page.previous_cursor}), queryset, ordering=ordering, per_page=per_page
        )
        backward.insert(0, [u.pk for u in page])
    return forward, backward


@pytest.mark.django_db
def test_forward_and_backward_visit_every_row_once_with_ties(rf, user_factory):
    for i in range(23):
        user_factory(first_name=f"name{i % 4}")  # many ties on first_name
    queryset = User.objects.all()
    forward, backward = walk(rf, queryset, ("first_name", "-pk"), 5)
    expected = list(queryset.order_by("first_name", "-pk").values_list("pk", flat=True))
    assert [pk for page in forward for pk in page] == expected
    assert backward == forward
    assert [len(p) for p in forward] == [5, 5, 5, 5, 3]


@pytest.mark.django_db
def test_descending_datetime_ordering(rf, user_factory):
    for _ in range(7):
        user_factory()
    queryset = User.objects.all()
    forward, _ = walk(rf, queryset, ("-date_joined", "-pk"), 3)
    assert [pk for page in forward for pk in page] == list(
        queryset.order_by("-date_joined", "-pk").values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_first_page_has_no_previous_and_last_has_no_next(rf, user_factory):
    user_factory()
    page = paginate(rf.get("/"), User.objects.all(), per_page=10)
    assert not page.has_previous
    assert not page.has_next


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["junk", "eyJhIjoxfQ:forged-signature"])
def test_forged_or_broken_cursor_is_refused(rf, cursor):
    with pytest.raises(InvalidInput) as info:
        paginate(rf.get("/", {"cursor": cursor}), User.objects.all())
    assert info.value.code == "bad_cursor"


@pytest.mark.django_db
def test_user_list_htmx_request_returns_only_the_results_partial(admin_client):
    response = admin_client.get(reverse("users"), {"q": "boss"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert "boss" in html
    assert response["Vary"].count("HX-Request") == 1


@pytest.mark.django_db
def test_user_list_history_restore_gets_the_full_page(admin_client):
    response = admin_client.get(
        reverse("users"), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert b"<html" in response.content


@pytest.mark.django_db
def test_user_list_filters_by_role_and_search(admin_client, user_factory):
    user_factory(role="warehouse", username="depocu")
    user_factory(role="finance", username="muhasebe")
    response = admin_client.get(reverse("users"), {"role": "warehouse"})
    assert [u.username for u in response.context["page"]] == ["depocu"]
    response = admin_client.get(reverse("users"), {"q": "muha"})
    assert [u.username for u in response.context["page"]] == ["muhasebe"]


@pytest.mark.django_db
def test_user_list_pages_keep_the_filters_in_links(admin_client, user_factory, settings):
    settings.PANEL_PAGE_SIZE = 2
    for i in range(5):
        user_factory(role="warehouse", username=f"depo{i}")
    response = admin_client.get(reverse("users"), {"role": "warehouse"})
    page = response.context["page"]
    assert page.has_next
    html = response.content.decode()
    assert "role=warehouse" in html
    assert "cursor=" in html
    second = admin_client.get(reverse("users"), {"role": "warehouse", "cursor": page.next_cursor})
    assert [u.username for u in second.context["page"]] == ["depo2", "depo3"]


@pytest.mark.django_db
def test_user_list_query_count_is_constant(admin_client, user_factory, django_assert_max_num_queries):
    for _ in range(3):
        user_factory(role="operator")
    with django_assert_max_num_queries(10) as few:
        admin_client.get(reverse("users"))
    for _ in range(40):
        user_factory(role="warehouse")
    with django_assert_max_num_queries(len(few)):
        admin_client.get(reverse("users"))
