"""Private feed tokens: the credential in an Atom feed URL (feed readers cannot log in).

Token text: `<tenant-slug>.<key>.<signature>`. `key` is random and stored (one active per membership);
the signature is an HMAC of `<tenant-slug>.<key>` under SECRET_KEY (`django.core.signing`, own salt,
SECRET_KEY_FALLBACKS honoured). So:
- the server can show the URL again to its owner (it is derived, not stored);
- a copy of the database alone yields no working URL;
- the slug lets the feed view enter that tenant before the lookup, so the lookup itself stays behind
  row-level security, and a token edited to name another tenant fails the signature check;
- revoking (or leaving the tenant: the row goes with the membership) kills the URL at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.releases.models import FeedToken
from portal.plugins.api import Membership, Tenant, event_emit, tenant_context

SALT = "agora.catalog.feeds"
TOUCH_EVERY = timedelta(hours=1)  # feed readers poll often: record use at most hourly


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, sep=".", algorithm="sha256")


def token_text(*, tenant_slug: str, key: str) -> str:
    return _signer().sign(f"{tenant_slug}.{key}")


@dataclass(frozen=True)
class ParsedFeedToken:
    tenant_slug: str
    key: str


def parse(token: str) -> ParsedFeedToken | None:
    """Check the signature (constant time) and split the token; None for anything malformed or forged."""
    if not token or len(token) > 300:
        return None
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    slug, _, key = value.partition(".")
    if not slug or not key:
        return None
    return ParsedFeedToken(tenant_slug=slug, key=key)


def active_token(membership: Membership) -> FeedToken | None:
    return FeedToken.objects.filter(membership=membership, revoked_at__isnull=True).first()


@transaction.atomic
def feed_token_issue(*, membership: Membership) -> FeedToken:
    """A new feed URL for this membership; the previous one (if any) stops working."""
    FeedToken.objects.filter(membership=membership, revoked_at__isnull=True).update(revoked_at=timezone.now())
    try:
        with transaction.atomic():
            token = FeedToken.objects.create(membership=membership, key=secrets.token_urlsafe(18))
    except IntegrityError:  # a concurrent issue for the same membership won; use its token
        token = FeedToken.objects.get(membership=membership, revoked_at__isnull=True)
    event_emit("catalog.feed_token_issued", {"membership_id": membership.pk, "feed_token_id": token.pk})
    return token


@transaction.atomic
def feed_token_revoke(*, membership: Membership) -> int:
    revoked = FeedToken.objects.filter(membership=membership, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        event_emit("catalog.feed_token_revoked", {"membership_id": membership.pk})
    return revoked


def text_of(token: FeedToken, tenant: Tenant) -> str:
    return token_text(tenant_slug=tenant.slug, key=token.key)


@dataclass(frozen=True)
class FeedReader:
    tenant: Tenant
    membership: Membership


def resolve(token: str) -> FeedReader | None:
    """The tenant and membership a feed token stands for, or None (bad, revoked, user inactive...)."""
    parsed = parse(token)
    if parsed is None:
        return None
    tenant = Tenant.objects.filter(slug=parsed.tenant_slug).first()
    if tenant is None:
        return None
    with tenant_context(tenant):
        row = (
            FeedToken.objects.select_related("membership__user")
            .filter(key=parsed.key, revoked_at__isnull=True)
            .first()
        )
        if row is None or not row.membership.user.is_active:
            return None
        now = timezone.now()
        if row.last_used_at is None or row.last_used_at < now - TOUCH_EVERY:
            FeedToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return FeedReader(tenant=tenant, membership=row.membership)
