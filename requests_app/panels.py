"""The capability page's "Top feature requests" panel (registered by `RequestsPlugin.capability_panels`)."""

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
