"""The shared `/api/v1/` router: core routes plus every plugin's `api_routes()`."""

from rest_framework.routers import DefaultRouter

from portal.accounts.api.views import TeamViewSet
from portal.notifications.api.urls import register as register_notifications
from portal.plugins.registry import api_routes


def build_router() -> DefaultRouter:
    router = DefaultRouter()
    router.register("teams", TeamViewSet, basename="team")
    register_notifications(router)
    for route in api_routes():
        router.register(route.prefix, route.viewset, basename=route.basename)
    return router
