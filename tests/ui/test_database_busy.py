"""SQLite settings for concurrency, and the 503 a lock past the busy timeout answers (issue 12, part 1).

The concurrent behaviour itself is proven end to end in tests/integration/test_sqlite_concurrency.py; these
check the pieces quickly: which settings each database gets, that an in-memory SQLite still works with them,
and what the middleware answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import OperationalError
from django.test import RequestFactory

from portal.ui.middleware import DatabaseBusyMiddleware

ROOT = Path(__file__).resolve().parents[2]

SHOW_DATABASE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection, transaction
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (n INTEGER)")
with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO probe VALUES (1)")
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    mode = cursor.fetchone()[0]
    cursor.execute("SELECT COUNT(*) FROM probe")
    rows = cursor.fetchone()[0]
print(json.dumps({
    "options": settings.DATABASES["default"].get("OPTIONS", {}),
    "busy_middleware": "portal.ui.middleware.DatabaseBusyMiddleware" in settings.MIDDLEWARE,
    "journal_mode": mode, "rows": rows,
}))
"""


def show_database(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env |= {"DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "1", "DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-c", SHOW_DATABASE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_sqlite_file_runs_in_wal_mode_with_immediate_transactions_and_a_busy_timeout(tmp_path):
    shown = show_database(f"sqlite:///{tmp_path / 'agora.sqlite3'}")
    assert shown["options"] == {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    assert (shown["journal_mode"], shown["rows"], shown["busy_middleware"]) == ("wal", 1, True)


def test_in_memory_sqlite_keeps_working_with_the_same_options():
    shown = show_database("sqlite://:memory:")
    assert shown["options"]["transaction_mode"] == "IMMEDIATE"
    assert (shown["journal_mode"], shown["rows"]) == ("memory", 1)  # WAL does not apply; nothing breaks


def busy(path: str) -> object:
    request = RequestFactory().post(path)
    middleware = DatabaseBusyMiddleware(lambda request: None)
    return middleware.process_exception(request, OperationalError("database is locked"))


def test_a_lock_past_the_busy_timeout_answers_503_with_retry_after_on_pages():
    response = busy("/t/acme/requests/1/vote/")
    assert (response.status_code, response["Retry-After"]) == (503, "2")
    assert b"Nothing was saved; try again" in response.content


def test_a_lock_past_the_busy_timeout_answers_503_in_the_api_error_shape():
    response = busy("/api/v1/requests/1/vote/")
    assert (response.status_code, response["Retry-After"]) == (503, "2")
    assert json.loads(response.content)["error"]["code"] == "database_busy"


def test_other_database_errors_stay_server_errors():
    request = RequestFactory().post("/t/acme/requests/1/vote/")
    middleware = DatabaseBusyMiddleware(lambda request: None)
    assert middleware.process_exception(request, OperationalError("no such table: probe")) is None
    assert middleware.process_exception(request, ValueError("database is locked")) is None
