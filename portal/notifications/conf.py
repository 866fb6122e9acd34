"""Tunables of the delivery engine, read from Django settings (which read the environment).

Read at call time, not import time, so `override_settings` in tests and per-process env in workers both work.
Every countdown the engine hands to Celery is capped below the broker's visibility timeout: a task with an
ETA beyond it would be redelivered to a second worker while the first still holds it. Longer waits live in
the database (`Delivery.next_attempt_at`) and the beat sweep picks them up.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

DEFAULTS: dict[str, object] = {
    "NOTIFY_MAX_ATTEMPTS": 8,
    "NOTIFY_BATCH_SIZE": 200,  # deliveries per send task (one SMTP connection per email batch)
    "NOTIFY_ENDPOINT_BATCH_SIZE": 20,  # chat/webhook deliveries per send task (one HTTP call each)
    "NOTIFY_FANOUT_CHUNK": 2000,  # recipients per bulk insert
    "NOTIFY_RETRY_BASE_SECONDS": 30,
    "NOTIFY_RETRY_MAX_SECONDS": 6 * 3600,
    "NOTIFY_MAX_COUNTDOWN_SECONDS": 300,
    "NOTIFY_STUCK_AFTER_SECONDS": 600,  # a claim older than this is considered abandoned (worker died)
    "NOTIFY_REQUEUE_AFTER_SECONDS": 300,  # a queued delivery nobody claimed for this long is queued again
    "NOTIFY_FANOUT_GRACE_SECONDS": 30,  # a notification not fanned out after this is fanned out by the sweep
    "NOTIFY_SLACK_PER_SECOND": 1.0,
    "NOTIFY_HTTP_TIMEOUT": 10,
    "NOTIFY_WEBHOOK_ALLOW_HTTP": None,  # None: allowed when DEBUG (local receivers); https only otherwise
    "AGORA_BASE_URL": "http://127.0.0.1:8000",
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def max_attempts() -> int:
    return int(get("NOTIFY_MAX_ATTEMPTS"))


def max_countdown() -> int:
    """The longest countdown handed to Celery: the configured one, and never past half the visibility
    timeout of the broker."""
    visibility = int(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).get("visibility_timeout", 3600))
    return max(0, min(int(get("NOTIFY_MAX_COUNTDOWN_SECONDS")), visibility // 2))


def base_url() -> str:
    return str(get("AGORA_BASE_URL")).rstrip("/")


def mail_domain() -> str:
    return urlsplit(base_url()).hostname or "localhost"


def webhook_allow_http() -> bool:
    value = get("NOTIFY_WEBHOOK_ALLOW_HTTP")
    return bool(settings.DEBUG) if value is None else bool(value)


def absolute(url: str) -> str:
    """Make a site-relative URL (as features pass them) absolute for email and chat."""
    if url.startswith(("http://", "https://")):
        return url
    return base_url() + "/" + url.lstrip("/")


def link(url: str) -> str:
    """Where "Open in Agora" points: the notification's URL made absolute, or the site when it has none."""
    return absolute(url) if url else base_url()
