"""Helpers shared by the board's services: limits, validation, followers, history, events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.text import slugify

from portal.plugins.api import (
    Membership,
    event_emit,
    subscriptions_ensure,
    tenant_reverse,
    topic_follower_ids,
)
from requests_app.models import FeatureRequest, StatusChange

MAX_TITLE = 200
MAX_BODY = 20_000
MAX_COMMENT = 10_000
MAX_NOTE = 5_000
MAX_TAGS = 10
MIN_TITLE = 5


class Errors:
    """Collects per-field messages; `raise_if_any()` raises one ValidationError with all of them."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def clean_title(value: Any, errors: Errors) -> str:
    title = " ".join(str(value or "").split())
    if len(title) < MIN_TITLE:
        errors.add("title", f"Give the request a title of at least {MIN_TITLE} characters.")
    elif len(title) > MAX_TITLE:
        errors.add("title", f"Keep the title to {MAX_TITLE} characters at most (it has {len(title)}).")
    return title


def clean_text(value: Any, field: str, limit: int, errors: Errors, *, required: bool = False) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if required and not text:
        errors.add(field, "This cannot be empty.")
    if len(text) > limit:
        errors.add(field, f"At most {limit:,} characters (this has {len(text):,}).")
    return text


def clean_tags(values: Iterable[str] | None, errors: Errors) -> list[str]:
    tags = sorted({slugify(str(t))[:50] for t in (values or []) if slugify(str(t))})
    if len(tags) > MAX_TAGS:
        errors.add("tags", f"At most {MAX_TAGS} tags.")
    return tags


def request_url(feature_request: FeatureRequest) -> str:
    return tenant_reverse("requests_app:detail", number=feature_request.number)


def label_of(feature_request: FeatureRequest) -> str:
    return f"#{feature_request.number} {feature_request.title}"[:200]


def follow(feature_request: FeatureRequest, user_ids: Iterable[int]) -> None:
    """Authors, voters and commenters follow the request (a muted follow stays muted). Every caller holds
    the request's row (just created, read or locked in its transaction): `known`, no existence probe."""
    subscriptions_ensure(
        user_ids=user_ids,
        topic_kind="request",
        topic_id=feature_request.pk,
        topic_label=label_of(feature_request),
        known=True,
    )


def followers(feature_request: FeatureRequest, *, exclude: int | None = None) -> list[int]:
    """Who hears about this request: active followers (authors, voters and commenters follow
    automatically; muted ones are left out), without the person who caused the event."""
    ids = topic_follower_ids(topic_kind="request", topic_id=feature_request.pk)
    ids.discard(exclude)
    return sorted(ids)


def record_history(
    feature_request: FeatureRequest,
    *,
    kind: str = "status",
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    related: FeatureRequest | None = None,
    actor_id: int | None = None,
) -> StatusChange:
    return StatusChange.objects.create(
        request=feature_request, kind=kind, from_status=from_status, to_status=to_status, note=note,
        related=related, actor_id=actor_id,
    )  # fmt: skip


def emit(name: str, feature_request: FeatureRequest, **payload: Any) -> None:
    event_emit(
        f"requests.{name}",
        {
            "request_id": feature_request.pk,
            "number": feature_request.number,
            "title": feature_request.title,
            "capability_id": feature_request.capability_id,
            "url": request_url(feature_request),
            **payload,
        },
    )


def user_id_of(membership: Membership | None) -> int | None:
    return membership.user_id if membership is not None else None
