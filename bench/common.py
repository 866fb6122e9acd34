"""Shared parts of the HTTP benchmarks: databases, the production server, the load generator, reporting.

Every bench compares two sides measured in the same run on the same machine and prints medians, p95 and
throughput of both and their ratio. Nothing here passes or fails on time.

- Databases: one per side (`agora_bench_<bench>_<side>`), created from a migrated template so both sides
  have the same schema, row-level security and grants; dropped at the end unless `BENCH_KEEP=1`.
  Migrations run as the owner (the `BENCH_PG` user, a superuser on a trust setup), which also gives the
  application role `agora_bench_app` LOGIN and its password, exactly as `manage.py migrate` does in
  production. Bulk data is written by SQL as the owner (set-based, fast), with stored counters and search
  documents computed in the same statements the services would produce.
- Server: gunicorn with the Docker image's command line (`portal.wsgi:application`, `WEB_CONCURRENCY`
  workers) and production settings: `DEBUG=0`, a `SECRET_KEY`, `ALLOWED_HOSTS`, `DB_APP_PASSWORD` (so it
  logs in as the RLS app role, never the owner), with only the TLS redirects relaxed (plain HTTP on
  localhost). Static files are collected into `staticfiles/` first, as the image's build does.
- Load: locust (headless, as a library) in its own process (`bench/loadgen.py`, gevent stays out of this
  one), a closed loop of `BENCH_USERS` concurrent clients without think time.

Environment: `BENCH_SCALE` (data sizes, default 1.0), `BENCH_SECONDS` (measured seconds per phase, 10),
`BENCH_WARMUP` (seconds, 2), `BENCH_USERS` (concurrent clients, 8), `WEB_CONCURRENCY` (gunicorn workers, 3),
`BENCH_PG` (server URL without database, `postgres://postgres@127.0.0.1:5432`), `BENCH_KEEP=1`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))
USERS = int(os.environ.get("BENCH_USERS", "8"))
WORKERS = int(os.environ.get("WEB_CONCURRENCY", "3"))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
KEEP = os.environ.get("BENCH_KEEP") == "1"
# Each compared phase runs this many times, the sides alternating (A B A B): on a shared 2-core machine
# two phases of identical work measured minutes apart differed by up to 30%; alternating puts drift on both.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
APP_USER = "agora_bench_app"  # its own role, so a bench never changes the role a development setup uses
APP_PASSWORD = "bench-" + secrets.token_hex(8)
SECRET_KEY = secrets.token_urlsafe(50)
_STARTED = time.perf_counter()


def scaled(n: int, minimum: int = 1) -> int:
    return max(minimum, round(n * SCALE))


def progress(message: str) -> None:
    """One line per phase, with the elapsed time, so a long run shows where it is."""
    print(f"[{time.perf_counter() - _STARTED:7.1f}s] {message}", flush=True)


def db_url(name: str) -> str:
    return f"{PG}/{name}"


def _admin(sql_text: str) -> None:
    import psycopg

    with psycopg.connect(db_url("postgres"), autocommit=True) as conn:
        conn.execute(sql_text)


def _check_name(name: str) -> None:
    if not name.startswith("agora_bench_"):
        raise SystemExit(f"refusing to touch database {name!r}: bench databases are named agora_bench_*")


def recreate_database(name: str, *, template: str | None = None) -> None:
    _check_name(name)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def drop_database(name: str) -> None:
    _check_name(name)
    if not KEEP:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def owner_connection(name: str):
    """A psycopg connection as the owner (bypasses RLS: bulk data generation only)."""
    import psycopg

    return psycopg.connect(db_url(name))


# --- Django in this process (setup, in-process query counts) ------------------------------------------------


def _base_env(name: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": db_url(name),
        "DB_APP_USER": APP_USER,
        "DB_APP_PASSWORD": APP_PASSWORD,
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "locmem://",
        "REDIS_URL": "",
    }


def django_setup(name: str) -> None:
    """Django for this process on database `name`, logging in as the app role like the server does.

    DEBUG=1 here only for the in-process test client (host `testserver`); the server runs DEBUG=0."""
    # The server's SECRET_KEY: sessions made here carry an auth hash keyed by it (another key logs them out).
    os.environ.update(_base_env(name) | {"DEBUG": "1", "SECRET_KEY": SECRET_KEY})
    import django

    django.setup()


def use_database(name: str) -> None:
    """Point this process's default connection at another bench database (same server, same roles)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def make_template(name: str) -> None:
    """A migrated, empty database to copy for every side (`CREATE DATABASE ... TEMPLATE`)."""
    from django.core.management import call_command

    recreate_database(name)
    use_database(name)
    call_command("migrate", verbosity=0)
    from django.db import connections

    connections.close_all()


