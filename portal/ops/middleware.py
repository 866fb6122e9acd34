"""Answer the probe and metrics paths before the rest of the middleware stack.

Kubelet probes and Prometheus call a pod by its IP (`Host: 10.1.2.3:8000`), which is never in
ALLOWED_HOSTS: CommonMiddleware's host check would turn every probe into a 400. These endpoints read no
host, session, user or tenant, so they are served here, right after the request id and the request
metrics (they are logged and timed like any request). The views and URL names stay in portal/urls.py.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import resolve

OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class OpsEndpointsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in OPS_PATHS:
            return self.get_response(request)
        match = resolve(request.path_info)
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
