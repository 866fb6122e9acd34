"""`/metrics` for Prometheus: request latency and status by view, and Agora's own numbers at scrape time.

Why prometheus-client and not django-prometheus: every django-prometheus release on PyPI caps Django below
6.1 (`Django<6.1`), so `pip install -e .` could not resolve. The request middleware below is the part of it
we need (the middleware + exporter; its database wrapper is unwanted anyway: our backend is
portal.tenancy.db) and keeps its metric names, so its dashboards work. Switch once a release allows 6.1.

Access is off by default: without METRICS_TOKEN and METRICS_ALLOWED_NETWORKS the endpoint answers 404.
Each one configured must pass: the client address (REMOTE_ADDR, i.e. scrape pods directly, not through the
ingress) within METRICS_ALLOWED_NETWORKS, else 403; `Authorization: Bearer <METRICS_TOKEN>`, compared in
constant time, else 401.

Agora's metrics are computed from the database at scrape time, per tenant: the app role is subject to
row-level security and never sees across tenants, so the collector enters each tenant like the sweeps do
(two indexed aggregate queries per tenant). They are therefore exact across all web and worker processes.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from portal.ops.instruments import REQUEST_LATENCY, RESPONSES

logger = logging.getLogger(__name__)

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


# --- access ---------------------------------------------------------------------------------------------
def parse_networks(values: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(v, strict=False) for v in values]


def access_denied(*, authorization: str, remote_addr: str) -> int | None:
    """None when the scrape may proceed; otherwise the status to answer (404 off, 403 address, 401 token)."""
    token: str = getattr(settings, "METRICS_TOKEN", "")
    networks = parse_networks(getattr(settings, "METRICS_ALLOWED_NETWORKS", []))
    if not token and not networks:
        return 404
    if networks:
        try:
            address = ipaddress.ip_address(remote_addr)
        except ValueError:
            return 403
        if not any(address in network for network in networks):
            return 403
    if token:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            return 401
    return None


# --- request metrics ------------------------------------------------------------------------------------
class RequestMetricsMiddleware:
    """Near the top of MIDDLEWARE, so the time includes the other middlewares (sessions, auth, tenancy).

    The view label is the URL name (`catalog:capability_detail`), never the path: bounded cardinality.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = "<unresolved>" if match is None else match.view_name or "<unnamed view>"
        method = request.method if request.method in KNOWN_METHODS else "<invalid method>"
        REQUEST_LATENCY.labels(view=view, method=method).observe(time.perf_counter() - started)
        RESPONSES.labels(status=str(response.status_code), view=view, method=method).inc()
        return response


# --- Agora's own numbers, from the database ---------------------------------------------------------------
@dataclass
class OpsSnapshot:
    deliveries: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    oldest_due: dict[str, datetime | None] = field(default_factory=dict)
    events_undispatched: int = 0
    oldest_event: datetime | None = None


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def ops_snapshot(now: datetime) -> OpsSnapshot:
    """Delivery rows by (channel, state), the oldest due immediate delivery per channel, undispatched events.

    Per tenant under its context (row-level security applies; no owner connection, no bypass). "Due" means
    pending, not a digest, next attempt reached: how long work has been waiting for a worker.
    """
    from portal.events.models import Event
    from portal.notifications.models import Delivery, DeliveryState
    from portal.tenancy.context import tenant_context
    from portal.tenancy.models import Tenant

    snapshot = OpsSnapshot()
    due = Q(state=DeliveryState.PENDING, digest="", next_attempt_at__lte=now)
    for tenant in Tenant.objects.order_by("pk").iterator():
        with tenant_context(tenant):
            rows = (
                Delivery.objects.order_by()
                .values("channel", "state")
                .annotate(n=Count("pk"), oldest_due=Min("next_attempt_at", filter=due))
            )
            for row in rows:
                snapshot.deliveries[(row["channel"], row["state"])] += row["n"]
                previous = snapshot.oldest_due.get(row["channel"])
                snapshot.oldest_due[row["channel"]] = _earliest(previous, row["oldest_due"])
            events = Event.objects.filter(dispatched_at__isnull=True).aggregate(
                n=Count("pk"), oldest=Min("created_at")
            )
            snapshot.events_undispatched += events["n"]
            snapshot.oldest_event = _earliest(snapshot.oldest_event, events["oldest"])
    return snapshot


