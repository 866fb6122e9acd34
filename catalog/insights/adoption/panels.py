"""The capability-page panel of adoption: "7 of 12 eligible teams onboarded" and a link to the page.

The lead's "Value" panel shows charts; this one stays a sentence. Its context also carries the weekly series
as `adoption_weekly` [(week_start, count)], for panels or charts that want it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from catalog.insights.adoption import selectors
from portal.plugins.api import CapabilityPanel


def _in_tenant(request: HttpRequest, capability: Any) -> bool:
    return getattr(request, "membership", None) is not None


def panel_context(request: HttpRequest, capability: Any) -> dict[str, Any]:
    summary = selectors.adoption_summary(request.membership, capability)
    return {"adoption_summary": summary, "adoption_weekly": summary.weekly if summary else []}


PANEL = CapabilityPanel(
    key="adoption",
    title="Adoption",
    template="insights/adoption/panel.html",
    order=40,
    permission=_in_tenant,
    get_context=panel_context,
)
