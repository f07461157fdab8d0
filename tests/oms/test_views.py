"""Panel shell pages: dashboard, health, language switch, the roles form."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from oms.models import Heartbeat
from oms.tasks import heartbeat


@pytest.mark.django_db
def test_dashboard_shows_background_jobs_as_not_run_yet(admin_client):
    response = admin_client.get(reverse("dashboard"))
    assert response.context["background"] == {"last_seen": None, "ok": False}


@pytest.mark.django_db
def test_heartbeat_task_marks_background_jobs_healthy(admin_client):
    heartbeat.delay(source="beat")
    heartbeat.delay(source="beat")
    assert Heartbeat.objects.get(name="beat").beats == 2
    response = admin_client.get(reverse("dashboard"))
    assert response.context["background"]["ok"] is True
    assert b"status-pill ok" in response.content


@pytest.mark.django_db
def test_stale_heartbeat_is_shown_as_stalled(admin_client):
    Heartbeat.objects.create(name="beat", last_seen=timezone.now() - timedelta(minutes=10), beats=5)
    response = admin_client.get(reverse("dashboard"))
    assert response.context["background"]["ok"] is False
    assert b"status-pill warn" in response.content


@pytest.mark.django_db
def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_dashboard_query_count_is_bounded(admin_client, django_assert_max_num_queries):
    # Session, user, heartbeat, audit entries, and one to four queries per app panel.
    with django_assert_max_num_queries(13):
        admin_client.get(reverse("dashboard"))


@pytest.mark.django_db
def test_roles_form_changes_roles_and_shows_the_event(admin_client, user_factory):
    person = user_factory(role="warehouse")
    response = admin_client.post(reverse("user_roles", args=[person.pk]), {"roles": ["finance"]}, follow=True)
    assert response.status_code == 200
    assert list(person.groups.values_list("name", flat=True)) == ["finance"]
    page = admin_client.get(reverse("user_roles", args=[person.pk]))
    assert "Roller değiştirildi" in page.content.decode()


@pytest.mark.django_db
def test_roles_form_rejects_unknown_role(admin_client, user_factory):
    person = user_factory(role="warehouse")
    response = admin_client.post(reverse("user_roles", args=[person.pk]), {"roles": ["king"]})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert list(person.groups.values_list("name", flat=True)) == ["warehouse"]


@pytest.mark.django_db
def test_operator_cannot_change_roles(client, operator, user_factory):
    person = user_factory(role="warehouse")
    client.force_login(operator)
    response = client.post(reverse("user_roles", args=[person.pk]), {"roles": ["admin"]})
    assert response.status_code == 403
    assert list(person.groups.values_list("name", flat=True)) == ["warehouse"]
