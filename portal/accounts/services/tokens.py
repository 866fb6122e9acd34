"""Writes for personal API tokens. One transaction per use case."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from portal.accounts.models import ApiToken
from portal.accounts.tokens import hash_token, new_token_text
from portal.tenancy.models import Membership


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
