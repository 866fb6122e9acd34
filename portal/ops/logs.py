"""Logging configuration: text for people at a terminal, one JSON object per line for a log pipeline.

`LOG_FORMAT=json|text` (settings default: text with DEBUG=1, json otherwise). Both carry the request id and
the tenant id of the unit of work (portal.ops.requestid). JSON lines come from python-json-logger; any
`extra={...}` given to a logging call becomes a field of its own.
"""

from __future__ import annotations

import logging
from typing import Any

FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(tenant_id)s"


def json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level"})


def build_logging(*, log_format: str, level: str, celery_level: str) -> dict[str, Any]:
    """The LOGGING dict: one console handler with the request-id filter and the chosen formatter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "portal.ops.requestid.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "portal.ops.logs.json_formatter"},
            "text": {"format": TEXT_FORMAT},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": log_format}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            "celery": {"level": celery_level},
            "kombu": {"level": "WARNING"},
        },
    }


def on_celery_setup_logger(logger: logging.Logger | None = None, **_: Any) -> None:
    """`after_setup_logger` / `after_setup_task_logger`: Celery installs its own handlers in the worker
    (it hijacks the root logger); give them the request-id filter and, with LOG_FORMAT=json, JSON lines.
    Text mode keeps Celery's own format (task name and id)."""
    from django.conf import settings

    if logger is None:
        return
    from portal.ops.requestid import RequestIdFilter

    for handler in logger.handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if getattr(settings, "LOG_FORMAT", "text") == "json":
            handler.setFormatter(json_formatter())