def session_cookie(user: Any) -> str:
    """A logged-in session for `user` (what the login form would create), as the cookie value."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    from django.conf import settings

    return client.cookies[settings.SESSION_COOKIE_NAME].value


def api_token(membership: Any) -> str:
    from portal.accounts.services import api_token_create
    from portal.tenancy.context import tenant_context

    with tenant_context(membership.tenant):
        return api_token_create(membership=membership, name="bench").text


def count_queries(path: str, *, user: Any = None, token: str = "") -> tuple[int, int]:
    """(status, SQL queries) of one GET through the in-process test client (warm: second of two calls)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"Authorization": f"Bearer {token}"}) if token else Client()
    if user is not None:
        client.force_login(user)
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    return response.status_code, len(ctx.captured_queries)


# --- the server ---------------------------------------------------------------------------------------------

_collected = False


def collect_static() -> None:
    """collectstatic into STATIC_ROOT (`staticfiles/`, git-ignored), as the image's build does: with
    DEBUG=0 the manifest storage needs it, and WhiteNoise serves the hashed, compressed files from there."""
    global _collected
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    sources = [ROOT / "pyproject.toml", *(p for p in (ROOT / "static").rglob("*") if p.is_file())]
    if manifest.exists() and manifest.stat().st_mtime > max(p.stat().st_mtime for p in sources):
        _collected = True  # up to date (compressing every file again takes a minute on a busy machine)
    if not _collected:
        env = os.environ | _base_env("postgres") | {"SECRET_KEY": "collectstatic-only", "DEBUG": "0"}
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        _collected = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    workers: int
    database: str


