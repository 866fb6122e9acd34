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
        return [
            NavItem(label="Catalog", url_name="catalog:list", order=10),
            NavItem(label="Changelog", url_name="catalog:releases:changelog", order=11),
            NavItem(label="Status", url_name="catalog:releases:status", order=12),
        ]

    def capability_panels(self):
        from catalog.releases.panels import PANELS

        return PANELS

    def home_panels(self):
        from catalog.releases.panels import HOME_PANELS

        return HOME_PANELS

    def urlpatterns(self):
        from catalog.urls import urlpatterns

        return urlpatterns

    def public_urlpatterns(self):
        """Token-authenticated Atom feeds, mounted at /pub/catalog/ (feed readers cannot log in)."""
        from catalog.releases.public_urls import urlpatterns

        return urlpatterns

    def api_routes(self):
        from catalog.api.views import CapabilityViewSet
        from catalog.backstage.api import BackstageViewSet
        from catalog.releases.api.views import ReleaseViewSet, StatusUpdateViewSet

        return [
            ApiRoute(prefix="capabilities", viewset=CapabilityViewSet, basename="capability"),
            ApiRoute(prefix="backstage", viewset=BackstageViewSet, basename="backstage"),
            ApiRoute(prefix="releases", viewset=ReleaseViewSet, basename="release"),
            ApiRoute(prefix="status-updates", viewset=StatusUpdateViewSet, basename="status-update"),
        ]

    def event_handlers(self):
        from catalog.releases.handlers import notify_release_published, notify_status_update_posted

        return {
            "catalog.release_published": [notify_release_published],
            "catalog.status_update_posted": [notify_status_update_posted],
        }

    def ready(self):
        # Celery autodiscovers `catalog.tasks` only: register the release tasks (the beat publishes due ones).
        import catalog.releases.tasks  # noqa: F401
        from catalog.models import Capability
        from catalog.selectors import visible_capabilities
        from portal.plugins.api import Membership, notification_topic_register

        def visible(membership: Membership | None, pk: int) -> bool:
            """Following a capability (or routing it to a channel) needs seeing it, archived ones included:
            another tenant's or a team-restricted one the member is not shown is "no such capability"."""
            return visible_capabilities(membership, include_archived=True).filter(pk=pk).exists()

        def label(pk: int) -> str:
            return Capability.objects.filter(pk=pk).values_list("name", flat=True).first() or ""

        def choices(membership: Membership | None) -> list[tuple[str, list[tuple[int, str]]]]:
            """A channel route's capability picker: what the member sees (not archived), by owner team."""
            rows = (
                visible_capabilities(membership)
                .order_by("owner_team__name", "name")
                .values_list("pk", "name", "owner_team__name")
            )
            groups: dict[str, list[tuple[int, str]]] = {}
            for pk, name, team in rows:
                groups.setdefault(team or "No team", []).append((pk, name))
            return list(groups.items())

        # No `exists` hook: `visible` covers existence wherever a person names the capability, and features
        # subscribing by an id they hold need no check.
        notification_topic_register("capability", visible=visible, label=label, choices=choices)

    def team_archive_blockers(self, team):
        """A team that still owns active capabilities cannot be archived: transfer them first."""
        from catalog.models import Capability

        names = list(
            Capability.objects.filter(owner_team=team, archived=False)
            .order_by("name")
            .values_list("name", flat=True)
        )
        if not names:
            return []
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        count = len(names)
        return [
            f"{team.name} still owns {count} active capabilities ({shown}): transfer or archive them first."
        ]

    def demo_data(self, *, tenant, teams, users):
        from catalog import demo
        from catalog.releases import demo as releases_demo

        demo.load(tenant=tenant, teams=teams)
        releases_demo.load(tenant=tenant, users=users)
