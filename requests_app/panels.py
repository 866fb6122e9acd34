"""The capability page's "Top feature requests" panel (registered by `RequestsPlugin.capability_panels`) and
the home page's "My requests" (registered by `RequestsPlugin.home_panels`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from requests_app import selectors
from requests_app.permissions import can_participate

LIMIT = 5


def requests_panel_context(request: HttpRequest, capability: Any) -> dict[str, Any]:
    top, total = selectors.top_open_for_capability(request.membership, capability, limit=LIMIT)
    return {
        "top_requests": top,
        "open_total": total,
        "may_file": can_participate(request.membership),
    }


def my_requests_context(request: HttpRequest) -> dict[str, Any]:
    """The member's own requests, open ones first, newest activity first (two queries)."""
    mine = selectors.requests_of_author(request.membership, limit=LIMIT)
    return {"my_requests": mine, "may_file": can_participate(request.membership)}
