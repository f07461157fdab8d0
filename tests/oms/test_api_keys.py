"""Integration API keys with scopes, panel sessions with permissions, and idempotent creates."""

import json

import pytest
from django.core.management import call_command

from oms.apikeys import create_api_key, revoke_api_key, verify
from oms.errors import InvalidInput
from oms.models import ApiKey, IdempotencyRecord

pytestmark = pytest.mark.django_db


def test_key_is_shown_once_and_only_its_hash_is_stored():
    key, plaintext = create_api_key(name="Logo ERP", scopes=["reference:read"])
    assert plaintext.startswith(f"oms_{key.prefix}_")
    assert plaintext.split("_", 2)[2] not in key.key_hash
    assert verify(plaintext) == key
    assert verify(plaintext + "x") is None
    assert verify("garbage") is None


def test_unknown_scope_is_refused():
    with pytest.raises(InvalidInput):
        create_api_key(name="x", scopes=["everything"])
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key"])
def test_api_accepts_a_key_with_the_scope(client, header):
    _key, plaintext = create_api_key(name="POS", scopes=["reference:read"])
    value = f"Bearer {plaintext}" if header == "Authorization" else plaintext
    response = client.get("/api/v1/provinces/34", headers={header: value})
    assert response.status_code == 200
    assert response.json()["name"] == "İstanbul"


def test_key_without_the_scope_gets_403_problem(client):
    _key, plaintext = create_api_key(name="Stock bridge", scopes=["inventory:read"])
    response = client.get("/api/v1/provinces/34", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"


def test_revoked_key_is_refused(client):
    key, plaintext = create_api_key(name="Old", scopes=["reference:read"])
    revoke_api_key(key=key)
    response = client.get("/api/v1/provinces/34", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 401


def test_panel_session_needs_the_permission(client, user_factory):
    client.force_login(user_factory())  # no role at all
    assert client.get("/api/v1/provinces/34").status_code == 403
    client.force_login(user_factory(role="warehouse"))
    assert client.get("/api/v1/provinces/34").status_code == 200


def test_create_api_key_command_prints_the_key(capsys):
    call_command("create_api_key", "Logo ERP", "--scope", "inventory:read", "--scope", "inventory:write")
    plaintext = capsys.readouterr().out.strip().splitlines()[-1]
    assert verify(plaintext).scopes == ["inventory:read", "inventory:write"]


def test_create_api_key_command_takes_a_comma_separated_scope_list(capsys):
    call_command("create_api_key", "Web shop", "--scopes", "orders:write,orders:read")
    plaintext = capsys.readouterr().out.strip().splitlines()[-1]
    assert verify(plaintext).scopes == ["orders:read", "orders:write"]


def test_create_api_key_command_refuses_an_unknown_scope():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_key", "X", "--scopes", "orders:write,everything")


# --- Idempotency-Key: the middleware in front of a throwaway create operation under /api/.


@pytest.fixture
def echo_api(settings):
    """A throwaway API with one create operation that counts how often it really ran."""
    from django.urls import path
    from ninja import NinjaAPI, Schema, Status

    class Thing(Schema):
        name: str

    calls = []
    api = NinjaAPI(urls_namespace="idempotency_test")

    @api.post("/things", auth=None, response={201: dict})
    def create_thing(request, payload: Thing):
        calls.append(payload.name)
        return Status(201, {"id": len(calls), "name": payload.name})

    module = type("urls", (), {"urlpatterns": [path("api/test/", api.urls)]})
    import sys

    sys.modules["tests_idempotency_urls"] = module
    settings.ROOT_URLCONF = "tests_idempotency_urls"
    return calls


def post(client, body, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/test/things", data=json.dumps(body), content_type="application/json", headers=headers
    )


def test_same_key_same_body_replays_the_first_answer(client, echo_api):
    first = post(client, {"name": "a"}, key="k-1")
    second = post(client, {"name": "a"}, key="k-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() == {"id": 1, "name": "a"}
    assert second["Idempotent-Replayed"] == "true"
    assert len(echo_api) == 1


def test_same_key_different_body_is_refused(client, echo_api):
    post(client, {"name": "a"}, key="k-2")
    response = post(client, {"name": "b"}, key="k-2")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert len(echo_api) == 1


def test_without_a_key_every_post_runs(client, echo_api):
    post(client, {"name": "a"})
    post(client, {"name": "a"})
    assert len(echo_api) == 2
    assert not IdempotencyRecord.objects.exists()
