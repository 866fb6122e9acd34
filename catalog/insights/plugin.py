"""The insights plugin: is a capability worth it? Adoption, satisfaction, delivery performance (DORA).

It uses only the public plugin API and the catalog's public selectors; the catalog works without it.
Each concern (adoption, surveys, delivery, value) is a sub-package whose `hooks` module lists what it adds;
this class only gathers them, so the concerns stay independent of each other.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from portal.plugins.api import AgoraPlugin

CONCERNS = ("adoption", "surveys", "delivery", "value")


def _gather(hook: str) -> list[Any]:
    found: list[Any] = []
    for concern in CONCERNS:
        module = import_module(f"catalog.insights.{concern}.hooks")
        found += list(getattr(module, hook, []))
    return found


class InsightsPlugin(AgoraPlugin):
    name = "insights"
    verbose_name = "Insights"
    version = "0.1.0"
    min_core_version = "0.1.0"
    url_prefix = "insights"

    def nav_items(self):
        return _gather("nav_items")

    def capability_panels(self):
        return _gather("capability_panels")

    def urlpatterns(self):
        return _gather("urlpatterns")

    def public_urlpatterns(self):
        return _gather("public_urlpatterns")

    def api_routes(self):
        return _gather("api_routes")

    def event_handlers(self):
        handlers: dict[str, list[Any]] = {}
        for concern in CONCERNS:
            module = import_module(f"catalog.insights.{concern}.hooks")
            for kind, functions in getattr(module, "event_handlers", {}).items():
                handlers.setdefault(kind, []).extend(functions)
        return handlers

    def ready(self):
        for concern in CONCERNS:  # Celery autodiscovers `<app>.tasks` only
            try:
                import_module(f"catalog.insights.{concern}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"catalog.insights.{concern}.tasks":
                    raise

    def demo_data(self, *, tenant, teams, users):
        from catalog.insights import demo

        demo.load(tenant=tenant, teams=teams, users=users)
