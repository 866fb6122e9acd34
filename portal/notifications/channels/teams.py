"""Microsoft Teams Workflows webhooks: a `message` with one Adaptive Card 1.4 attachment, under 28 KB.

The size limit applies to the whole request body, so the notes are cut until the serialised payload fits.
Every property used must exist in the declared card version (Teams rejects or mis-renders newer ones): the
title is bold and medium-sized rather than `style: "heading"`, which only 1.5 knows. The test validates
each kind of card against Microsoft's 1.4 schema (tests/notifications/test_teams_schema.py).
"""

from __future__ import annotations

import json

from portal.notifications import conf
from portal.notifications.channels.http import endpoint_ready, post_json, record

MAX_BYTES = 28 * 1024 - 512  # a margin below Teams' 28 KB for headers the connector adds
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def card(notification, body: str) -> dict:
    """The Workflows `message` with one Adaptive Card 1.4: title, category line, notes, a link back."""
    url = conf.link(notification.url)
    blocks: list[dict] = [
        {
            "type": "TextBlock",
            "text": notification.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "text": f"{notification.get_category_display()} · Agora",
            "isSubtle": True,
            "spacing": "None",
            "wrap": True,
        },
    ]
    if body:
        blocks.append({"type": "TextBlock", "text": body, "wrap": True})
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": CARD_SCHEMA,
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": blocks,
                    "actions": [{"type": "Action.OpenUrl", "title": "Open in Agora", "url": url}],
                },
            }
        ],
    }


def payload_bytes(notification) -> bytes:
    """The serialised message, with the notes shortened (never the title) until it fits."""
    body = notification.body_markdown.strip()
    data = json.dumps(card(notification, body)).encode()
    while len(data) > MAX_BYTES and body:
        overshoot = len(data) - MAX_BYTES
        keep = max(0, len(body) - max(overshoot, len(body) // 10) - 64)
        body = body[:keep].rstrip() + "… (truncated, open in Agora for the full notes)" if keep else ""
        data = json.dumps(card(notification, body)).encode()
    return data


class TeamsChannel:
    key = "teams"

    def send(self, deliveries, outcome) -> None:
        for delivery in deliveries:
            if not endpoint_ready(delivery, outcome):
                continue
            record(delivery, post_json(delivery.endpoint.url, payload_bytes(delivery.notification)), outcome)
