"""Delivery channels: personal (email, inbox, plugin channels) and team endpoints (Slack, Teams, webhook)."""

from __future__ import annotations

from portal.notifications.channels.base import Channel, PluginChannel


def get_channel(key: str) -> Channel | None:
    from portal.notifications.channels.email import EmailChannel
    from portal.notifications.channels.inbox import InboxChannel
    from portal.notifications.channels.slack import SlackChannel
    from portal.notifications.channels.teams import TeamsChannel
    from portal.notifications.channels.webhook import WebhookChannel
    from portal.plugins.registry import notification_channels

    builtins: dict[str, type] = {
        "email": EmailChannel,
        "inbox": InboxChannel,
        "slack": SlackChannel,
        "teams": TeamsChannel,
        "webhook": WebhookChannel,
    }
    if key in builtins:
        return builtins[key]()
    plugin = notification_channels().get(key)
    return PluginChannel(key, plugin.send) if plugin is not None else None
