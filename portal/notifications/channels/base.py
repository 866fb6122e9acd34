"""What a channel is: something that takes a batch of claimed deliveries and reports each outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from portal.notifications.engine.delivery import Outcome
    from portal.notifications.models import Delivery


class Channel(Protocol):
    key: str

    def send(self, deliveries: list[Delivery], outcome: Outcome) -> None:
        """Send every delivery and call exactly one of outcome.sent/retry/fail/defer for each."""


class PluginChannel:
    """Adapts a plugin's `NotificationChannel` (one delivery per call, raises on failure) to a batch."""

    def __init__(self, key: str, send_one) -> None:
        self.key = key
        self._send_one = send_one

    def send(self, deliveries, outcome) -> None:
        for delivery in deliveries:
            try:
                self._send_one(delivery)
            except Exception as exc:
                outcome.retry(delivery, f"{type(exc).__name__}: {exc}")
            else:
                outcome.sent(delivery)
