"""The follow button other pages include:
`{% load notifications %}{% follow_button "capability" c.pk c.name %}`.

It is an ordinary form (works without JavaScript) that htmx posts and swaps in place.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from portal.notifications import selectors
from portal.notifications.models import TopicKind


def follow_context(request: HttpRequest, topic_kind: str, topic_id: int | None, label: str = "") -> dict:
    number = 0 if topic_kind == TopicKind.TENANT or topic_id is None else int(topic_id)
    user = getattr(request, "user", None)
    following = bool(
        user is not None
        and user.is_authenticated
        and selectors.is_following(user_id=user.pk, topic_kind=topic_kind, topic_id=number)
    )
    return {"topic_kind": topic_kind, "topic_id": number, "label": label, "following": following}


def render_follow_button(
    request: HttpRequest, topic_kind: str, topic_id: int | None, label: str = ""
) -> SafeString:
    """The button as HTML, for Python callers (panels); templates use the `follow_button` tag."""
    if getattr(request, "tenant", None) is None:
        return SafeString("")
    # The template engine autoescapes and returns a SafeString already.
    return render_to_string(
        "notifications/follow_button.html#button",
        follow_context(request, topic_kind, topic_id, label),
        request=request,
    )
