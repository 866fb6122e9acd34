"""Celery application. Without REDIS_URL tasks run eagerly (see settings), so the demo needs no broker."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("agora")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Request ids travel with the tasks a request publishes; worker logs get the id and, with LOG_FORMAT=json,
# JSON lines; METRICS_WORKER_PORT serves the worker's own instruments (portal/ops).
from portal.ops import logs as _ops_logs  # noqa: E402
from portal.ops import requestid as _ops_requestid  # noqa: E402

signals.before_task_publish.connect(_ops_requestid.on_before_task_publish, weak=False)
signals.task_prerun.connect(_ops_requestid.on_task_prerun, weak=False)
signals.task_postrun.connect(_ops_requestid.on_task_postrun, weak=False)
signals.after_setup_logger.connect(_ops_logs.on_celery_setup_logger, weak=False)
signals.after_setup_task_logger.connect(_ops_logs.on_celery_setup_logger, weak=False)


@signals.worker_ready.connect(weak=False)
def _start_worker_exporter(**kwargs: object) -> None:
    from portal.ops.metrics import start_worker_exporter

    start_worker_exporter(**kwargs)
