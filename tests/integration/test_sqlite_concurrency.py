"""The embedded SQLite default under concurrency: many people vote while a release fans out (issue 12).

`make run` serves the demo from an SQLite file with the threaded development server, and a real install
adds a Celery worker beside it. Both write the same file. With SQLite's defaults (rollback journal,
`BEGIN DEFERRED`) a transaction that reads and then writes cannot wait for the lock another writer holds:
SQLite answers "database is locked" at once and the page answers 500. This test runs that setup for real
(the development server, a Celery worker with beat on Redis, an SMTP sink) and asserts that no request
answers 5xx, that every stored vote count equals its vote rows, and that the fan-out delivered everything.

Nothing is timed: the run must simply succeed. The deadlines only bound how long a broken run hangs.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.conftest import LOCAL_RECEIVERS_ENV, ROOT, Worker, free_port, wait_for

pytestmark = pytest.mark.redis

VOTERS = 16
SUBSCRIBERS = 300  # bulk-inserted followers of the capability: the fan-out writes while people vote
ROUNDS = 3  # each voter votes, unvotes and votes again on every request, ROUNDS times
SETTINGS = "tests.integration.sqlite_settings"  # the real settings, with the tests' fast password hasher
LOCKED = "database is locked"


@dataclass
class Stack:
    """A migrated, seeded SQLite file served by `runserver` with a Celery worker beside it."""

    db_path: Path
    base_url: str
    world: dict
    server_log: Path
    worker: Worker
    env: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base_url}/t/{self.world['tenant']}{path}"

    def query(self, sql: str, *params) -> list[tuple]:
        """Read the file the processes share (a short-lived connection that waits for the lock)."""
        with sqlite3.connect(self.db_path, timeout=30) as conn:
            return conn.execute(sql, params).fetchall()


def _manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def _service_env(*, db_path: Path, redis_url: str, smtp_port: int) -> dict[str, str]:
    inherited = ("PYTEST", "NOTIFY_", "DATABASE_URL", "REDIS_URL", "CACHE_URL", "EMAIL_URL", "DJANGO_SETT")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(inherited)},
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CELERY_EAGER": "0",
        "DEBUG": "1",
        "NOTIFY_SWEEP_SECONDS": "1",  # beat sweeps every second: one more writer on the file
        "NOTIFY_RETRY_BASE_SECONDS": "1",
        **LOCAL_RECEIVERS_ENV,
        "CELERY_LOG_LEVEL": "INFO",
    }


@pytest.fixture
def sqlite_stack(request, smtp_sink, tmp_path) -> Iterator[Stack]:
    if shutil.which("redis-server") is None:
        message = "redis-server binary not found (apt-get install redis-server)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1: {message}", pytrace=False)
        pytest.skip(message)
    redis = request.getfixturevalue("redis_process")
    if redis.proc is None:  # an earlier test stopped it (Redis outage) and failed before restarting
        redis.start()
    db_path = tmp_path / "agora.sqlite3"
    env = _service_env(db_path=db_path, redis_url=redis.url, smtp_port=smtp_sink[1])
    # Migrate and seed in-process (eager Celery, no broker): the world exists before anyone serves it.
    seed_env = {**env, "CELERY_EAGER": "1", "EMAIL_URL": "locmem://"}
    seed_env.pop("REDIS_URL")
    _manage(seed_env, "manage.py", "migrate", "--noinput", "-v", "0")
    world = json.loads(
        _manage(seed_env, "-m", "tests.integration.sqlite_world", str(VOTERS), str(SUBSCRIBERS)).splitlines()[
            -1
        ]
    )

    worker = Worker(env, tmp_path / "worker.log").start()
    port = free_port()
    server_log = tmp_path / "server.log"
    with server_log.open("w") as handle:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"

    def serving() -> bool:
        if server.poll() is not None:
            raise AssertionError(f"runserver died at start:\n{server_log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(serving, 60, "runserver")
        yield Stack(db_path=db_path, base_url=base_url, world=world, server_log=server_log, worker=worker)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        worker.stop()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Keep each POST's own answer (a redirect after a write is a success, not something to follow)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """One logged-in person: a cookie jar and the CSRF token, posting the forms the pages post."""

    def __init__(self, stack: Stack, username: str) -> None:
        self.stack = stack
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects)
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []
        self._request("GET", f"{stack.base_url}/accounts/login/")
        status = self._request(
            "POST",
            f"{stack.base_url}/accounts/login/",
            {"username": username, "password": stack.world["password"]},
        )
        assert status == 302, f"{username} could not log in ({status})"

    def csrf(self) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")

    def _request(self, method: str, url: str, data: dict[str, str] | None = None, **headers: str) -> int:
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": url, **headers}
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=60) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            if status >= 500:
                self.failures.append(f"{method} {url} -> {status}: {exc.read()[:300]!r}")
        self.statuses[status] += 1
        return status

    def post(self, path: str, data: dict[str, str], *, htmx: bool = False) -> int:
        extra = {"HX-Request": "true", "X-CSRFToken": self.csrf()} if htmx else {}
        return self._request("POST", self.stack.url(path), data, **extra)


def _actions(voter: int, numbers: list[int]) -> list[tuple[int, str]]:
    """vote, unvote, vote... per request; odd voters end on an unvote for every other request."""
    plan = []
    for _ in range(ROUNDS):
        for number in numbers:
            plan += [(number, "vote"), (number, "unvote"), (number, "vote")]
    for index, number in enumerate(numbers):
        if voter % 2 and index % 2 == 0:
            plan.append((number, "unvote"))
    return plan


def test_concurrent_votes_and_a_release_fan_out_on_sqlite(sqlite_stack: Stack) -> None:
    stack = sqlite_stack
    world = stack.world
    numbers = world["requests"]
    voters = [Browser(stack, username) for username in world["voters"]]
    maintainer = Browser(stack, world["maintainer"])
    start = threading.Barrier(len(voters) + 1)
    crashed: list[BaseException] = []
    vote_statuses: Counter[int] = Counter()

    def vote(index: int, browser: Browser) -> None:
        try:
            start.wait(30)
            for number, action in _actions(index, numbers):
                vote_statuses[browser.post(f"/requests/{number}/vote/", {"action": action}, htmx=True)] += 1
        except BaseException as exc:  # a dead connection must fail the test, not vanish with the thread
            crashed.append(exc)

    threads = [threading.Thread(target=vote, args=(i, b)) for i, b in enumerate(voters)]
    for thread in threads:
        thread.start()
    start.wait(30)
    published = maintainer.post(f"/catalog/releases/{world['release']}/publish/", {})
    for thread in threads:
        thread.join(120)

    assert not crashed, crashed
    statuses = sum((b.statuses for b in [*voters, maintainer]), Counter())
    failures = [line for b in [*voters, maintainer] for line in b.failures]
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    assert server_errors == 0, f"{server_errors} responses >= 500 ({dict(statuses)}); first: {failures[:3]}"
    assert published == 302, f"publishing answered {published}"
    assert vote_statuses == {200: sum(len(_actions(i, numbers)) for i in range(VOTERS))}

    assert stack.query("PRAGMA journal_mode") == [("wal",)]

    # Exact counts: the stored counter equals the vote rows, and both equal what the answers imply
    # (the maintainer's vote as author, plus every voter whose last action on the request was a vote).
    rows = stack.query(
        "SELECT r.number, r.vote_count, (SELECT COUNT(*) FROM requests_app_vote v WHERE v.request_id = r.id)"
        " FROM requests_app_featurerequest r ORDER BY r.number"
    )
    expected = {
        number: 1 + sum(1 for i in range(VOTERS) if not (i % 2 and index % 2 == 0))
        for index, number in enumerate(numbers)
    }
    assert {number: (count, votes) for number, count, votes in rows} == {
        number: (count, count) for number, count in expected.items()
    }

    # The worker fanned the release out to every follower on the same file, without a lock error.
    def delivered() -> bool:
        (pending,) = stack.query(
            "SELECT COUNT(*) FROM notifications_delivery WHERE state IN ('pending', 'sending')"
        )[0]
        (sent,) = stack.query("SELECT COUNT(*) FROM notifications_delivery WHERE state = 'sent'")[0]
        return pending == 0 and sent >= world["recipients"]

    wait_for(delivered, 60, f"the release's {world['recipients']} deliveries", interval=0.5)
    assert stack.query("SELECT COUNT(*) FROM notifications_delivery WHERE state = 'failed'") == [(0,)]
    for name, log in (("server", stack.server_log), ("worker", stack.worker.log)):
        text = log.read_text()
        assert LOCKED not in text, (
            f"{name} log:\n{text[text.index(LOCKED) - 2000 : text.index(LOCKED) + 200]}"
        )
