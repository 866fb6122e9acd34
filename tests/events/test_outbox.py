"""The outbox: events commit with their transaction, dispatch after commit, handlers run once each."""

from __future__ import annotations

import pytest
from django.db import transaction

from portal.events import services, tasks
from portal.events.models import Event, HandlerRun
from portal.tenancy.context import NoTenantError, tenant_context
from tests.factories import make_tenant

calls: list[tuple[str, int]] = []


def record(event):
    calls.append(("record", event.pk))


def flaky(event):
    calls.append(("flaky", event.pk))
    if event.payload.get("fail"):
        raise RuntimeError("receiver down")


@pytest.fixture
def handlers(monkeypatch):
    calls.clear()
    monkeypatch.setattr(services, "event_handlers", lambda: {"test.happened": [record, flaky]})
    return calls


def test_emit_needs_a_tenant(db):
    with pytest.raises(NoTenantError):
        services.event_emit("test.happened", {})


def test_event_is_dispatched_only_after_commit(db, handlers, django_capture_on_commit_callbacks):
    tenant = make_tenant()
    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = services.event_emit("test.happened", {"x": 1})
        assert handlers == []  # nothing runs inside the transaction
    assert len(callbacks) == 1
    assert handlers == [("record", event.pk), ("flaky", event.pk)]
    with tenant_context(tenant):
        event.refresh_from_db()
        assert event.dispatched_at is not None and event.attempts == 1


def test_rolled_back_transaction_leaves_no_event(db, handlers):
    tenant = make_tenant()
    with tenant_context(tenant):
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            services.event_emit("test.happened", {})
            1 / 0  # noqa: B018
        assert Event.objects.count() == 0
    assert handlers == []


def test_failed_handler_is_retried_alone_and_successful_one_never_twice(db, handlers):
    tenant = make_tenant()
    with tenant_context(tenant):
        event = Event.objects.create(name="test.happened", payload={"fail": True})
        services.event_dispatch(event.pk)
        event.refresh_from_db()
        assert event.dispatched_at is None
        assert "receiver down" in event.last_error
        Event.objects.filter(pk=event.pk).update(payload={"fail": False})
        services.event_dispatch(event.pk)
        event.refresh_from_db()
        assert event.dispatched_at is not None and event.last_error == ""
        assert HandlerRun.objects.filter(event=event).count() == 2
    assert [name for name, _ in handlers] == ["record", "flaky", "flaky"]


def test_dispatching_a_dispatched_event_again_does_nothing(db, handlers):
    tenant = make_tenant()
    with tenant_context(tenant):
        event = Event.objects.create(name="test.happened", payload={})
        services.event_dispatch(event.pk)
        services.event_dispatch(event.pk)
    assert len(handlers) == 2


def test_broker_down_does_not_fail_the_request_and_the_sweep_dispatches_later(
    db, handlers, monkeypatch, django_capture_on_commit_callbacks
):
    tenant = make_tenant()

    def broker_down(**kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.dispatch_event, "delay", broker_down)
    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
        event = services.event_emit("test.happened", {})
    assert handlers == []
    monkeypatch.undo()
    monkeypatch.setattr(services, "event_handlers", lambda: {"test.happened": [record, flaky]})
    assert tasks.sweep_undispatched(older_than_seconds=0) == 1
    assert ("record", event.pk) in handlers
    with tenant_context(tenant):
        event.refresh_from_db()
    assert event.dispatched_at is not None
    assert tasks.sweep_undispatched(older_than_seconds=0) == 0
