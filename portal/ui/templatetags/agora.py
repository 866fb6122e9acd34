"""Template tags shared by every page (registered as a builtin)."""

from __future__ import annotations

from typing import Any

from django import template

from portal.ui.markdown import render_markdown
from portal.ui.urls import tenant_reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def turl(context: template.Context, name: str, *args: Any, **kwargs: Any) -> str:
    """`{% turl 'catalog:detail' slug=c.slug %}`: like `{% url %}`, inside the current tenant."""
    tenant = context["request"].tenant
    return tenant_reverse(name, *args, tenant_slug=tenant.slug, **kwargs)


@register.filter(name="markdown")
def markdown_filter(text: str | None):
    """`{{ capability.description|markdown }}`: rendered and sanitised (see portal.ui.markdown)."""
    return render_markdown(text)
