"""What the delivery concern adds to the insights plugin (gathered by `catalog.insights.plugin`)."""

from __future__ import annotations

from catalog.insights.delivery import urls
from catalog.insights.delivery.api import IngestSourceViewSet, RepoMappingViewSet
from portal.plugins.api import ApiRoute

nav_items: list = []  # reached from Platform value (repositories, sources)
capability_panels: list = []
urlpatterns: list = list(urls.urlpatterns)
public_urlpatterns: list = list(urls.public_urlpatterns)
api_routes: list = [
    ApiRoute(prefix="insights/sources", viewset=IngestSourceViewSet, basename="insights-source"),
    ApiRoute(prefix="insights/repositories", viewset=RepoMappingViewSet, basename="insights-repository"),
]
event_handlers: dict = {}
