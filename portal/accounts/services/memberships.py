"""Tenant memberships and their roles (admin / member / viewer). Tenant admins only; every change audited.

The last tenant admin can be neither removed nor demoted: a tenant without an admin could only be repaired
by a superuser. The check locks the tenant's admin rows, so two admins demoting each other at the same time
cannot both succeed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from portal.accounts.models import ApiToken, TeamMembership
from portal.accounts.services.audit import audit_record
from portal.accounts.services.rights import require_admin
from portal.tenancy.context import require_current_tenant
from portal.tenancy.models import Membership, Role

User = get_user_model()
LAST_ADMIN = "This is the tenant's last admin: make someone else an admin first."


def user_lookup(identifier: str) -> Any:
    """The active user named by `identifier`: a username, or an email address (case-insensitive) that
    exactly one account has. Raises ValidationError on the `user` field otherwise."""
    identifier = (identifier or "").strip()
    if not identifier or "\x00" in identifier or len(identifier) > 254:
        raise ValidationError({"user": "Give a username or an email address."})
    user = User.objects.filter(username=identifier, is_active=True).first()
    if user is None and "@" in identifier:
        found = list(User.objects.filter(email__iexact=identifier, is_active=True)[:2])
        user = found[0] if len(found) == 1 else None
    if user is None:
        raise ValidationError({"user": f"No account '{identifier}'. Invite them by email instead."})
    return user


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(Role.values)}."})


def _label(membership: Membership) -> str:
    return membership.user.get_username()


@transaction.atomic
def membership_set(*, user: Any, role: str = Role.MEMBER, actor: Membership | None = None) -> Membership:
    """Add `user` to the current tenant with `role`, or change their role (seeding and invitations; admins
    use membership_add / membership_set_role)."""
    require_admin(actor)
    _check_role(role)
    tenant = require_current_tenant()
    existing = Membership.objects.filter(tenant=tenant, user=user).first()
    if existing is not None:
        return membership_set_role(membership=existing, role=role, actor=actor)
    membership = Membership.objects.create(tenant=tenant, user=user, role=role)
    audit_record(
        actor=actor, action="membership.add", target=membership, target_label=_label(membership),
        after={"role": role},
    )  # fmt: skip
    return membership


@transaction.atomic
def membership_add(*, user: Any, role: str = Role.MEMBER, actor: Membership | None) -> Membership:
    """Add an existing account to the tenant (tenant admins). Refused if they already belong to it."""
    require_admin(actor)
    _check_role(role)
    if Membership.objects.filter(user=user).exists():
        raise ValidationError({"user": f"{user.get_username()} is already a member of this tenant."})
    return membership_set(user=user, role=role, actor=actor)


def _lock_admins() -> list[int]:
    return list(
        Membership.objects.select_for_update()
        .filter(role=Role.ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, actor: Membership | None) -> Membership:
    """Change a member's tenant role (tenant admins). The last admin cannot be demoted."""
    require_admin(actor)
    _check_role(role)
    admins = _lock_admins()
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if membership.role == role:
        return membership
    if membership.role == Role.ADMIN and admins == [membership.pk]:
        raise ValidationError({"role": LAST_ADMIN})
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor, action="membership.role", target=membership, target_label=_label(membership),
        before=before, after={"role": role},
    )  # fmt: skip
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: Membership | None) -> None:
    """Take a user out of the tenant (tenant admins): their team memberships go too and their API tokens of
    this tenant are deleted with the membership. The last admin cannot be removed."""
    require_admin(actor)
    admins = _lock_admins()
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if membership.role == Role.ADMIN and admins == [membership.pk]:
        raise ValidationError({"membership": LAST_ADMIN})
    teams = sorted(
        TeamMembership.objects.filter(user_id=membership.user_id).values_list("team__slug", "role")
    )
    before = {"role": membership.role, "teams": [list(t) for t in teams]}
    audit_record(
        actor=actor, action="membership.remove", target=membership, target_label=_label(membership),
        before=before,
    )  # fmt: skip
    TeamMembership.objects.filter(user_id=membership.user_id).delete()
    ApiToken.objects.filter(membership=membership).delete()
    membership.delete()
