"""Atom 1.0 feeds of releases and status updates, per tenant and per capability.

Feed readers cannot log in, so these views live outside `/t/<tenant>/` (mounted by the plugin's
`public_urlpatterns` at `/pub/catalog/feeds/<token>/...`) and authenticate with the private feed token in
the URL (see `feedtokens`). A bad, revoked or foreign token and a capability the token's member cannot see
all answer the same 404. Entry ids are `urn:uuid:` values derived from (tenant, kind, row id): stable across
fetches, hosts and token changes, so readers never show an entry twice. Links are absolute.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control, quote_etag
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from catalog.models import Capability
from catalog.releases import feedtokens, selectors
from catalog.releases.models import Release, StatusUpdate
from catalog.selectors import visible_capability
from portal.plugins.api import Membership, Tenant, render_markdown, tenant_context, tenant_reverse

ID_NAMESPACE = uuid.UUID("6f1c2d1e-8a0b-4c57-9a53-3c1f0f7a5e21")  # fixed forever: entry ids depend on it


def capability_feed_links(request: HttpRequest, capability: Capability) -> dict[str, str]:
    """For the capability page: `feed_url`, the member's private Atom feed of `capability` (linked and
    announced for autodiscovery), or "" when they have no feed link yet; then `feed_page_url`, the page
    that creates one (viewing a page never issues a credential)."""
    page = tenant_reverse("catalog:releases:feed_link") + "?" + urlencode({"capability": capability.slug})
    membership = getattr(request, "membership", None)
    token = feedtokens.active_token(membership) if membership is not None else None
    if token is None:
        return {"feed_url": "", "feed_page_url": page}
    text = feedtokens.text_of(token, request.tenant)
    url = reverse("catalog_public:capability_feed", kwargs={"token": text, "slug": capability.slug})
    return {"feed_url": request.build_absolute_uri(url), "feed_page_url": page}


def stable_id(*parts: object) -> str:
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, '/'.join(str(p) for p in parts))}"


class AgoraAtomFeed(Atom1Feed):
    """Atom1Feed whose `<updated>` of an empty feed is a fixed date, not "now" (keeps the ETag stable)."""

    def latest_post_date(self) -> datetime:
        if not self.items and self.feed.get("empty_updated") is not None:
            return self.feed["empty_updated"]
        return super().latest_post_date()


@require_safe
def tenant_feed(request: HttpRequest, token: str) -> HttpResponse:
    return _serve(request, token, slug=None)


@require_safe
def capability_feed(request: HttpRequest, token: str, slug: str) -> HttpResponse:
    return _serve(request, token, slug=slug)


def _serve(request: HttpRequest, token: str, *, slug: str | None) -> HttpResponse:
    reader = feedtokens.resolve(token)
    if reader is None:
        raise Http404("No such feed.")
    with tenant_context(reader.tenant, user_id=reader.membership.user_id):
        capability = None
        if slug is not None:
            capability = visible_capability(reader.membership, slug=slug)
            if capability is None:
                raise Http404("No such feed.")
        feed = build_feed(request, reader.tenant, reader.membership, capability=capability)
    body = feed.writeString("utf-8").encode()
    response = HttpResponse(body, content_type=feed.content_type)
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    response["ETag"] = etag
    patch_cache_control(response, private=True, max_age=300)
    response["X-Robots-Tag"] = "noindex"
    return get_conditional_response(request, etag=etag, response=response)


def build_feed(
    request: HttpRequest, tenant: Tenant, membership: Membership, *, capability: Capability | None
) -> AgoraAtomFeed:
    def page(name: str, **kwargs: object) -> str:
        return request.build_absolute_uri(reverse(name, kwargs={"tenant_slug": tenant.slug, **kwargs}))

    if capability is None:
        title = f"{tenant.name}: releases and status"
        link = page("catalog:releases:changelog")
        feed_id = stable_id("agora", tenant.pk, "feed")
        empty_updated = tenant.created_at
    else:
        title = f"{capability.name}: releases and status"
        link = page("catalog:releases:capability_changelog", slug=capability.slug)
        feed_id = stable_id("agora", tenant.pk, "capability", capability.pk)
        empty_updated = capability.created_at
    feed = AgoraAtomFeed(
        title=title,
        link=link,
        description="",
        subtitle="Release announcements and status updates from Agora.",
        feed_url=request.build_absolute_uri(request.path),
        id=feed_id,
        author_name=tenant.name,
        empty_updated=empty_updated,
    )
    for entry in selectors.feed_entries(membership, capability=capability):
        if isinstance(entry, Release):
            _add_release(feed, tenant, entry, page)
        else:
            _add_status_update(feed, tenant, entry, page)
    return feed


def _add_release(feed: AgoraAtomFeed, tenant: Tenant, release: Release, page) -> None:
    capability = release.capability
    body = str(render_markdown(release.notes))
    if release.upgrade_notes:
        body += "<h2>Upgrade notes</h2>" + str(render_markdown(release.upgrade_notes))
    if release.ships_request_numbers:
        body += "<p>Ships requests " + ", ".join(f"#{n}" for n in release.ships_request_numbers) + ".</p>"
    published = release.published_at or release.created_at
    feed.add_item(
        title=f"{capability.name} {release.version}: {release.title}",
        link=page("catalog:releases:detail", release_pk=release.pk),
        description=body or "<p>No notes.</p>",
        unique_id=stable_id("agora", tenant.pk, "release", release.pk),
        pubdate=published,
        updateddate=max(published, release.updated_at),
        author_name=capability.owner_team.name,
        categories=[release.get_kind_display(), capability.name],
    )


def _add_status_update(feed: AgoraAtomFeed, tenant: Tenant, update: StatusUpdate, page) -> None:
    capability = update.capability
    label = "Resolved" if update.resolved else update.get_status_display()
    feed.add_item(
        title=f"{capability.name}: {label}",
        link=page("catalog:releases:capability_status", slug=capability.slug),
        description=str(render_markdown(update.message)),
        unique_id=stable_id("agora", tenant.pk, "status", update.pk),
        pubdate=update.created_at,
        updateddate=update.created_at,
        author_name=tenant.name,
        categories=["Status", capability.name],
    )
