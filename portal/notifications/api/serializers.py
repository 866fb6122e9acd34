"""API shapes. Endpoint URLs and secrets are write-only: output shows `url_hint`, never the URL."""

from __future__ import annotations

from rest_framework import serializers

from portal.notifications.models import (
    ROUTE_TOPIC_CHOICES,
    ChannelEndpoint,
    ChannelRoute,
    EndpointKind,
    Frequency,
    InboxItem,
    Subscription,
    TopicKind,
)


class SubscriptionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "topic_kind",
            "topic_id",
            "topic_label",
            "label",
            "releases",
            "status",
            "active",
            "created_at",
        ]
        read_only_fields = ["id", "label", "active", "created_at"]


class SubscriptionInputSerializer(serializers.Serializer):
    topic_kind = serializers.ChoiceField(choices=TopicKind.choices)
    topic_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None)
    topic_label = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    releases = serializers.BooleanField(required=False, default=True)
    status = serializers.BooleanField(required=False, default=True)


class SubscriptionUpdateSerializer(serializers.Serializer):
    releases = serializers.BooleanField(required=False)
    status = serializers.BooleanField(required=False)


class ChannelPreferenceSerializer(serializers.Serializer):
    channel = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    frequency = serializers.ChoiceField(choices=Frequency.choices)


class RouteSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = ChannelRoute
        fields = ["id", "endpoint", "topic_kind", "topic_id", "topic_label", "label", "releases", "status"]
        read_only_fields = ["id", "label"]


class EndpointSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    routes = RouteSerializer(many=True, read_only=True)
    failed_deliveries = serializers.IntegerField(source="failed_count", read_only=True)

    class Meta:
        model = ChannelEndpoint
        fields = [
            "id",
            "team",
            "kind",
            "name",
            "url_hint",
            "enabled",
            "disabled_reason",
            "disabled_at",
            "last_error",
            "last_error_at",
            "last_success_at",
            "failed_deliveries",
            "routes",
            "created_at",
        ]
        read_only_fields = fields


class EndpointCreateSerializer(serializers.Serializer):
    team = serializers.SlugField()
    kind = serializers.ChoiceField(choices=EndpointKind.choices)
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=2000, write_only=True)


class EndpointUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    url = serializers.CharField(max_length=2000, write_only=True, required=False)


class EndpointSecretSerializer(serializers.Serializer):
    """Returned once, on creation or rotation of a generic webhook."""

    id = serializers.IntegerField()
    signing_secret = serializers.CharField()


class RouteInputSerializer(serializers.Serializer):
    endpoint = serializers.IntegerField()
    topic_kind = serializers.ChoiceField(choices=ROUTE_TOPIC_CHOICES)
    topic_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None)
    topic_label = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    releases = serializers.BooleanField(required=False, default=True)
    status = serializers.BooleanField(required=False, default=True)


class InboxNotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField()
    topic_kind = serializers.CharField()
    topic_id = serializers.IntegerField()
    title = serializers.CharField()
    body_markdown = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.DateTimeField()


class InboxItemSerializer(serializers.ModelSerializer):
    notification = InboxNotificationSerializer(read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = InboxItem
        fields = ["id", "notification", "read", "read_at", "created_at"]
        read_only_fields = fields

    def get_read(self, item: InboxItem) -> bool:
        return item.read_at is not None
