"""`/api/v1/subscriptions/`, `/channel-preferences/`, `/channel-endpoints/`, `/channel-routes/`, `/inbox/`.

Subscriptions, preferences and the inbox are the caller's own (others' rows answer 404). Channel endpoints
and routes are for maintainers of the endpoint's team and tenant admins; viewers may manage their own
subscriptions (following is personal, not a content write).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from portal.accounts.models import Team
from portal.accounts.permissions import IsTenantMember, can_maintain, membership_of
from portal.notifications import selectors, services
from portal.notifications.api import serializers as s
from portal.notifications.models import ChannelEndpoint, ChannelRoute, InboxItem, Subscription
from portal.notifications.services.subscriptions import personal_channels
from portal.notifications.topics import InvalidTopic, UnknownTopic


class IsMemberAnyRole(IsTenantMember):
    """Any member, viewers included, may write their own notification settings."""

    def has_permission(self, request, view) -> bool:
        return membership_of(request) is not None and bool(request.user and request.user.is_authenticated)


@extend_schema_view(
    create=extend_schema(request=s.SubscriptionInputSerializer, responses={201: s.SubscriptionSerializer}),
    partial_update=extend_schema(request=s.SubscriptionUpdateSerializer, responses=s.SubscriptionSerializer),
    update=extend_schema(request=s.SubscriptionUpdateSerializer, responses=s.SubscriptionSerializer),
)
class SubscriptionViewSet(viewsets.ModelViewSet):
    """The caller's follows. POST follows (or re-activates) a topic; DELETE unfollows."""

    serializer_class = s.SubscriptionSerializer
    permission_classes = [IsAuthenticated, IsMemberAnyRole]
    queryset = Subscription.unscoped.none()
    cursor_ordering = ("id",)

    def get_queryset(self):
        return Subscription.objects.filter(user_id=self.request.user.pk)

    def create(self, request, *args, **kwargs):
        data = s.SubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            subscription = services.subscription_follow(user=request.user, **data.validated_data)
        except UnknownTopic as exc:  # missing, another tenant's or hidden: the same answer for all three
            raise NotFound(str(exc)) from None
        except InvalidTopic as exc:
            raise ValidationError({"topic_id": [str(exc)]}) from None
        return Response(s.SubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        subscription = self.get_object()
        data = s.SubscriptionUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        try:
            services.subscription_update(
                subscription=subscription,
                releases=data.validated_data.get("releases", subscription.releases),
                status=data.validated_data.get("status", subscription.status),
            )
        except InvalidTopic as exc:
            raise ValidationError({"releases": [str(exc)]}) from None
        return Response(s.SubscriptionSerializer(subscription).data)

    def perform_destroy(self, instance):
        services.subscription_delete(subscription=instance)


class ChannelPreferenceViewSet(viewsets.ViewSet):
    """How often each personal channel delivers: immediate, daily, weekly (email only) or off."""

    permission_classes = [IsAuthenticated, IsMemberAnyRole]
    lookup_field = "channel"
    lookup_value_regex = "[a-z0-9_-]+"

    def _rows(self, request):
        return selectors.preferences_of(request.user.pk, personal_channels())

    @extend_schema(responses=s.ChannelPreferenceSerializer(many=True))
    def list(self, request):
        return Response(s.ChannelPreferenceSerializer(self._rows(request), many=True).data)

    @extend_schema(responses=s.ChannelPreferenceSerializer)
    def retrieve(self, request, channel=None):
        row = next((r for r in self._rows(request) if r["channel"] == channel), None)
        if row is None:
            raise NotFound("No such channel.")
        return Response(s.ChannelPreferenceSerializer(row).data)

    @extend_schema(request=s.ChannelPreferenceSerializer, responses=s.ChannelPreferenceSerializer)
    def update(self, request, channel=None):
        if channel not in dict(personal_channels()):
            raise NotFound("No such channel.")
        data = s.ChannelPreferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.preference_set(
                user=request.user, channel=channel, frequency=data.validated_data["frequency"]
            )
        except ValueError as exc:
            raise ValidationError({"frequency": [str(exc)]}) from None
        return self.retrieve(request, channel=channel)

    @extend_schema(request=s.ChannelPreferenceSerializer, responses=s.ChannelPreferenceSerializer)
    def partial_update(self, request, channel=None):
        return self.update(request, channel=channel)


@extend_schema_view(
    create=extend_schema(request=s.EndpointCreateSerializer, responses={201: s.EndpointSerializer}),
    partial_update=extend_schema(request=s.EndpointUpdateSerializer, responses=s.EndpointSerializer),
    update=extend_schema(request=s.EndpointUpdateSerializer, responses=s.EndpointSerializer),
)
class ChannelEndpointViewSet(viewsets.ModelViewSet):
    """Team chat endpoints. The URL is write-only; a webhook's signing secret is returned once on create
    (`signing_secret`) and by `rotate-secret`."""

    serializer_class = s.EndpointSerializer
    queryset = ChannelEndpoint.unscoped.none()
    cursor_ordering = ("id",)

    def get_queryset(self):
        return selectors.endpoints_for(membership_of(self.request)).prefetch_related("routes")

    def create(self, request, *args, **kwargs):
        data = s.EndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = Team.objects.filter(slug=data.validated_data["team"]).first()
        if team is None or not can_maintain(membership_of(request), team):
            raise ValidationError({"team": ["Choose a team you maintain."]})
        endpoint, secret = services.endpoint_create(
            team=team,
            kind=data.validated_data["kind"],
            name=data.validated_data["name"],
            url=data.validated_data["url"],
            created_by=request.user,
        )
        body = s.EndpointSerializer(self.get_queryset().get(pk=endpoint.pk)).data
        if secret:
            body["signing_secret"] = secret
        return Response(body, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        data = s.EndpointUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        services.endpoint_update(
            endpoint=endpoint, name=data.validated_data.get("name"), url=data.validated_data.get("url")
        )
        return Response(s.EndpointSerializer(self.get_queryset().get(pk=endpoint.pk)).data)

    def perform_destroy(self, instance):
        services.endpoint_delete(endpoint=instance)

    @extend_schema(request=None, responses=s.EndpointSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self.get_object()
        secret = services.endpoint_rotate_secret(endpoint=endpoint)
        return Response({"id": endpoint.pk, "signing_secret": secret})

    @extend_schema(request=None, responses=s.EndpointSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        endpoint = services.endpoint_enable(endpoint=self.get_object())
        return Response(s.EndpointSerializer(self.get_queryset().get(pk=endpoint.pk)).data)


@extend_schema_view(create=extend_schema(request=s.RouteInputSerializer, responses={201: s.RouteSerializer}))
class ChannelRouteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """What each endpoint receives: a capability's (or every capability's) releases and/or status."""

    serializer_class = s.RouteSerializer
    queryset = ChannelRoute.unscoped.none()
    cursor_ordering = ("id",)

    def get_queryset(self):
        return ChannelRoute.objects.filter(endpoint__in=selectors.endpoints_for(membership_of(self.request)))

    def create(self, request, *args, **kwargs):
        data = s.RouteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        endpoint = selectors.endpoints_for(membership_of(request)).filter(pk=values.pop("endpoint")).first()
        if endpoint is None:
            raise ValidationError({"endpoint": ["No such endpoint among the teams you maintain."]})
        try:
            route = services.route_add(endpoint=endpoint, membership=membership_of(request), **values)
        except UnknownTopic as exc:
            raise NotFound(str(exc)) from None
        return Response(s.RouteSerializer(route).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.route_delete(route=instance)


class InboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's in-app notifications, newest first. `?unread=1` lists unread ones only."""

    serializer_class = s.InboxItemSerializer
    permission_classes = [IsAuthenticated, IsMemberAnyRole]
    queryset = InboxItem.unscoped.none()
    cursor_ordering = ("-created_at", "-id")

    def get_queryset(self):
        unread = self.request.query_params.get("unread") in {"1", "true"}
        return selectors.inbox_of(self.request.user.pk, unread_only=unread)

    @extend_schema(request=None, responses=s.InboxItemSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        item = self.get_object()  # a malformed id is a 404 here, never a ValueError from the ORM
        item = services.inbox_mark_read(user=request.user, item_id=item.pk)
        return Response(s.InboxItemSerializer(item).data)

    @extend_schema(request=None, responses={200: dict})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked_read": services.inbox_mark_all_read(user=request.user)})
