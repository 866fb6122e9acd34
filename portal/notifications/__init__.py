"""Subscriptions and durable notification delivery (email, Slack, Teams, webhooks, in-app inbox).

A core app: features publish through `portal.plugins.api.notification_publish`; this package never imports a
feature. See `engine/` for the delivery guarantees (durable rows, claims, retries, sweeps).
"""
