"""What the adoption concern adds to the insights plugin (gathered by `catalog.insights.plugin`)."""

from __future__ import annotations

from catalog.insights.adoption.api import AdoptionRuleViewSet, AdoptionSummaryViewSet, AdoptionViewSet
from catalog.insights.adoption.inference import EVENT, on_deployment_recorded
from catalog.insights.adoption.urls import urlpatterns as _urls
from portal.plugins.api import ApiRoute

nav_items: list = []
capability_panels: list = []  # shown inside the Value panel (catalog.insights.value.panels)
urlpatterns: list = list(_urls)
public_urlpatterns: list = []
api_routes: list = [
    ApiRoute(prefix="insights/adoptions", viewset=AdoptionViewSet, basename="insights-adoption"),
    ApiRoute(
        prefix="insights/adoption-rules", viewset=AdoptionRuleViewSet, basename="insights-adoption-rule"
    ),
    ApiRoute(
        prefix="insights/adoption-summaries",
        viewset=AdoptionSummaryViewSet,
        basename="insights-adoption-summary",
    ),
]
event_handlers: dict = {EVENT: [on_deployment_recorded]}
