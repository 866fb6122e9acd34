"""Render the capability-page and home-page panels contributed by plugins, in order, honouring their
permissions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from portal.plugins.registry import capability_panels, home_panels


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    title: str
    html: SafeString


def render_capability_panels(request: HttpRequest, capability: Any) -> list[RenderedPanel]:
    rendered = []
    for panel in capability_panels():
        if panel.permission is not None and not panel.permission(request, capability):
            continue
        context: dict[str, Any] = {"capability": capability, "panel": panel}
        if panel.get_context is not None:
            context.update(panel.get_context(request, capability))
        html = render_to_string(panel.template, context, request=request)
        rendered.append(RenderedPanel(key=panel.key, title=panel.title, html=html))
    return rendered


@dataclass(frozen=True)
class RenderedHomePanel:
    key: str
    title: str
    column: str
    html: SafeString


def render_home_panels(request: HttpRequest) -> list[RenderedHomePanel]:
    """The tenant home's blocks, contributed by plugins (the core knows no feature), in order."""
    rendered = []
    for panel in home_panels():
        if panel.permission is not None and not panel.permission(request):
            continue
        context: dict[str, Any] = {"panel": panel}
        if panel.get_context is not None:
            context.update(panel.get_context(request))
        if context.get("hidden"):
            continue
        html = render_to_string(panel.template, context, request=request)
        rendered.append(RenderedHomePanel(key=panel.key, title=panel.title, column=panel.column, html=html))
    return rendered
