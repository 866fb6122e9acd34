"""Capability-page panels of releases and status (registered by `CatalogPlugin.capability_panels`) and the
home page's "What's new" and "Open incidents" (registered by `CatalogPlugin.home_panels`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from catalog.releases import selectors
from portal.plugins.api import CapabilityPanel, HomePanel, can_maintain, followed_topic_ids

LATEST = 3
HOME_NEWS = 8


def _in_tenant(request: HttpRequest, capability: Any) -> bool:
    """Only on a member's capability page (a request without a membership has nothing to show)."""
    return getattr(request, "membership", None) is not None


def releases_context(request: HttpRequest, capability: Any) -> dict[str, Any]:
    return {
        "latest_releases": list(selectors.changelog(request.membership, capability=capability)[:LATEST]),
        "may_write_releases": can_maintain(request.membership, capability.owner_team_id),
    }


def status_context(request: HttpRequest, capability: Any) -> dict[str, Any]:
    latest = next(iter(selectors.incidents(request.membership, capability=capability)[:1]), None)
    return {
        "open_incident": latest if latest is not None and latest.is_open else None,
        "last_incident": latest,
        "may_write_status": can_maintain(request.membership, capability.owner_team_id),
    }


PANELS = [
    CapabilityPanel(
        key="status",
        title="Status",
        template="catalog/releases/panel_status.html",
        order=20,
        permission=_in_tenant,
        get_context=status_context,
    ),
    CapabilityPanel(
        key="releases",
        title="Latest releases",
        template="catalog/releases/panel_releases.html",
        order=30,
        permission=_in_tenant,
        get_context=releases_context,
    ),
]


def whats_new_context(request: HttpRequest) -> dict[str, Any]:
    """Releases and status updates of what the member follows (everything when they follow the tenant),
    newest first; with no follows, the newest of everything and an invitation to follow. Three queries."""
    followed = followed_topic_ids(request.user.pk)
    everything = "tenant" in followed
    capability_ids = followed.get("capability", set())
    follows_anything = everything or bool(capability_ids)
    entries = selectors.news(
        request.membership,
        capability_ids=None if everything or not follows_anything else capability_ids,
        size=HOME_NEWS,
    )
    return {"entries": entries, "follows_anything": follows_anything, "everything": everything}


def open_incidents_context(request: HttpRequest) -> dict[str, Any]:
    return {"open_incidents": list(selectors.incidents(request.membership, open_only=True)[:HOME_NEWS])}


def _member(request: HttpRequest) -> bool:
    return getattr(request, "membership", None) is not None


HOME_PANELS = [
    HomePanel(
        key="incidents",
        title="Open incidents",
        template="catalog/releases/home_incidents.html",
        order=10,
        permission=_member,
        get_context=open_incidents_context,
    ),
    HomePanel(
        key="news",
        title="What's new",
        template="catalog/releases/home_news.html",
        order=20,
        permission=_member,
        get_context=whats_new_context,
    ),
]
