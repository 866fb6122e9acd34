"""Context for the shell: navigation from plugins and the tenant switcher."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch

from portal.plugins.registry import nav_items
from portal.tenancy.selectors import memberships_of
from portal.ui.urls import tenant_reverse


def shell(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": [], "tenant_choices": []}
    nav = []
    if tenant is not None:
        for item in nav_items():
            if item.permission is not None and not item.permission(request):
                continue
            try:
                url = tenant_reverse(item.url_name, tenant_slug=tenant.slug)
            except NoReverseMatch:
                continue
            nav.append({"label": item.label, "url": url, "active": request.path.startswith(url)})
    # Tenant pages: the list the tenant middleware loaded. Elsewhere lazy: one query, only when the header
    # renders the switcher.
    loaded = getattr(request, "memberships", None)
    return {"nav": nav, "tenant_choices": loaded if loaded is not None else lambda: memberships_of(user.pk)}
