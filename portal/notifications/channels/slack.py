"""Slack incoming webhooks: `text` fallback (notifications, screen readers) plus Block Kit `blocks`."""

from __future__ import annotations

import json
import re

from portal.notifications import conf
from portal.notifications.channels import ratelimit
from portal.notifications.channels.http import endpoint_ready, post_json, record

HEADER_MAX = 150  # Block Kit header text limit
SECTION_MAX = 3000  # Block Kit section text limit
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def escape(text: str) -> str:
    """Slack's three control characters; everything else is literal."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """Markdown → Slack mrkdwn for the common cases (links, bold); the rest reads fine as is."""
    text = escape(markdown)
    text = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    return _BOLD.sub(r"*\1*", text)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def payload(notification) -> dict:
    url = conf.link(notification.url)
    title = truncate(notification.title, HEADER_MAX)
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}}]
    if notification.body_markdown.strip():
        body = truncate(to_mrkdwn(notification.body_markdown), SECTION_MAX)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": escape(f"{notification.get_category_display()} · Agora")}
            ],
        }
    )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Open in Agora"}, "url": url}
            ],
        }
    )
    return {"text": f"{escape(notification.title)} <{url}|Open in Agora>", "blocks": blocks}


class SlackChannel:
    key = "slack"

    def send(self, deliveries, outcome) -> None:
        per_second = float(conf.get("NOTIFY_SLACK_PER_SECOND"))
        for delivery in deliveries:
            if not endpoint_ready(delivery, outcome):
                continue
            wait = ratelimit.acquire(f"endpoint:{delivery.endpoint_id}", per_second=per_second)
            if wait > 0:
                outcome.defer(delivery, wait)
                continue
            body = json.dumps(payload(delivery.notification)).encode()
            record(delivery, post_json(delivery.endpoint.url, body), outcome)
