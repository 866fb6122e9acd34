"""Gunicorn hooks for Prometheus multiprocess mode: `GUNICORN_CMD_ARGS="--config python:portal.ops.gunicorn"`.

With PROMETHEUS_MULTIPROC_DIR set, every gunicorn worker writes its counters to files there and /metrics
adds them up. The directory must start empty (old files would be counted again), and a dead worker's
live gauges must be dropped; these are the two hooks prometheus-client documents for gunicorn.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def on_starting(server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
