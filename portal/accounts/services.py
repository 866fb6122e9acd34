"""Writes for accounts: memberships, teams, team members and API tokens. One transaction per use case."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from portal.accounts.models import ApiToken, Team, TeamMembership, TeamRole
from portal.accounts.tokens import hash_token, new_token_text
from portal.tenancy.context import require_current_tenant
from portal.tenancy.models import Membership, Role

User = get_user_model()


@transaction.atomic
def membership_set(*, user, role: str = Role.MEMBER) -> Membership:
    """Add `user` to the current tenant with `role`, or change their role."""
    tenant = require_current_tenant()
    membership, _ = Membership.objects.update_or_create(tenant=tenant, user=user, defaults={"role": role})
    return membership


@transaction.atomic
def team_create(*, name: str, slug: str = "", description: str = "", chat_channel: str = "") -> Team:
    return Team.objects.create(
        name=name, slug=slug or slugify(name), description=description, chat_channel=chat_channel
    )


@transaction.atomic
def team_member_set(*, team: Team, user, role: str = TeamRole.MEMBER) -> TeamMembership:
    """Make `user` a member (or maintainer) of `team`; they must already belong to the tenant."""
    if not Membership.objects.filter(user=user).exists():
        raise ValueError(f"{user} is not a member of this tenant.")
    tm, _ = TeamMembership.objects.update_or_create(team=team, user=user, defaults={"role": role})
    return tm


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    text: str


@transaction.atomic
def api_token_create(*, membership: Membership, name: str) -> IssuedToken:
    """Issue a token bound to `membership`. The returned text is shown once; only its hash is kept."""
    text, secret = new_token_text(membership.tenant.slug)
    token = ApiToken.objects.create(
        membership=membership, name=name, key_hash=hash_token(text), prefix=secret[:8]
    )
    return IssuedToken(token=token, text=text)


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken, min_interval_seconds: int = 60) -> None:
    """Record use, at most once a minute per token so reads do not become writes."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= min_interval_seconds:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
