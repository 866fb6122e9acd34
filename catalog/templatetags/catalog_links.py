"""Links from catalog pages to pages of other plugins, which the catalog must not import.

`{% load catalog_links %}{% request_link 12 %}` renders `#12` as a link to feature request 12 when a plugin
serves `requests_app:detail`, and as plain text when none does (the board is optional).
"""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch
from django.utils.html import format_html

from portal.plugins.api import tenant_reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def request_link(context: template.Context, number: int) -> str:
    tenant = getattr(context.get("request"), "tenant", None)
    try:
        url = tenant_reverse("requests_app:detail", number=int(number), tenant_slug=tenant.slug)
    except (NoReverseMatch, AttributeError, TypeError, ValueError):
        return format_html("#{}", number)
    return format_html('<a href="{}">#{}</a>', url, number)
