"""Request ids: accepted or generated, on the response, in every log line, and carried into Celery tasks."""

from __future__ import annotations

import io
import json
import logging

import pytest
from celery import shared_task
from django.http import HttpResponse
from django.test import RequestFactory

from portal.ops.logs import build_logging, json_formatter
from portal.ops.requestid import RequestIdFilter, RequestIdMiddleware, get_request_id

pytestmark = pytest.mark.django_db
task_logger = logging.getLogger("tests.ops.task")


@shared_task
def echo_request_id() -> str | None:
    """Logs from inside the task and returns the id it runs with."""
    task_logger.info("task ran")
    return get_request_id()


@pytest.fixture
def json_lines():
    """The production handler setup (filter + JSON formatter) on the root logger, into a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def test_request_with_x_request_id_logs_json_lines_carrying_it(client, json_lines):
    response = client.get("/healthz", headers={"X-Request-ID": "req-42.abc_DEF"})
    assert response["X-Request-ID"] == "req-42.abc_DEF"
    lines = [line for line in json_lines() if line["name"] == "portal.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "req-42.abc_DEF"
    assert line["level"] == "INFO" and line["status"] == 200 and line["view"] == "healthz"
    assert line["method"] == "GET" and line["path"] == "/healthz" and "time" in line


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "new\nline", 'quote"d', ""])
def test_an_unsafe_request_id_is_replaced_by_a_fresh_one(client, bad):
    response = client.get("/healthz", headers={"X-Request-ID": bad})
    fresh = response["X-Request-ID"]
    assert fresh != bad and len(fresh) == 32 and fresh.isalnum()


def test_a_task_published_during_the_request_runs_with_the_same_id(json_lines):
    seen = {}

    def view(request):
        seen["task"] = echo_request_id.delay().get()
        return HttpResponse("done")

    request = RequestFactory().get("/anything", headers={"X-Request-ID": "carried-1"})
    response = RequestIdMiddleware(view)(request)
    assert response["X-Request-ID"] == "carried-1" and seen["task"] == "carried-1"
    task_lines = [line for line in json_lines() if line["name"] == "tests.ops.task"]
    assert [line["request_id"] for line in task_lines] == ["carried-1"]
    assert get_request_id() is None  # nothing leaks out of the request


def test_the_publisher_puts_the_id_in_the_message_headers_and_the_worker_restores_it():
    from portal.ops.requestid import on_before_task_publish, request_id_context

    headers: dict = {}
    with request_id_context("pub-7"):
        on_before_task_publish(headers=headers)
    assert headers == {"agora_request_id": "pub-7"}
    # What the worker sees: the header of the message, not whatever the worker had before.
    with request_id_context("worker-own"):
        assert echo_request_id.apply(headers=headers).get() == "pub-7"
        assert get_request_id() == "worker-own"
    # No header and not called by a request: a fresh id per run.
    fresh = echo_request_id.apply(headers={"agora_request_id": "bad id"}).get()
    assert fresh and fresh != "bad id"


def test_log_format_json_configures_the_json_formatter_with_the_filter():
    config = build_logging(log_format="json", level="INFO", celery_level="WARNING")
    console = config["handlers"]["console"]
    assert console["formatter"] == "json" and console["filters"] == ["request_id"]
    assert config["formatters"]["json"]["()"] == "portal.ops.logs.json_formatter"
    assert (
        build_logging(log_format="text", level="INFO", celery_level="WARNING")["handlers"]["console"][
            "formatter"
        ]
        == "text"
    )


PRINT_LOGGING = """
import json, django, logging
django.setup()
from django.conf import settings as s
logging.getLogger("probe").warning("hello")
print(json.dumps({"LOG_FORMAT": s.LOG_FORMAT, "NETWORKS": s.METRICS_ALLOWED_NETWORKS}))
"""


@pytest.mark.parametrize(("env", "expected"), [({"DEBUG": "1"}, "text"), ({}, "json")])
def test_log_format_defaults_to_text_with_debug_and_json_in_production(env, expected):
    from tests.core.test_settings import deploy_env, run_python

    result = run_python(PRINT_LOGGING, deploy_env(**env))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["LOG_FORMAT"] == expected
    (line,) = [line for line in result.stderr.splitlines() if "hello" in line]
    if expected == "json":
        assert json.loads(line) | {"time": None} == {
            "time": None,
            "level": "WARNING",
            "name": "probe",
            "message": "hello",
            "request_id": "-",
            "tenant_id": None,
        }
    else:
        assert line.endswith("WARNING [-] probe: hello")


@pytest.mark.parametrize("env", [{"LOG_FORMAT": "xml"}, {"METRICS_ALLOWED_NETWORKS": "10.0.0.0/33"}])
def test_bad_operations_settings_refuse_to_start_with_a_clear_message(env):
    from tests.core.test_settings import deploy_env, run_python

    result = run_python(PRINT_LOGGING, deploy_env(**env))
    assert result.returncode != 0
    assert next(iter(env)) in result.stderr.splitlines()[-1]
