"""Emit and dispatch domain events.

`event_emit` must be called inside the service's transaction; the event row commits with the change it
describes, and dispatch is queued only after commit. If queuing fails (broker down) the row waits for the
sweep. Handlers are `handler(event)` callables registered by plugins; each runs in its own transaction
together with its `HandlerRun` marker, so a handler that failed is retried and one that succeeded is not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.events.models import Event, HandlerRun
from portal.plugins.registry import event_handlers
from portal.tenancy.context import require_current_tenant

logger = logging.getLogger(__name__)


def handler_name(handler: Callable[..., Any]) -> str:
    return f"{handler.__module__}.{getattr(handler, '__qualname__', repr(handler))}"


def event_emit(name: str, payload: dict[str, Any] | None = None) -> Event:
    """Record `name` with a JSON payload in the current tenant; dispatch after the transaction commits."""
    tenant = require_current_tenant()
    event = Event.objects.create(name=name, payload=payload or {})
    transaction.on_commit(lambda: enqueue_dispatch(tenant_id=tenant.pk, event_id=event.pk))
    return event


def enqueue_dispatch(*, tenant_id: int, event_id: int) -> None:
    from portal.events.tasks import dispatch_event

    try:
        dispatch_event.delay(tenant_id=tenant_id, event_id=event_id)
    except Exception:  # broker down: the sweep will pick the event up; never fail the user's request
        logger.warning("could not queue event %s; the sweep will dispatch it", event_id, exc_info=True)


def event_dispatch(event_id: int) -> Event | None:
    """Run every registered handler that has not completed for this event (current tenant)."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None or event.dispatched_at is not None:
        return event
    handlers = event_handlers().get(event.name, [])
    done = set(HandlerRun.objects.filter(event=event).values_list("handler", flat=True))
    errors: list[str] = []
    for handler in handlers:
        key = handler_name(handler)
        if key in done:
            continue
        try:
            with transaction.atomic():
                HandlerRun.objects.create(event=event, handler=key)
                handler(event)
        except IntegrityError:
            continue  # another worker completed this handler concurrently
        except Exception as exc:
            logger.exception("event %s: handler %s failed", event.pk, key)
            errors.append(f"{key}: {type(exc).__name__}: {exc}")
    event.attempts += 1
    event.last_error = "\n".join(errors)
    if not errors:
        event.dispatched_at = timezone.now()
    event.save(update_fields=["attempts", "last_error", "dispatched_at"])
    return event
