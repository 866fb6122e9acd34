"""Real services for the delivery engine: a private redis-server, real Celery worker processes, an aiosmtpd
SMTP server and local HTTP receivers, all on spare localhost ports.

The worker runs against the test database pytest created (`transaction=True` tests commit, so it sees their
rows). The broker is a redis-server this session starts (and may stop, to test "Redis is down"); the
machine's shared Redis is never touched. The test process publishes through the same broker.
"""

from __future__ import annotations

import email
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --- Redis ----------------------------------------------------------------------------------------
class RedisServer:
    """A throw-away redis-server (no persistence) that a test may stop and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._up, 10, "redis-server")

    def _up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None


@pytest.fixture(scope="session")
def redis_process() -> Iterator[RedisServer]:
    """One throw-away redis-server for the session (starting one per test would cost seconds)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server binary not found (apt-get install redis-server)")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_server(redis_process: RedisServer) -> Iterator[RedisServer]:
    """Point this process's Celery at the throw-away Redis (not eager) for one test, then restore it.

    Per test, not per session: tests that run later in the same session (the browser tier) expect the
    suite's eager Celery; left pointing at a broker without workers, their fan-outs would never run.
    """
    from portal.celery import app

    if redis_process.proc is None:  # a test stopped it (Redis outage) and failed before restarting
        redis_process.start()
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = redis_process.url, False
    app._pool = None
    app.amqp._producer_pool = None
    yield redis_process
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool = None
    app.amqp._producer_pool = None


# --- SMTP -----------------------------------------------------------------------------------------
_MSGID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


class Sink:
    """aiosmtpd handler keeping every message (raw bytes) it accepted."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def message_ids(self) -> list[str]:
        with self.lock:
            found = [_MSGID.search(m) for m in self.messages]
        return [m.group(1).decode() for m in found if m]

    def parsed(self) -> list[email.message.Message]:
        with self.lock:
            return [email.message_from_bytes(m) for m in self.messages]


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture
def smtp(smtp_sink) -> Sink:
    sink, _port = smtp_sink
    sink.clear()
    return sink


# --- HTTP receivers -------------------------------------------------------------------------------
@dataclass
class Hit:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receivers:
    """Records every POST; `script[path]` is a list of (status, headers) answers used in order, then 200."""

    port: int
    hits: list[Hit] = field(default_factory=list)
    script: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[Hit]:
        return [h for h in list(self.hits) if h.path == path]


@pytest.fixture(scope="session")
def http_receivers() -> Iterator[Receivers]:
    state = Receivers(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.hits.append(Hit(time.time(), self.path, dict(self.headers), body))
            answers = state.script.get(self.path) or []
            status, headers = answers.pop(0) if answers else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()


@pytest.fixture
def receivers(http_receivers) -> Receivers:
    http_receivers.hits.clear()
    http_receivers.script.clear()
    return http_receivers


# --- Celery workers -------------------------------------------------------------------------------
class Worker:
    """`python -m celery -A portal worker -B` in its own process group (so SIGKILL takes all its children)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> Worker:
        self.log.write_text("")
        handle = self.log.open("a")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "-B",
                "-l",
                "INFO",
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
                "-s",
                str(self.log.with_suffix(".schedule")),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(
            lambda: " ready." in self.log.read_text() or self.proc.poll() is not None, 60, "worker start"
        )
        if self.proc.poll() is not None:
            raise AssertionError(f"worker died at start:\n{self.log.read_text()[-3000:]}")
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker (main process, pool children, embedded beat): a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker_factory(redis_server, smtp_sink, tmp_path, transactional_db) -> Iterator[Callable[..., Worker]]:
    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER'] or 'postgres'}"
        f"{':' + settings_dict['PASSWORD'] if settings_dict['PASSWORD'] else ''}"
        f"@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )
    started: list[Worker] = []

    def make(**overrides: str) -> Worker:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "NOTIFY_"))},
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_server.url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink[1]}",
            "CELERY_EAGER": "0",
            "DEBUG": "1",
            "NOTIFY_SWEEP_SECONDS": "1",
            "NOTIFY_FANOUT_GRACE_SECONDS": "2",
            "NOTIFY_STUCK_AFTER_SECONDS": "8",
            "NOTIFY_REQUEUE_AFTER_SECONDS": "8",
            "NOTIFY_RETRY_BASE_SECONDS": "1",
            **LOCAL_RECEIVERS_ENV,
            "CELERY_LOG_LEVEL": "INFO",
            **overrides,
        }
        worker = Worker(env, tmp_path / f"worker{len(started)}.log").start()
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop()


# The receivers are plain-http servers on 127.0.0.1: the operator settings an on-premise install would use
# for a chat server inside its network (README, "Outbound requests"), not a way around the guard.
LOCAL_RECEIVERS_ENV = {
    "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8",
    "NOTIFY_WEBHOOK_ALLOW_HTTP": "1",
    "NOTIFY_SLACK_HOSTS": "127.0.0.1",
    "NOTIFY_TEAMS_HOSTS": "127.0.0.1",
}


@pytest.fixture(autouse=True)
def _local_http_receivers_allowed(settings):
    """The same settings in the test process, which registers the endpoints (pytest runs with DEBUG off)."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.NOTIFY_WEBHOOK_ALLOW_HTTP = True
    settings.NOTIFY_SLACK_HOSTS = ["127.0.0.1"]
    settings.NOTIFY_TEAMS_HOSTS = ["127.0.0.1"]
