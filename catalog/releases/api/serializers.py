"""Release and status-update API serializers. Output serializers read; input serializers only parse and
resolve references (capability slugs) for the services, which validate and write."""

from __future__ import annotations

from rest_framework import serializers

from catalog.models import Capability, Status
from catalog.releases.models import Release, ReleaseKind, StatusUpdate
from catalog.releases.services import MAX_REQUEST_NUMBER, MAX_SHIPPED
from portal.plugins.api import SlugRelatedField

SHIPS_HELP = (
    "Feature-request numbers this release ships (`#12` is 12). Each must name an existing request of the "
    "release's capability (or of none), else 400; a merged duplicate stands for the request it went into."
)


class ReleaseSerializer(serializers.ModelSerializer):
    capability = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    ships_request_numbers = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, help_text=SHIPS_HELP
    )

    class Meta:
        model = Release
        fields = [
            "id", "capability", "version", "title", "kind", "notes", "upgrade_notes", "state",
            "ships_request_numbers", "scheduled_for", "published_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class _CapabilityInput(serializers.Serializer):
    def __init__(self, *args, capabilities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["capability"].queryset = (
            capabilities if capabilities is not None else Capability.objects.none()
        )


class ReleaseInputSerializer(_CapabilityInput):
    """Fields a client may send; on PATCH only the given ones change. New releases are drafts: publish or
    schedule them with the actions."""

    capability = SlugRelatedField(slug_field="slug", queryset=Capability.unscoped.none())
    version = serializers.CharField(max_length=64)
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ReleaseKind.choices, required=False)
    notes = serializers.CharField(max_length=50_000, required=False, allow_blank=True)
    upgrade_notes = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    ships_request_numbers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_REQUEST_NUMBER),
        max_length=MAX_SHIPPED,
        required=False,
        help_text=SHIPS_HELP,
    )


class ScheduleInputSerializer(serializers.Serializer):
    scheduled_for = serializers.DateTimeField(help_text="When to publish (ISO 8601, in the future).")


class StatusUpdateSerializer(serializers.ModelSerializer):
    capability = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    incident = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The first update of this incident; null when this update is the first.",
    )

    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "capability",
            "status",
            "message",
            "resolved",
            "incident",
            "resolved_at",
            "created_at",
        ]
        read_only_fields = fields


class StatusUpdateInputSerializer(_CapabilityInput):
    capability = SlugRelatedField(slug_field="slug", queryset=Capability.unscoped.none())
    status = serializers.ChoiceField(
        choices=Status.choices, required=False, help_text="Required unless `resolved` is true."
    )
    message = serializers.CharField(max_length=5_000, help_text="Markdown.")
    resolved = serializers.BooleanField(
        default=False, help_text="Close the open incident; the capability is operational again."
    )
