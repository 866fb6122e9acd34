"""`{% load notifications %}`: the follow button and the inbox bell."""

from __future__ import annotations

from django import template

from portal.notifications.follow import render_follow_button

register = template.Library()


@register.simple_tag(takes_context=True)
def follow_button(context: template.Context, topic_kind: str, topic_id=None, label: str = ""):
    """`{% follow_button "capability" capability.pk capability.name %}` — an htmx follow/unfollow toggle."""
    return render_follow_button(context["request"], topic_kind, topic_id, str(label or ""))


@register.inclusion_tag("notifications/bell.html", takes_context=True)
def inbox_bell(context: template.Context):
    """The header bell. Its count loads with htmx (`bell/`), so pages pay no query for it."""
    return {"request": context["request"]}
