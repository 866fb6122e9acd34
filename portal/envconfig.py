"""Small readers for environment variables (booleans, lists, the EMAIL_URL scheme).

EMAIL_URL is parsed here rather than with a dependency: it is a dozen lines and the format is ours.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from exc


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_email_url(url: str) -> dict[str, dict[str, object]]:
    """Map EMAIL_URL to Django's MAILERS setting (Django 6.1 replaced EMAIL_BACKEND and EMAIL_*).

    `smtp://host:port` plain SMTP, `smtp+tls://user:pass@host:587` STARTTLS, `smtp+ssl://...` implicit TLS,
    `console://` (also the default when unset) prints mail to stdout, `locmem://` keeps it in memory.
    `?timeout=10` sets the SMTP timeout in seconds (default 10, so a dead server cannot hang a worker).
    """
    if not url or url.startswith("console:"):
        return {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    if url.startswith("locmem:"):
        return {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtp+tls", "smtp+ssl"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme {parts.scheme!r} is not one of smtp, smtp+tls, smtp+ssl, console, locmem."
        )
    query = parse_qs(parts.query)
    options: dict[str, object] = {
        "host": parts.hostname or "localhost",
        "port": parts.port
        or (465 if parts.scheme == "smtp+ssl" else 587 if parts.scheme == "smtp+tls" else 25),
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_tls": parts.scheme == "smtp+tls",
        "use_ssl": parts.scheme == "smtp+ssl",
        "timeout": int(query["timeout"][0]) if "timeout" in query else 10,
    }
    return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}}