@contextmanager
def gunicorn(name: str) -> Iterator[Server]:
    """gunicorn on database `name` with the image's settings; stopped (by its own pid) on exit."""
    port = free_port()
    collect_static()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "DB_", "PYTEST"))}
    env |= _base_env(name) | {
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "LOG_FORMAT": "json",
    }
    wsgi = "portal.wsgi:application"
    gunicorn_bin = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (kept open for the server's lifetime)
        prefix="agora-bench-gunicorn-", suffix=".log", delete=False
    )
    proc = subprocess.Popen(
        [gunicorn_bin, wsgi, "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
         "--forwarded-allow-ips", "*"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # imports of 3 workers take a while on a busy 2-core machine
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {log.name}:\n{Path(log.name).read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not answer /healthz within 240 s")
        yield Server(url=url, workers=WORKERS, database=name)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        if not KEEP:
            os.unlink(log.name)


# --- load ---------------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    requests: int
    failures: int
    rps: float
    median_ms: float
    p95_ms: float
    errors: list[str]


def run_load(
    server: Server,
    name: str,
    *,
    identities: list[dict[str, str]],
    sequences: list[list[tuple[str, str]]],
    users: int = USERS,
    seconds: float = SECONDS,
) -> Result:
    """A closed loop of `users` clients: each iteration takes a random identity (headers) and a random
    sequence of (method, path) requests and runs it. Throughput counts every request of the phase."""
    spec = {
        "host": server.url,
        "name": name,
        "identities": identities,
        "sequences": sequences,
        "users": users,
        "seconds": seconds,
        "warmup": WARMUP,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(spec, handle)
    try:
        out = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "loadgen.py"), handle.name],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        os.unlink(handle.name)
    if out.returncode != 0:
        raise SystemExit(f"load generator failed:\n{out.stderr[-3000:]}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    result = Result(**data)
    if result.failures:
        print(f"    ! {result.failures} failed requests in {name}: {result.errors[:3]}", flush=True)
    return result


@dataclass
class Phase:
    server: Server
    name: str
    identities: list[dict[str, str]]
    sequences: list[list[tuple[str, str]]]


def alternate(phases: list[Phase], *, rounds: int = ROUNDS) -> list[Result]:
    """Run every phase `rounds` times, interleaved (p1 p2 p1 p2 ...), each round with its own warm-up.
    A phase's result sums its rounds' requests and failures; throughput is requests per measured second,
    latency the median of the rounds' medians and of their p95s."""
    runs: list[list[Result]] = [[] for _ in phases]
    for _ in range(rounds):
        for i, phase in enumerate(phases):
            runs[i].append(
                run_load(phase.server, phase.name, identities=phase.identities, sequences=phase.sequences)
            )
    combined = []
    for phase, results in zip(phases, runs, strict=True):
        requests = sum(r.requests for r in results)
        combined.append(
            Result(
                name=phase.name,
                requests=requests,
                failures=sum(r.failures for r in results),
                rps=sum(r.rps for r in results) / len(results),
                median_ms=statistics.median(r.median_ms for r in results),
                p95_ms=statistics.median(r.p95_ms for r in results),
                errors=[e for r in results for e in r.errors][:3],
            )
        )
    return combined


def header() -> str:
    return f"{'phase':<44} {'req':>7} {'fail':>5} {'req/s':>8} {'median':>8} {'p95':>8}"


def line(result: Result) -> str:
    return (
        f"{result.name:<44} {result.requests:>7} {result.failures:>5} {result.rps:>8.1f} "
        f"{result.median_ms:>6.0f}ms {result.p95_ms:>6.0f}ms"
    )


def ratio_line(label: str, a: Result, b: Result, goal: float) -> str:
    ratio = a.rps / b.rps if b.rps else 0.0
    verdict = "meets" if ratio >= goal else "MISSES"
    return f"  {label:<62} {ratio:5.2f}x   (goal >= {goal}x: {verdict})"


def setup_line(server: Server, rows: str) -> str:
    return (
        f"setup: {rows}; gunicorn {server.workers} workers (DEBUG=0, app role {APP_USER}); locust "
        f"{USERS} concurrent clients, {WARMUP:g}s warm-up + {SECONDS:g}s per phase; {os.cpu_count()} CPUs"
    )


# --- people ------------------------------------------------------------------------------------------------


@dataclass
class World:
    tenant: Any
    teams: list[Any]
    users: list[Any]
    memberships: list[Any]


def make_world(*, slug: str = "bench", teams: int = 20, users: int = 10) -> World:
    """A tenant with `teams` teams and `users` plain members (role member), each in one team."""
    from django.contrib.auth import get_user_model

    from portal.accounts.models import Team, TeamMembership
    from portal.tenancy.context import tenant_context
    from portal.tenancy.models import Membership, Tenant

    user_model = get_user_model()
    tenant = Tenant.objects.create(slug=slug, name=slug.title())
    people = user_model.objects.bulk_create(
        [
            user_model(username=f"{slug}-{i}", email=f"{slug}-{i}@example.com", password="!")
            for i in range(users)
        ]
    )
    with tenant_context(tenant):
        made_teams = Team.objects.bulk_create(
            [Team(tenant=tenant, slug=f"team-{i}", name=f"Team {i}") for i in range(teams)]
        )
        memberships = Membership.objects.bulk_create([Membership(tenant=tenant, user=u) for u in people])
        TeamMembership.objects.bulk_create(
            [TeamMembership(tenant=tenant, team=made_teams[i % teams], user=u) for i, u in enumerate(people)]
        )
    for membership in memberships:
        membership.tenant = tenant
    return World(tenant=tenant, teams=made_teams, users=people, memberships=memberships)


def analyze(name: str) -> None:
    """Fresh planner statistics after a bulk load (autovacuum would get there later)."""
    with owner_connection(name) as conn:
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
