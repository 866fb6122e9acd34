"""The generic JSON delivery event, for CI/CD systems other than GitHub (documented in the README).

One JSON object per request: `id` (the delivery id, unique per source: a resend with the same id is a
redelivery and changes nothing), `type` (`deployment`, `change`, `incident`), `repository` (`owner/name`),
and the fields of its type. Validation is strict, because a wrong number silently skews every metric:
unknown fields, a string where a boolean belongs, a time without a UTC offset, a finish before a start are
refused with the field named, and nothing is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rest_framework import serializers

from catalog.insights.delivery.facts import ChangeFact, DeploymentFact, Fact, IncidentFact

TYPES = ("deployment", "change", "incident")
REPOSITORY_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")  # owner/name (GitLab subgroups too)


class StrictCharField(serializers.CharField):
    """A JSON string, nothing else (DRF's CharField would turn `12` into `"12"`)."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """`true` or `false`, nothing else (DRF's BooleanField would accept `"yes"` and `1`)."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class AwareDateTimeField(serializers.Field):
    """An ISO 8601 time with a UTC offset (`2025-03-01T12:00:00+01:00` or `...Z`); naive times are refused,
    since "12:00" in an unknown zone could be off by a day of lead time."""

    default_error_messages = {
        "invalid": "Must be an ISO 8601 time with a UTC offset, e.g. 2025-03-01T12:00:00+00:00.",
        "naive": "Has no UTC offset: add one, e.g. +00:00 or Z.",
    }

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str) or len(data) > 40:
            self.fail("invalid")
        try:
            value = datetime.fromisoformat(data)
        except ValueError:
            self.fail("invalid")
        if value.tzinfo is None:
            self.fail("naive")
        return value

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class _Event(serializers.Serializer):
    """Fields common to every type; unknown fields are an error (a typo must not go unnoticed)."""

    id = StrictCharField(max_length=100)
    type = serializers.ChoiceField(choices=TYPES)
    repository = StrictCharField(max_length=200)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        if unknown:
            raise serializers.ValidationError({name[:60]: ["Unknown field."] for name in unknown[:20]})
        return super().to_internal_value(data)

    def validate_repository(self, value: str) -> str:
        if not REPOSITORY_RE.match(value):
            raise serializers.ValidationError("Must be owner/name, e.g. acme/payments-api.")
        return value.lower()


class DeploymentEventSerializer(_Event):
    environment = StrictCharField(max_length=100)
    sha = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=("success", "failure"))
    started_at = AwareDateTimeField()
    finished_at = AwareDateTimeField()
    remediation = StrictBooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["finished_at"] < attrs["started_at"]:
            raise serializers.ValidationError({"finished_at": ["Is before started_at."]})
        return attrs


class ChangeEventSerializer(_Event):
    sha = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    first_commit_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    merged_at = AwareDateTimeField()


class IncidentEventSerializer(_Event):
    opened_at = AwareDateTimeField()
    resolved_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    deployment_id = StrictCharField(max_length=100, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["resolved_at"] is not None and attrs["resolved_at"] < attrs["opened_at"]:
            raise serializers.ValidationError({"resolved_at": ["Is before opened_at."]})
        return attrs


SERIALIZERS: dict[str, type[_Event]] = {
    "deployment": DeploymentEventSerializer,
    "change": ChangeEventSerializer,
    "incident": IncidentEventSerializer,
}


@dataclass(frozen=True)
class GenericEvent:
    id: str
    type: str
    fact: Fact


def parse(payload: Any) -> GenericEvent:
    """Validate one event; raises `serializers.ValidationError` with the errors by field."""
    if not isinstance(payload, dict):
        raise serializers.ValidationError({"non_field_errors": ["The body must be one JSON object."]})
    kind = payload.get("type")
    if not isinstance(kind, str) or kind not in SERIALIZERS:
        raise serializers.ValidationError({"type": [f"Must be one of: {', '.join(TYPES)}."]})
    body = SERIALIZERS[kind](data=payload)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    common = {"external_id": data["id"], "repository": data["repository"]}
    fact: Fact
    if kind == "deployment":
        fact = DeploymentFact(
            **common,
            environment=data["environment"],
            sha=data["sha"],
            created_at=data["started_at"],
            outcome=data["status"],
            finished_at=data["finished_at"],
            is_remediation=data["remediation"],
        )
    elif kind == "change":
        fact = ChangeFact(
            **common, sha=data["sha"], merged_at=data["merged_at"], first_commit_at=data["first_commit_at"]
        )
    else:
        fact = IncidentFact(
            **common,
            opened_at=data["opened_at"],
            resolved_at=data["resolved_at"],
            deployment_external_id=data["deployment_id"],
        )
    return GenericEvent(id=data["id"], type=kind, fact=fact)
