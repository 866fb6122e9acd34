"""Process-local Prometheus instruments, importable from anywhere without touching models.

In a multi-process server (gunicorn workers, Celery's prefork pool) each process counts on its own; set
PROMETHEUS_MULTIPROC_DIR (an empty, writable directory per pod, before the processes start) so that every
process writes to files there and one scrape adds them up (portal.ops.metrics reads that directory).
Without it a scrape sees only the process that answered it.
"""

from __future__ import annotations

import os

from prometheus_client import Counter, Histogram

# Multiprocess mode writes a file per process as soon as a metric exists: make sure its directory does (a
# fresh emptyDir in Kubernetes; gunicorn's on_starting hook in portal.ops.gunicorn also empties it).
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# Names follow django-prometheus, so its dashboards work unchanged (see metrics.py for why not the package).
REQUEST_LATENCY = Histogram(
    "django_http_requests_latency_seconds_by_view_method",
    "Request processing time by view and method (seconds).",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0),
)
RESPONSES = Counter(
    "django_http_responses_total_by_status_view_method",
    "Responses by status, view and method.",
    ["status", "view", "method"],
)
FANOUT_DURATION = Histogram(
    "agora_notification_fanout_duration_seconds",
    "Time to fan one notification out into deliveries (recipient query, inserts, queueing).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
