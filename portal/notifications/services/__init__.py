"""Writes of the notifications app (`<entity>_<verb>`, keyword-only, one transaction each)."""

from portal.notifications.engine.publish import notification_publish
from portal.notifications.services.endpoints import (
    endpoint_create,
    endpoint_delete,
    endpoint_disable,
    endpoint_enable,
    endpoint_rotate_secret,
    endpoint_send_test,
    endpoint_update,
    route_add,
    route_delete,
)
from portal.notifications.services.inbox import inbox_mark_all_read, inbox_mark_read
from portal.notifications.services.subscriptions import (
    preference_set,
    subscription_delete,
    subscription_follow,
    subscription_unfollow,
    subscription_update,
    subscriptions_copy,
    subscriptions_ensure,
    unsubscribe_by_token,
)

__all__ = [
    "endpoint_create",
    "endpoint_delete",
    "endpoint_disable",
    "endpoint_enable",
    "endpoint_rotate_secret",
    "endpoint_send_test",
    "endpoint_update",
    "inbox_mark_all_read",
    "inbox_mark_read",
    "notification_publish",
    "preference_set",
    "route_add",
    "route_delete",
    "subscription_delete",
    "subscription_follow",
    "subscription_unfollow",
    "subscription_update",
    "subscriptions_copy",
    "subscriptions_ensure",
    "unsubscribe_by_token",
]
