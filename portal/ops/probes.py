"""Probes for load balancers and Kubernetes: `/healthz` (the process answers) and `/readyz` (it can work).

Both take no login and no tenant, and are exempt from the HTTPS redirect (kubelet probes speak plain HTTP
to the pod). Liveness touches nothing outside the process: a database outage must not make Kubernetes
restart every web pod, it should only take them out of the Service (readiness).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def check_database() -> str | None:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any driver error means "not ready"; the reason goes to the log
        logger.warning("readyz: database unreachable: %s", error)
        return "database unreachable"
    return None


_migrated = False


def check_migrations() -> str | None:
    """Unapplied migrations of this code. Once none are left the answer is kept: a running process's code
    gains no migrations (a new image is a new process), and loading the graph on every probe costs."""
    global _migrated
    if _migrated:
        return None
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        logger.warning("readyz: cannot read the migration state: %s", error)
        return "migration state unreadable"
    if plan:
        return f"{len(plan)} unapplied migration(s)"
    _migrated = True
    return None


def check_broker() -> str | None:
    """Only with REDIS_URL: without it tasks run eagerly and there is no broker to reach."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    from portal.celery import app

    try:
        options = {"socket_connect_timeout": BROKER_TIMEOUT_SECONDS, "socket_timeout": BROKER_TIMEOUT_SECONDS}
        with app.connection_for_write(url, transport_options=options) as connection:
            connection.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as error:
        logger.warning("readyz: broker unreachable: %s", error)
        return "broker unreachable"
    return None


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when database, broker and schema are in order; 503 with `failed` naming each problem."""
    checks = {"database": check_database()}
    if checks["database"] is None:
        checks["migrations"] = check_migrations()
    checks["broker"] = check_broker()
    failed = {name: problem for name, problem in checks.items() if problem}
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ok", "checks": sorted(checks)})