class AgoraCollector:
    """Custom collector: computed when Prometheus scrapes, so nothing is cached or process-local."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("agora_metrics_database_up", "1 when the scrape-time database queries worked.")
        now = timezone.now()
        try:
            snapshot = ops_snapshot(now)
        except DatabaseError:
            logger.exception("metrics: database queries failed")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        deliveries = GaugeMetricFamily(
            "agora_deliveries",
            "Delivery rows by channel and state (pending, sending, sent, failed).",
            labels=["channel", "state"],
        )
        for (channel, state), count in sorted(snapshot.deliveries.items()):
            deliveries.add_metric([channel, state], count)
        yield deliveries
        oldest = GaugeMetricFamily(
            "agora_delivery_queue_oldest_age_seconds",
            "Seconds the oldest due immediate delivery has waited for a worker (0: none waiting).",
            labels=["channel"],
        )
        for channel, since in sorted(snapshot.oldest_due.items()):
            oldest.add_metric([channel], max((now - since).total_seconds(), 0.0) if since else 0.0)
        yield oldest
        yield GaugeMetricFamily(
            "agora_events_undispatched",
            "Domain events not yet dispatched to their handlers.",
            value=snapshot.events_undispatched,
        )
        age = (now - snapshot.oldest_event).total_seconds() if snapshot.oldest_event else 0.0
        yield GaugeMetricFamily(
            "agora_events_undispatched_oldest_age_seconds",
            "Age of the oldest undispatched domain event (0: none).",
            value=max(age, 0.0),
        )


_agora_registry = CollectorRegistry(auto_describe=False)
_agora_registry.register(AgoraCollector())


def process_registry() -> CollectorRegistry:
    """Every process's instruments when PROMETHEUS_MULTIPROC_DIR is set, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def exposition(*, with_database: bool = True) -> bytes:
    output = generate_latest(process_registry())
    return output + generate_latest(_agora_registry) if with_database else output


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    status = access_denied(
        authorization=request.headers.get("Authorization", ""),
        remote_addr=request.META.get("REMOTE_ADDR", ""),
    )
    if status == 404:
        raise Http404("Metrics are off.")
    if status is not None:
        response = HttpResponse(status=status, content_type="text/plain")
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


# --- the worker's own exporter ---------------------------------------------------------------------------
def start_worker_exporter(**_: Any) -> None:
    """`worker_ready`: with METRICS_WORKER_PORT, serve the worker's instruments (fan-out duration) on that
    port, behind the same token/network checks. Set PROMETHEUS_MULTIPROC_DIR too for the prefork pool:
    fan-out runs in the pool's child processes. Database-derived metrics stay on the web's /metrics."""
    port = int(getattr(settings, "METRICS_WORKER_PORT", 0) or 0)
    if not port:
        return
    from wsgiref.simple_server import make_server

    from prometheus_client.exposition import ThreadingWSGIServer, _SilentHandler

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        status = access_denied(
            authorization=environ.get("HTTP_AUTHORIZATION", ""), remote_addr=environ.get("REMOTE_ADDR", "")
        )
        if status is not None:
            start_response(f"{status} Denied", [("Content-Type", "text/plain")])
            return [b""]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [exposition(with_database=False)]

    # Prometheus scrapes the pod's own IP, so every interface; `access_denied` above refuses every scrape
    # without the token or from outside METRICS_ALLOWED_NETWORKS, and the port is off unless configured.
    server = make_server("0.0.0.0", port, app, ThreadingWSGIServer, handler_class=_SilentHandler)  # nosec B104
    threading.Thread(target=server.serve_forever, name="agora-metrics", daemon=True).start()
    logger.info("worker metrics on port %s", port)
