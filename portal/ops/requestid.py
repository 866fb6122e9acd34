"""A request id per unit of work: taken from `X-Request-ID` or generated, logged, and carried into Celery.

The id lives in a context variable, so it follows the request through every log record (the logging filter
below copies it onto the record) and into every task published while it is set (a Celery message header,
restored by the worker before the task runs). Tasks published without one (beat, a shell) get a fresh id,
so that every log line of a task run can still be grouped.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

from portal.tenancy.context import current_scope

HEADER = "X-Request-ID"
CELERY_HEADER = "agora_request_id"
# A client's id is kept only when it is a plain token: it ends up in logs and a response header, so nothing
# that could forge a log line or a header (newlines, quotes, spaces) and nothing unbounded.
SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

_request_id: ContextVar[str | None] = ContextVar("agora_request_id", default=None)
request_logger = logging.getLogger("portal.request")


def get_request_id() -> str | None:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(value: str | None) -> str:
    """The caller's id if it is a sane token, else a new one (a bad id is replaced, never an error)."""
    return value if value and SANE_ID.match(value) else new_request_id()


@contextmanager
def request_id_context(value: str) -> Iterator[str]:
    token = _request_id.set(value)
    try:
        yield value
    finally:
        _request_id.reset(token)


class RequestIdMiddleware:
    """First in MIDDLEWARE: every later middleware and view logs with the id; the response carries it.

    Also writes one structured line per request (`portal.request`): method, path, view, status, duration.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accept_request_id(request.headers.get(HEADER))
        request.request_id = request_id
        started = time.perf_counter()
        with request_id_context(request_id):
            response = self.get_response(request)
            match = getattr(request, "resolver_match", None)
            request_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "view": match.view_name if match is not None else "",
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Put `request_id` and `tenant_id` on every record (a handler filter: it sees propagated records too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get() or "-"
        if not hasattr(record, "tenant_id"):
            record.tenant_id = current_scope().tenant_id
        return True


# --- Celery: carry the id in a message header and restore it in the worker ------------------------------
def on_before_task_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """`before_task_publish`: add the current id to the message headers (protocol 2), if there is one."""
    request_id = _request_id.get()
    if request_id and headers is not None:
        headers.setdefault(CELERY_HEADER, request_id)


def on_task_prerun(task: Any = None, **_: Any) -> None:
    """`task_prerun`: the publisher's id from the header; an eager task keeps the caller's; else a new one."""
    if task is None:
        return
    request = task.request
    request_id = getattr(request, CELERY_HEADER, None) or (request.headers or {}).get(CELERY_HEADER)
    if not (isinstance(request_id, str) and SANE_ID.match(request_id)):
        request_id = _request_id.get() if request.is_eager else None
    request._agora_request_id_token = _request_id.set(request_id or new_request_id())


def on_task_postrun(task: Any = None, **_: Any) -> None:
    """`task_postrun`: restore what was there before (worker threads and eager callers run on)."""
    token = getattr(getattr(task, "request", None), "_agora_request_id_token", None)
    if token is not None:
        _request_id.reset(token)
        task.request._agora_request_id_token = None
