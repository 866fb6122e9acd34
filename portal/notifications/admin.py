"""Admin views for support staff: deliveries (to see why something was not received) and endpoints."""

from django.contrib import admin

from portal.notifications.models import ChannelEndpoint, Delivery, Notification, Subscription
from portal.tenancy.admin import TenantScopedAdmin


@admin.register(Notification)
class NotificationAdmin(TenantScopedAdmin):
    list_display = ["title", "category", "topic_kind", "topic_id", "created_at", "fanned_out_at"]
    list_filter = ["category", "topic_kind"]
    search_fields = ["title", "key"]
    readonly_fields = ["fanout_started_at", "fanned_out_at", "fanout_attempts", "recipient_user_ids"]


@admin.register(Delivery)
class DeliveryAdmin(TenantScopedAdmin):
    list_display = ["id", "notification", "channel", "recipient", "endpoint", "state", "attempts", "sent_at"]
    list_filter = ["state", "channel", "digest"]
    raw_id_fields = ["notification", "recipient", "endpoint"]
    readonly_fields = ["claim_token", "claimed_at", "enqueued_at", "sent_at", "last_error", "attempts"]


@admin.register(Subscription)
class SubscriptionAdmin(TenantScopedAdmin):
    list_display = ["user", "topic_kind", "topic_id", "topic_label", "releases", "status", "active"]
    list_filter = ["topic_kind", "active"]
    raw_id_fields = ["user"]


@admin.register(ChannelEndpoint)
class ChannelEndpointAdmin(TenantScopedAdmin):
    """The URL and secret stay encrypted and are not shown here either."""

    list_display = ["name", "team", "kind", "url_hint", "enabled", "last_success_at", "last_error_at"]
    list_filter = ["kind", "enabled"]
    exclude = ["url_encrypted", "secret_encrypted"]
    readonly_fields = ["url_hint", "last_error", "last_error_at", "last_success_at", "disabled_at"]
