"""What the surveys concern adds to the insights plugin (gathered by `catalog.insights.plugin`)."""

from __future__ import annotations

from catalog.insights.surveys.api import SurveyRoundViewSet
from catalog.insights.surveys.urls import urlpatterns as _urlpatterns
from portal.plugins.api import ApiRoute

nav_items: list = []
capability_panels: list = []  # shown inside the Value panel (catalog.insights.value.panels)
urlpatterns: list = list(_urlpatterns)
public_urlpatterns: list = []
api_routes: list = [
    ApiRoute(prefix="insights/surveys", viewset=SurveyRoundViewSet, basename="insights-survey")
]
event_handlers: dict = {}
