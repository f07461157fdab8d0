"""Domain events: a timeline row and a signal inside the transaction; work enqueued after commit."""

import pytest
from django.db import transaction

from oms.events import emit, enqueue_on_commit, subscribe, timeline_for, unsubscribe
from oms.models import Event
from oms.services import assign_roles
from oms.tasks import ping


@pytest.fixture
def received():
    calls = []

    def handler(**kwargs):
        calls.append(kwargs)

    subscribe("user.*")(handler)
    yield calls
    unsubscribe("user.*", handler)


@pytest.mark.django_db
def test_emit_writes_a_timeline_row_and_notifies_subscribers(user_factory, received):
    person = user_factory()
    with transaction.atomic():
        entry = emit("user.welcomed", subject=person, actor=person, data={"via": "test"}, message="hello")
    assert isinstance(entry, Event)
    assert list(timeline_for(person).filter(name="user.welcomed")) == [entry]
    assert entry.data == {"via": "test"}
    assert [c["name"] for c in received] == ["user.welcomed"]
    assert received[0]["subject"] == person


@pytest.mark.django_db
def test_subscriber_patterns_filter_event_names(user_factory, received):
    person = user_factory()
    with transaction.atomic():
        emit("order.confirmed", subject=person)
    assert received == []


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_a_programming_error(user_factory):
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        emit("user.welcomed", subject=user_factory())


@pytest.mark.django_db(transaction=True)
def test_rolled_back_act_leaves_no_event(user_factory):
    person = user_factory()

    def failing_act():
        with transaction.atomic():
            emit("user.welcomed", subject=person)
            raise ValueError("the rest of the act failed")

    with pytest.raises(ValueError, match="act failed"):
        failing_act()
    assert not Event.objects.filter(name="user.welcomed").exists()


@pytest.mark.django_db
def test_assign_roles_emits_an_event_with_before_and_after(user_factory, received):
    boss = user_factory(role="admin")
    person = user_factory(role="warehouse")
    received.clear()
    assign_roles(user=person, roles=["finance"], by=boss)
    entry = timeline_for(person).first()
    assert entry.name == "user.roles_changed"
    assert entry.data == {"before": ["warehouse"], "after": ["finance"]}
    assert entry.actor == boss
    assert [c["name"] for c in received] == ["user.roles_changed"]


@pytest.mark.django_db
def test_enqueue_on_commit_sends_only_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(ping, "apply_async", lambda *a, **kw: sent.append(kw))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for value in ("a", "b"):
            enqueue_on_commit(ping, value=value)
        assert sent == []
    assert len(callbacks) == 2
    assert [kw["kwargs"] for kw in sent] == [{"value": "a"}, {"value": "b"}]


@pytest.mark.django_db
def test_assign_roles_rejects_unknown_role_and_changes_nothing(user_factory):
    from oms.errors import InvalidInput

    person = user_factory(role="warehouse")
    with pytest.raises(InvalidInput):
        assign_roles(user=person, roles=["warehouse", "king"], by=None)
    assert list(person.groups.values_list("name", flat=True)) == ["warehouse"]
    assert not timeline_for(person).filter(name="user.roles_changed", data__after__contains=["king"]).exists()


@pytest.mark.django_db
def test_admin_role_makes_staff_and_removal_revokes_it(user_factory):
    person = user_factory(role="operator")
    assert not person.is_staff
    assign_roles(user=person, roles=["admin"], by=None)
    person.refresh_from_db()
    assert person.is_staff
    assign_roles(user=person, roles=["operator"], by=None)
    person.refresh_from_db()
    assert not person.is_staff
