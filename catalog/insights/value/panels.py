"""The one "Value" panel on a capability page: adoption, satisfaction (NPS) and the before/after deltas.

It gathers the three concerns' own panel contexts (adoption, surveys) and adds the difference in
differences, so the page shows one block about whether the capability is worth it, each part linking to its
own page. The body loads after the page (htmx, `hx-trigger="load"`); without JavaScript the placeholder is a
link to the capability's value page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from catalog.insights.adoption.selectors import shown_capability_adoption
from catalog.insights.surveys.panels import satisfaction_context
from catalog.insights.value import charts, selectors, tables
from portal.plugins.api import CapabilityPanel


def _in_tenant(request: HttpRequest, capability: Any) -> bool:
    return getattr(request, "membership", None) is not None


def value_context(request: HttpRequest, capability: Any) -> dict[str, Any]:
    """Everything the panel body shows (about ten queries: adoption, surveys and, once some team was
    onboarded, the delivery history). Served by `views.capability_panel`, loaded after the page."""
    # The caller already checked that the member sees `capability`: one adoption read serves both parts.
    summary, intervals = shown_capability_adoption(capability)
    value = selectors.capabilities_value([capability], intervals={capability.pk: intervals})[0]
    weekly = summary.weekly
    return {
        "adoption_summary": summary,
        "adoption_weekly": weekly,
        **satisfaction_context(request, capability),
        "adoption_chart": charts.line("Onboarded teams per week", weekly) if weekly else None,
        "value": value,
        "effects": [(e, tables.signed(e.difference, e.metric)) for e in value.effects],
    }


PANELS = [
    CapabilityPanel(
        key="value",
        title="Value",
        template="insights/value/panel.html",
        order=60,
        permission=_in_tenant,
        # No context: the panel is a placeholder that htmx replaces with the body (`value_context`) once the
        # page is shown, so the capability page's own query budget does not carry the insights reads.
    ),
]
