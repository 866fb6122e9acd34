"""A write that still finds the embedded SQLite database locked answers 503 + Retry-After, never 500.

SQLite runs with WAL, `BEGIN IMMEDIATE` and a busy timeout (settings), so a writer waits for the one before
it; only a lock held past the timeout (a very long write, a stuck process) reaches a view as
`OperationalError: database is locked`. The view's transaction has rolled back by then, and every write
service is safe to repeat (votes are explicit, transitions re-check their state), so "try again shortly" is
the truth: 503 with `Retry-After`, in the API's error shape under /api/. Installed only for SQLite: on
PostgreSQL an OperationalError is a real fault and stays a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2
LOCK_MESSAGES = ("database is locked", "database table is locked")
DETAIL = "The database is busy with another change. Nothing was saved; try again in a moment."


def is_database_busy(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and str(exc).startswith(LOCK_MESSAGES)


class DatabaseBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_busy(exception):
            return None
        logger.warning(
            "SQLite stayed locked past the busy timeout: %s %s -> 503", request.method, request.path
        )
        if request.path.startswith("/api/"):
            body = {"error": {"status": 503, "code": "database_busy", "detail": DETAIL}}
            response: HttpResponse = JsonResponse(body, status=503)
        else:
            response = HttpResponse(DETAIL, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
