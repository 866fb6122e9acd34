"""The shared `/api/v1/` router: core routes plus every plugin's `api_routes()`."""

from rest_framework.routers import DefaultRouter

from portal.accounts.api.views import (
    AuditEntryViewSet,
    InvitationViewSet,
    MembershipViewSet,
    TeamMembershipViewSet,
    TeamViewSet,
)
from portal.notifications.api.urls import register as register_notifications
from portal.plugins.registry import api_routes


def build_router() -> DefaultRouter:
    router = DefaultRouter()
    router.register("teams", TeamViewSet, basename="team")
    router.register("team-memberships", TeamMembershipViewSet, basename="team-membership")
    router.register("memberships", MembershipViewSet, basename="membership")
    router.register("invitations", InvitationViewSet, basename="invitation")
    router.register("audit", AuditEntryViewSet, basename="audit")
    register_notifications(router)
    for route in api_routes():
        router.register(route.prefix, route.viewset, basename=route.basename)
    return router
