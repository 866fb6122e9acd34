"""Capability-page panels of releases and status (registered by `CatalogPlugin.capability_panels`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from catalog.releases import selectors
from portal.plugins.api import CapabilityPanel, can_maintain

LATEST = 3


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
