"""Enumerate every URL pattern of the project, with its full name and keyword arguments.

The matrix tests iterate over this list, so an endpoint added by any plugin later is tried from a foreign
tenant without anyone editing the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern


@dataclass(frozen=True)
class Endpoint:
    route: str  # the concatenated pattern text, for messages
    name: str | None  # "namespace:name" as reverse() wants it
    kwargs: tuple[str, ...]
    app_label: str = ""  # the app whose module holds the view: tells apart same-named models of two apps

    @property
    def area(self) -> str:
        if self.route.startswith("t/<slug:tenant_slug>/"):
            return "tenant"
        if self.route.startswith("api/v1/"):
            return "api"
        return "other"


def _kwarg_names(pattern) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return re.findall(r"<(?:[^>:]+:)?([^>]+)>", str(pattern))
    if isinstance(pattern, RegexPattern):
        return list(pattern.regex.groupindex)
    return []


def _app_label(callback) -> str:
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None) or callback
    config = apps.get_containing_app_config(getattr(view, "__module__", "") or "")
    return config.label if config else ""


def _walk(resolver: URLResolver, prefix: str, namespaces: list[str], kwargs: list[str]):
    for entry in resolver.url_patterns:
        text = str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = [*namespaces, entry.namespace] if entry.namespace else namespaces
            yield from _walk(entry, prefix + text, ns, kwargs + _kwarg_names(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = ":".join([*namespaces, entry.name]) if entry.name else None
            yield Endpoint(
                route=prefix + text,
                name=name,
                kwargs=tuple(kwargs + _kwarg_names(entry.pattern)),
                app_label=_app_label(entry.callback),
            )


def all_endpoints() -> list[Endpoint]:
    return list(_walk(get_resolver(), "", [], []))
