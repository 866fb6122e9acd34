"""The audit log: every administrative service writes one entry in its own transaction.

`audit_record` must be called inside the service's `transaction.atomic` block, after the change, so the
entry commits or rolls back with it. Plugins record their own administrative changes through
`portal.plugins.api.audit_record` (e.g. a capability transferred to another team).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from portal.accounts.models import AuditEntry
from portal.tenancy.models import Membership


def actor_user(actor: Membership | Any | None) -> Any | None:
    """The user behind an actor: a Membership (services' usual actor), a user, or None (the system)."""
    if actor is None:
        return None
    return actor.user if isinstance(actor, Membership) else actor


def audit_record(
    *,
    actor: Membership | Any | None,
    action: str,
    target: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    target_type: str = "",
    target_label: str = "",
) -> AuditEntry:
    """Write one entry about `target` (a model instance). `actor` None means the system (seeding, commands).

    Raises if called outside a transaction: an entry must never commit without (or apart from) its change.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the service's transaction")
    user = actor_user(actor)
    return AuditEntry.objects.create(
        actor=user,
        actor_label=user.get_username() if user is not None else "system",
        action=action,
        target_type=target_type or target._meta.label_lower,
        target_id=str(target.pk or ""),
        target_label=(target_label or str(target))[:300],
        before=before,
        after=after,
    )
