"""Pages of "is it worth it": the tenant's Platform value dashboard, one capability's value page, CSV.

Thin: the numbers come from `selectors` (which call `catalog.insights.metrics`), the chart geometry from
`charts`. Every tenant member who can see a capability sees its value: platform teams are accountable to
their users, and nothing here is about a person (teams only; survey answers stay anonymous upstream).
"""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from catalog import selectors as catalog_selectors
from catalog.insights import metrics
from catalog.insights.adoption.selectors import tenant_adoption_summaries
from catalog.insights.value import charts, panels, selectors, tables
from portal.plugins.api import Team, is_tenant_admin

CAVEAT = (
    "Differences are associations, not proof of cause: teams that adopt a capability may differ from the "
    "others, and other things change in the same weeks."
)


def _capability_or_404(request: HttpRequest, slug: str):
    capability = catalog_selectors.visible_capability(request.membership, slug=slug)
    if capability is None or capability.archived:
        raise Http404("No such capability.")
    return capability


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    summaries = tenant_adoption_summaries(request.membership)
    capabilities = [capability for capability, _ in summaries]
    data = selectors.delivery_data()
    values = selectors.capabilities_value(capabilities, data=data)
    nps = selectors.latest_nps([c.pk for c in capabilities])
    rows = [
        tables.dashboard_row(v, adoption=summary, nps=nps.get(v.capability.pk))
        for v, (_, summary) in zip(values, summaries, strict=True)
    ]
    return TemplateResponse(
        request,
        "insights/value/dashboard.html",
        {
            "rows": rows,
            "metric_labels": [metrics.METRIC_LABELS[m] for m in metrics.METRIC_NAMES],
            "caveat": CAVEAT,
            "window_weeks": metrics.WINDOW_WEEKS,
            "min_teams": metrics.MIN_TEAMS,
            "unmapped": data.unmapped_repositories[:20],
            "is_admin": is_tenant_admin(request.membership),
        },
    )


@login_required
def capability_value(request: HttpRequest, capability_slug: str) -> HttpResponse:
    capability = _capability_or_404(request, capability_slug)
    value = selectors.capabilities_value([capability])[0]
    team_names = dict(
        Team.objects.filter(pk__in=[c.team_id for c in value.comparisons]).values_list("pk", "name")
    )
    return TemplateResponse(
        request,
        "insights/value/capability.html",
        {
            "capability": capability,
            "value": value,
            "effects": [(e, charts.slope(e), tables.signed(e.difference, e.metric)) for e in value.effects],
            "teams": tables.comparison_rows(value, team_names),
            "caveat": CAVEAT,
            "window_weeks": metrics.WINDOW_WEEKS,
            "min_teams": metrics.MIN_TEAMS,
            "min_events": metrics.MIN_EVENTS,
        },
    )


@login_required
def capability_panel(request: HttpRequest, capability_slug: str) -> HttpResponse:
    """The Value panel's body for the capability page (fetched by htmx after the page is shown)."""
    capability = _capability_or_404(request, capability_slug)
    context = {"capability": capability, **panels.value_context(request, capability)}
    return TemplateResponse(request, "insights/value/panel_body.html", context)


@login_required
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    """The dashboard's numbers, one row per capability and metric (spreadsheet-friendly, long format)."""
    capabilities = list(catalog_selectors.visible_capabilities(request.membership).order_by("name"))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="platform-value.csv"'
    writer = csv.writer(response)
    writer.writerow(tables.CSV_HEADER)
    for value in selectors.capabilities_value(capabilities):
        writer.writerows(tables.csv_rows(value))
    return response
