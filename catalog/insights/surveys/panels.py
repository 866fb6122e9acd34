"""The "satisfaction" panel on a capability page: the NPS shown (n, interval) and a link to answer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from catalog.insights.surveys import selectors
from portal.plugins.api import CapabilityPanel, can_write


def _in_tenant(request: HttpRequest, capability: Any) -> bool:
    return getattr(request, "membership", None) is not None


def satisfaction_context(request: HttpRequest, capability: Any) -> dict[str, Any]:
    return {
        **selectors.panel_summary(request.membership, capability=capability),
        "survey_may_answer": can_write(request.membership),
    }


SATISFACTION = CapabilityPanel(
    key="satisfaction",
    title="Satisfaction",
    template="insights/surveys/panel_satisfaction.html",
    order=60,
    permission=_in_tenant,
    get_context=satisfaction_context,
)
