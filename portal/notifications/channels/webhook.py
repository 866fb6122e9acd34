"""Generic webhooks: a JSON body signed with the endpoint's own secret.

`X-Agora-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>` proves the sender;
`X-Agora-Delivery: <id>` is stable across retries, so receivers can drop a message they already processed.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from portal.notifications import conf
from portal.notifications.channels.http import endpoint_ready, post_json, record
from portal.tenancy.context import require_current_tenant


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(delivery) -> dict:
    notification = delivery.notification
    return {
        "delivery_id": str(delivery.pk),
        "tenant": require_current_tenant().slug,
        "notification": {
            "key": notification.key,
            "category": notification.category,
            "topic": {"kind": notification.topic_kind, "id": notification.topic_id or None},
            "title": notification.title,
            "body_markdown": notification.body_markdown,
            "url": conf.absolute(notification.url) if notification.url else "",
            "created_at": notification.created_at.isoformat(),
        },
    }


class WebhookChannel:
    key = "webhook"

    def send(self, deliveries, outcome) -> None:
        for delivery in deliveries:
            if not endpoint_ready(delivery, outcome):
                continue
            body = json.dumps(payload(delivery), separators=(",", ":")).encode()
            headers = {
                "X-Agora-Delivery": str(delivery.pk),
                "X-Agora-Signature": sign(delivery.endpoint.secret, body),
            }
            record(delivery, post_json(delivery.endpoint.url, body, headers), outcome)
