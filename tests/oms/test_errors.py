"""A DomainError is shown as a panel message or an API problem document, never a 500."""

import pytest
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from oms.errors import DomainError, IllegalTransition, InvalidInput, NotFound
from oms.middleware import DomainErrorMiddleware
from oms.roles import Role


def test_problem_document_has_rfc9457_members_and_data():
    error = IllegalTransition(current="shipped", target="new", order="2026-000042")
    body = error.problem(instance="/api/v1/orders/42/confirm")
    assert body["type"] == "/problems/illegal-transition"
    assert body["status"] == 409
    assert body["code"] == "illegal_transition"
    assert "shipped" in body["detail"]
    assert body["instance"] == "/api/v1/orders/42/confirm"
    assert (body["current"], body["target"], body["order"]) == ("shipped", "new", "2026-000042")


def test_subclasses_carry_their_status():
    assert (InvalidInput().status, NotFound().status, DomainError().status) == (422, 404, 409)


def _raise(error):
    def view(request):
        raise error

    return view


@pytest.fixture
def middleware_request(rf: RequestFactory, admin_user):
    def build(method="get", path="/orders/", **headers):
        from django.contrib.messages.storage.fallback import FallbackStorage
        from django_htmx.middleware import HtmxDetails

        request = getattr(rf, method)(path, headers=headers)
        request.user = admin_user
        request.session = {}
        request._messages = FallbackStorage(request)
        request.htmx = HtmxDetails(request)
        return request

    return build


@pytest.mark.django_db
def test_middleware_api_request_gets_problem_json(middleware_request):
    request = middleware_request(path="/api/v1/anything")
    response = DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(
        request, IllegalTransition(current="a", target="b")
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_middleware_htmx_request_gets_message_fragment_retargeted(middleware_request):
    request = middleware_request(HX_Request="true")
    response = DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(
        request, InvalidInput("Bad SKU")
    )
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#messages"
    assert b"Bad SKU" in response.content
    assert b"<html" not in response.content


@pytest.mark.django_db
def test_middleware_form_post_redirects_back_with_message(middleware_request):
    request = middleware_request("post", HTTP_REFERER="http://testserver/orders/?status=new")
    request.META["HTTP_REFERER"] = "http://testserver/orders/?status=new"
    response = DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(
        request, InvalidInput("Bad SKU")
    )
    assert response.status_code == 302
    assert response["Location"] == "http://testserver/orders/?status=new"
    assert [m.message for m in get_messages(request)] == ["Bad SKU"]


@pytest.mark.django_db
def test_middleware_ignores_other_exceptions(middleware_request):
    assert (
        DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(middleware_request(), KeyError())
        is None
    )


@pytest.mark.django_db
def test_panel_post_breaking_a_rule_shows_message_and_changes_nothing(admin_client, admin_user):
    url = reverse("user_roles", args=[admin_user.pk])
    response = admin_client.post(
        url, {"roles": ["operator"]}, follow=True, headers={"Referer": f"http://testserver{url}"}
    )
    assert response.status_code == 200
    assert "Kendi yönetici rolünüzü kaldıramazsınız." in [str(m) for m in response.context["messages"]]
    assert list(admin_user.groups.values_list("name", flat=True)) == [Role.ADMIN]


@pytest.mark.django_db
def test_panel_get_with_bad_cursor_renders_error_page(admin_client):
    response = admin_client.get(reverse("users"), {"cursor": "forged"})
    assert response.status_code == 422
    assert b"start from the first page" in response.content or response.context["error"].code == "bad_cursor"


@pytest.mark.django_db
def test_htmx_request_with_bad_cursor_gets_422_fragment(admin_client):
    response = admin_client.get(reverse("users"), {"cursor": "forged"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#messages"
    assert b'class="message message-error"' in response.content


@pytest.mark.django_db
def test_api_not_found_is_problem_json(admin_client):
    response = admin_client.get("/api/v1/provinces/99")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "unknown_province"
    assert body["instance"] == "/api/v1/provinces/99"


@pytest.mark.django_db
def test_api_validation_error_is_problem_json(admin_client):
    response = admin_client.get("/api/v1/provinces/istanbul")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


@pytest.mark.django_db
def test_api_without_login_is_401_problem(client):
    response = client.get("/api/v1/provinces")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.django_db
def test_api_lists_provinces_by_region(admin_client):
    response = admin_client.get("/api/v1/provinces", {"region": "Ege"})
    assert response.status_code == 200
    names = {p["name"] for p in response.json()}
    assert len(names) == 8
    assert "İzmir" in names


@pytest.mark.django_db
def test_forbidden_json_request_gets_problem_json(client, user_factory):
    client.force_login(user_factory(role="warehouse"))
    response = client.get(reverse("billing:index"), headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "forbidden"
