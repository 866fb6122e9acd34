"""Query-string filters of `GET /api/v1/requests/` (and of the roadmap).

Parsed and validated here (a bad value is a 400 naming the parameter), applied by
`selectors.request_list`, the same function behind the board page, so page and API filter alike. Not a
django-filter FilterSet: the selector owns visibility, search and the annotated card queryset.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from requests_app.models import RequestStatus
from requests_app.selectors import SORTS, STATUS_GROUPS

STATUS_CHOICES = [*STATUS_GROUPS, *(value for value, _ in RequestStatus.choices)]


class RequestListQuerySerializer(serializers.Serializer):
    capability = serializers.SlugField(required=False, allow_blank=True, help_text="Capability slug.")
    status = serializers.ChoiceField(
        choices=STATUS_CHOICES, required=False, allow_blank=True, help_text="A status, or `open` / `closed`."
    )
    tag = serializers.SlugField(required=False, allow_blank=True, help_text="Tag name.")
    team = serializers.SlugField(
        required=False, allow_blank=True, help_text="Slug of the team owning the capability."
    )
    mine = serializers.BooleanField(required=False, default=False, help_text="Only requests I filed.")
    voted = serializers.BooleanField(required=False, default=False, help_text="Only requests I voted for.")
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text="Free text (title and description)."
    )
    ordering = serializers.ChoiceField(
        choices=list(SORTS),
        required=False,
        default="top",
        help_text="top (most votes), trending, newest, updated.",
    )


class RoadmapQuerySerializer(serializers.Serializer):
    capability = serializers.SlugField(
        required=False, allow_blank=True, help_text="Only this capability (slug)."
    )


def parse(query_params: Any) -> dict[str, Any]:
    """Validated filters as `selectors.request_list` takes them: {"q", "sort", "filters"}. 400 if invalid."""
    query = RequestListQuerySerializer(data=query_params)
    query.is_valid(raise_exception=True)
    data = dict(query.validated_data)
    return {"q": data.pop("search", ""), "sort": data.pop("ordering"), "filters": data}
