"""`make test`: decide which real services this run can use, say so plainly, then run the whole suite.

- DATABASE_URL / REDIS_URL when set; otherwise PostgreSQL and Redis on localhost when they answer.
- REQUIRE_SERVICES=1 (CI) turns a missing PostgreSQL, Redis or Chromium into a loud failure, never a skip.
- Without them the SQLite tier runs and every skipped test says why (pytest's -ra summary).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from urllib.parse import urlsplit

LOCAL_PG = "postgres://postgres@127.0.0.1:5432/agora"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def chromium_path() -> str | None:
    candidate = (
        os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    return candidate if candidate and os.path.exists(candidate) else None


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    require = env.get("REQUIRE_SERVICES") == "1"
    problems: list[str] = []

    db_url = env.get("DATABASE_URL") or (LOCAL_PG if reachable(LOCAL_PG, 5432) else "")
    if db_url.startswith("postgres") and not reachable(db_url, 5432):
        problems.append(
            f"PostgreSQL at {urlsplit(db_url).hostname}:{urlsplit(db_url).port or 5432} is unreachable"
        )
        db_url = ""
    elif not db_url.startswith("postgres"):
        problems.append("no PostgreSQL (set DATABASE_URL or start it on 127.0.0.1:5432)")
    redis_url = env.get("REDIS_URL") or (LOCAL_REDIS if reachable(LOCAL_REDIS, 6379) else "")
    if redis_url and not reachable(redis_url, 6379):
        problems.append(f"Redis at {urlsplit(redis_url).hostname} is unreachable")
        redis_url = ""
    elif not redis_url:
        problems.append("no Redis (set REDIS_URL or start it on 127.0.0.1:6379)")
    chromium = chromium_path()
    if chromium is None:
        problems.append("no Chromium (apt-get install chromium) for the browser tier")
    if shutil.which("npm") is None:  # tests/e2e/axe.py installs axe-core from the lock file with npm ci
        problems.append("no npm (apt-get install npm) for the browser tier's axe-core checks")

    if require and problems:
        print("REQUIRE_SERVICES=1 but: " + "; ".join(problems) + ".", file=sys.stderr)
        print("Refusing to run a partial suite in CI.", file=sys.stderr)
        return 2

    if db_url:
        env["DATABASE_URL"] = db_url
    else:
        env.pop("DATABASE_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    if chromium:
        env["CHROMIUM_PATH"] = chromium
    else:
        env.pop("CHROMIUM_PATH", None)
    env["CELERY_EAGER"] = "1"  # unit tests run tasks in-process; integration tests start real workers
    # Settings default to production (DEBUG off); the suite is development: the dev SECRET_KEY and SET ROLE
    # to the app role on a trust PostgreSQL. pytest-django still runs the tests themselves with DEBUG False,
    # and the tests that check production settings start their own interpreters with their own environment.
    env["DEBUG"] = "1"
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

    print("Agora test suite")
    on_pg = db_url.startswith("postgres")
    print(f"  database : {'PostgreSQL with row-level security' if on_pg else 'SQLite (RLS tier skipped)'}")
    print(f"  redis    : {'real Redis + Celery worker' if redis_url else 'none (worker tier skipped)'}")
    print(f"  browser  : {chromium or 'none (browser tier skipped)'}")
    for problem in problems:
        print(f"  skipped because: {problem}")
    sys.stdout.flush()
    return subprocess.call([sys.executable, "-m", "pytest", *argv], env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
