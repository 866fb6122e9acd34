"""Registers the feature-request board through the public plugin hooks, like a third-party plugin."""

from __future__ import annotations

from typing import Any

from portal.plugins.api import AgoraPlugin, ApiRoute, CapabilityPanel, HomePanel, NavItem, SettingSpec


def _non_negative_int(value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"expected a whole number >= 0 (0 switches the limit off), got {value!r}")


class RequestsPlugin(AgoraPlugin):
    name = "requests_app"
    verbose_name = "Feature requests"
    version = "0.1.0"
    min_core_version = "0.1.0"
    url_prefix = "requests"
    # Abuse limits per person and hour (requests_app.ratelimit); override in AGORA_PLUGINS_CONFIG.
    settings_spec = {
        "requests_per_hour": SettingSpec(default=5, validate=_non_negative_int, help="New requests."),
        "comments_per_hour": SettingSpec(default=30, validate=_non_negative_int, help="Comments."),
        "votes_per_hour": SettingSpec(default=120, validate=_non_negative_int, help="Votes and unvotes."),
    }

    def nav_items(self):
        return [
            NavItem(label="Requests", url_name="requests_app:list", order=20),
            NavItem(label="Roadmap", url_name="requests_app:roadmap", order=21),
        ]

    def capability_panels(self):
        from requests_app.panels import requests_panel_context

        return [
            CapabilityPanel(
                key="requests",
                title="Top feature requests",
                template="requests_app/panel.html",
                order=40,
                permission=lambda request, capability: getattr(request, "membership", None) is not None,
                get_context=requests_panel_context,
            )
        ]

    def home_panels(self):
        from requests_app.panels import my_requests_context

        return [
            HomePanel(
                key="my-requests",
                title="My requests",
                template="requests_app/home_panel.html",
                order=30,
                column="side",
                permission=lambda request: getattr(request, "membership", None) is not None,
                get_context=my_requests_context,
            )
        ]

    def urlpatterns(self):
        from requests_app.urls import urlpatterns

        return urlpatterns

    def api_routes(self):
        from requests_app.api.views import FeatureRequestViewSet

        return [ApiRoute(prefix="requests", viewset=FeatureRequestViewSet, basename="feature-request")]

    def reference_errors(self, *, kind, keys, context):
        from requests_app.references import reference_errors

        return reference_errors(kind=kind, keys=keys, context=context)

    def event_handlers(self):
        from requests_app import handlers

        return {
            "catalog.release_published": [handlers.ship_requests_of_release],
            "requests.status_changed": [handlers.notify_status_changed],
            "requests.official_response": [handlers.notify_official_response],
            "requests.merged": [handlers.notify_merged],
        }

    def ready(self):
        from portal.plugins.api import Membership, notification_topic_register
        from requests_app.models import FeatureRequest
        from requests_app.selectors import visible_requests

        def exists(pk: int) -> bool:
            return FeatureRequest.objects.filter(pk=pk).exists()

        def visible(membership: Membership | None, pk: int) -> bool:
            """A request on a capability the member cannot see does not exist for them (its title would
            otherwise show as the follow's label)."""
            return visible_requests(membership).filter(pk=pk).exists()

        def label(pk: int) -> str:
            found = FeatureRequest.objects.filter(pk=pk).values_list("number", "title").first()
            return f"#{found[0]} {found[1]}" if found else ""

        notification_topic_register("request", exists=exists, visible=visible, label=label)

    def demo_data(self, *, tenant, teams, users):
        from requests_app import demo

        demo.load(tenant=tenant, users=users)
