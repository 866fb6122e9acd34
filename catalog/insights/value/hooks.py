"""What the value concern adds: the Platform value dashboard, the Value panel, its API."""

from __future__ import annotations

from catalog.insights.value.api import ValueViewSet
from catalog.insights.value.panels import PANELS
from catalog.insights.value.urls import urlpatterns as urlpatterns
from portal.plugins.api import ApiRoute, NavItem

nav_items: list = [NavItem(label="Platform value", url_name="insights:value-dashboard", order=40)]
capability_panels: list = PANELS
public_urlpatterns: list = []
api_routes: list = [ApiRoute(prefix="insights/value", viewset=ValueViewSet, basename="insights-value")]
event_handlers: dict = {}
