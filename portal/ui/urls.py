"""Reversing URLs inside the current tenant (every page lives under /t/<tenant>/)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from portal.tenancy.context import require_current_tenant


def tenant_reverse(name: str, *args: Any, tenant_slug: str | None = None, **kwargs: Any) -> str:
    slug = tenant_slug or require_current_tenant().slug
    return reverse(name, args=args or None, kwargs={"tenant_slug": slug, **kwargs})
