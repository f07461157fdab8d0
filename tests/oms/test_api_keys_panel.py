"""API keys page: the key is shown once on creation and works; revoking stops it; admins only."""

import re

import pytest
from django.urls import reverse

from oms.apikeys import create_api_key
from oms.models import ApiKey

pytestmark = pytest.mark.django_db

KEY = re.compile(r'value="(oms_[0-9a-f]{8}_[\w-]+)"')


@pytest.fixture
def admin(client, user_factory):
    user = user_factory(role="admin", language="en")
    client.force_login(user)
    return user


def test_created_key_is_shown_once_and_works(client, admin):
    response = client.post(reverse("api_key_create"), {"name": "Web shop", "scopes": ["orders:read"]})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "is shown only now" in html
    plaintext = KEY.search(html).group(1)
    key = ApiKey.objects.get()
    assert (key.name, key.scopes, key.created_by) == ("Web shop", ["orders:read"], admin)
    assert plaintext not in key.key_hash

    client.logout()  # the key alone, not the session, is what gets in
    assert client.get("/api/v1/orders", headers={"Authorization": f"Bearer {plaintext}"}).status_code == 200
    assert client.get("/api/v1/orders").status_code == 401

    client.force_login(admin)
    listing = client.get(reverse("api_keys")).content.decode()
    assert "Web shop" in listing
    assert f"oms_{key.prefix}_" in listing
    assert plaintext not in listing
    assert "is shown only now" not in listing


def test_create_needs_a_name_and_a_scope(client, admin):
    response = client.post(reverse("api_key_create"), {"name": "", "scopes": ["everything"]})
    assert response.status_code == 422
    assert b"field-error" in response.content
    assert not ApiKey.objects.exists()
    # The filter bar of the page answering the create goes to the list, filters kept.
    assert client.get(reverse("api_key_create"), {"q": "erp"})["Location"] == f"{reverse('api_keys')}?q=erp"


def test_htmx_create_swaps_the_form_area_and_the_list(client, admin):
    create_api_key(name="ERP", scopes=["inventory:read"])
    response = client.post(
        reverse("api_key_create"),
        {"name": "Marketplace bridge", "scopes": ["orders:read", "orders:write"]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="api-key-create"')
    assert "<html" not in html
    plaintext = KEY.search(html).group(1)
    assert 'id="results" class="results" hx-swap-oob="true"' in html
    assert html.count('<tr id="api-key-') == 2
    headers = {"X-API-Key": plaintext}
    client.logout()
    assert (
        client.post("/api/v1/holds", {}, content_type="application/json", headers=headers).status_code == 422
    )

    client.force_login(admin)
    invalid = client.post(reverse("api_key_create"), {"name": "No scopes"}, headers={"HX-Request": "true"})
    assert invalid.status_code == 422
    assert b"field-error" in invalid.content
    assert b"hx-swap-oob" not in invalid.content


def test_revoked_key_stops_working(client, admin):
    key, plaintext = create_api_key(name="Old ERP", scopes=["orders:read"])
    headers = {"X-API-Key": plaintext}
    assert client.get("/api/v1/orders", headers=headers).status_code == 200

    response = client.post(reverse("api_key_revoke", args=[key.pk]))

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    client.logout()
    assert client.get("/api/v1/orders", headers=headers).status_code == 401


def test_htmx_revoke_answers_with_the_revoked_row(client, admin):
    key, _plaintext = create_api_key(name="POS", scopes=["inventory:read"])
    response = client.post(reverse("api_key_revoke", args=[key.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="api-key-{key.pk}"')
    assert "Revoked" in html
    assert reverse("api_key_revoke", args=[key.pk]) not in html  # no second revoke button


def test_operator_gets_403(client, user_factory):
    key, _plaintext = create_api_key(name="POS", scopes=["inventory:read"])
    client.force_login(user_factory(role="operator"))
    assert client.get(reverse("api_keys")).status_code == 403
    assert client.post(reverse("api_key_create"), {"name": "x", "scopes": ["orders:read"]}).status_code == 403
    assert client.post(reverse("api_key_revoke", args=[key.pk])).status_code == 403
    assert ApiKey.objects.count() == 1
    key.refresh_from_db()
    assert key.revoked_at is None


def test_admin_menu_links_the_page_for_admins_only(client, admin, user_factory):
    assert reverse("api_keys") in client.get(reverse("dashboard")).content.decode()
    client.force_login(user_factory(role="operator"))
    assert reverse("api_keys") not in client.get(reverse("dashboard")).content.decode()


def test_list_filters_and_keeps_a_constant_query_count(client, admin, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    create_api_key(name="First", scopes=["orders:read"], by=admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("api_keys"))
    for n in range(15):
        key, _plaintext = create_api_key(name=f"Key {n}", scopes=["orders:read", "orders:write"], by=admin)
    key.revoked_at = key.created_at
    key.save()
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("api_keys"))
    assert response.content.decode().count('<tr id="api-key-') == 16

    revoked = client.get(reverse("api_keys"), {"state": "revoked"}, headers={"HX-Request": "true"})
    html = revoked.content.decode()
    assert html.count('<tr id="api-key-') == 1
    assert "Key 14" in html
    assert "<html" not in html  # only the results partial
