"""The notifications routes on the shared `/api/v1/` router."""

from rest_framework.routers import DefaultRouter

from portal.notifications.api.views import (
    ChannelEndpointViewSet,
    ChannelPreferenceViewSet,
    ChannelRouteViewSet,
    InboxViewSet,
    SubscriptionViewSet,
)


def register(router: DefaultRouter) -> None:
    router.register("subscriptions", SubscriptionViewSet, basename="subscription")
    router.register("channel-preferences", ChannelPreferenceViewSet, basename="channel-preference")
    router.register("channel-endpoints", ChannelEndpointViewSet, basename="channel-endpoint")
    router.register("channel-routes", ChannelRouteViewSet, basename="channel-route")
    router.register("inbox", InboxViewSet, basename="inbox")
