"""Who changed what: registered models leave an audit row for every create, change and delete."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from oms import audit
from oms.models import AuditLog, User


def rows_for(obj):
    return AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk)
    ).order_by("id")


@pytest.mark.django_db
def test_create_change_and_delete_are_recorded_with_the_actor(user_factory):
    boss = user_factory(username="boss")
    with audit.acting_as(boss):
        clerk = User.objects.create(username="clerk", first_name="Ali")
        clerk.first_name = "Veli"
        clerk.email = "veli@example.com"
        clerk.save()
        pk = clerk.pk
        clerk.delete()
    clerk.pk = pk
    created, changed, deleted = rows_for(clerk)
    assert (created.action, changed.action, deleted.action) == ("create", "update", "delete")
    assert created.changes["first_name"] == [None, "Ali"]
    assert changed.changes == {"first_name": ["Ali", "Veli"], "email": ["", "veli@example.com"]}
    assert {r.actor_id for r in (created, changed, deleted)} == {boss.pk}
    assert changed.actor_label == "boss"


@pytest.mark.django_db
def test_saving_without_changes_writes_nothing(user_factory):
    person = user_factory()
    before = rows_for(person).count()
    User.objects.get(pk=person.pk).save()
    assert rows_for(person).count() == before


@pytest.mark.django_db
def test_secrets_are_never_logged(user_factory):
    person = user_factory()
    person.set_password("new-secret-1")
    person.save()
    assert all("password" not in row.changes for row in rows_for(person))
    assert "new-secret-1" not in str(list(rows_for(person).values_list("changes", flat=True)))


@pytest.mark.django_db
def test_update_fields_limits_what_is_compared(user_factory):
    person = user_factory(first_name="A")
    person.first_name = "B"
    person.last_name = "Changed-but-not-saved"
    person.save(update_fields=["first_name"])
    assert rows_for(person).last().changes == {"first_name": ["A", "B"]}


@pytest.mark.django_db
def test_changes_without_a_request_are_attributed_to_system(user_factory):
    person = user_factory()
    assert rows_for(person).first().actor_label == "system"
    with audit.acting_as(label="celery"):
        person.first_name = "Task"
        person.save()
    assert rows_for(person).last().actor_label == "celery"


@pytest.mark.django_db
def test_panel_requests_are_attributed_to_the_logged_in_user(admin_client, admin_user, user_factory):
    target = user_factory(role="warehouse")
    admin_client.post(reverse("user_roles", args=[target.pk]), {"roles": ["warehouse", "operator"]})
    row = rows_for(target).last()
    assert row.actor_id == admin_user.pk
    assert row.changes["roles"] == [["warehouse"], ["operator", "warehouse"]]
    assert row.remote_addr == "127.0.0.1"


@pytest.mark.django_db
def test_audit_log_page_filters_by_action(admin_client, user_factory):
    doomed = user_factory(username="doomed")
    doomed.delete()
    response = admin_client.get(reverse("audit_log"), {"action": "delete"})
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert rows
    assert {r.action for r in rows} == {"delete"}
    assert "doomed" in response.content.decode()


@pytest.mark.django_db
def test_audit_log_page_query_count_does_not_grow_with_rows(
    admin_client, user_factory, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        admin_client.get(reverse("audit_log"))
    for _ in range(60):
        user_factory()
    with django_assert_max_num_queries(len(few)) as many:
        response = admin_client.get(reverse("audit_log"))
    assert len(response.context["page"]) == 50
    assert len(many) == len(few)


def test_audit_log_is_read_only_in_admin():
    from django.contrib import admin

    model_admin = admin.site._registry[AuditLog]
    assert not model_admin.has_change_permission(None)
    assert not model_admin.has_delete_permission(None)
    assert not model_admin.has_add_permission(None)


@pytest.mark.django_db
def test_changes_are_displayed_with_field_labels_and_readable_values(user_factory):
    from django.utils import translation

    person = user_factory(role="warehouse")
    assign = rows_for(person).filter(changes__has_key="roles").last()
    with translation.override("tr"):
        assert ("roller", "—", "Depo personeli") in assign.display_changes()
        created = rows_for(person).first()
        labels = {label for label, _old, _new in created.display_changes()}
    assert "kullanıcı adı" in labels
    assert "is_superuser" not in str(created.changes)  # False values are not noise on create


@pytest.mark.django_db
def test_set_actor_lasts_until_the_surrounding_block_ends(user_factory):
    with audit.acting_as(label="anonymous"):
        audit.set_actor(label="api:Logo ERP")
        person = user_factory()
        assert audit.current_actor().label == "api:Logo ERP"
    assert audit.current_actor() is None
    assert rows_for(person).first().actor_label == "api:Logo ERP"


@pytest.mark.django_db
def test_a_decimal_typed_with_another_scale_is_not_a_change():
    from inventory.models import Warehouse

    warehouse = Warehouse.objects.create(code="AUD", name="Audit")
    before = rows_for(warehouse).count()
    field = next(f for f in Warehouse._meta.concrete_fields if f.get_internal_type() == "DecimalField")
    stored = getattr(Warehouse.objects.get(pk=warehouse.pk), field.attname)
    reloaded = Warehouse.objects.get(pk=warehouse.pk)
    setattr(reloaded, field.attname, stored.normalize() if stored is not None else stored)
    reloaded.save()
    assert rows_for(warehouse).count() == before
