"""Catalog pages. Thin: selectors read; plugin panels come from the core's panel renderer."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from catalog import selectors
from portal.plugins.api import render_capability_panels


@login_required
def capability_list(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request, "catalog/capability_list.html", {"capabilities": selectors.capability_list()}
    )


@login_required
def capability_detail(request: HttpRequest, slug: str) -> HttpResponse:
    capability = selectors.capability_detail(slug=slug)
    if capability is None:
        raise Http404("No such capability.")
    return TemplateResponse(
        request,
        "catalog/capability_detail.html",
        {"capability": capability, "panels": render_capability_panels(request, capability)},
    )
