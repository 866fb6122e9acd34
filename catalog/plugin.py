"""Registers the catalog through the same hooks a third-party plugin uses."""

from __future__ import annotations

from portal.plugins.api import AgoraPlugin, ApiRoute, NavItem


class CatalogPlugin(AgoraPlugin):
    name = "catalog"
    verbose_name = "Catalog"
    version = "0.1.0"
    min_core_version = "0.1.0"
    url_prefix = "catalog"

    def nav_items(self):
        return [NavItem(label="Catalog", url_name="catalog:list", order=10)]

    def urlpatterns(self):
        from catalog.urls import urlpatterns

        return urlpatterns

    def api_routes(self):
        from catalog.api.views import CapabilityViewSet

        return [ApiRoute(prefix="capabilities", viewset=CapabilityViewSet, basename="capability")]

    def demo_data(self, *, tenant, teams, users):
        from catalog import demo

        demo.load(tenant=tenant, teams=teams)
