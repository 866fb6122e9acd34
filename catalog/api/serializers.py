"""Catalog API serializers. Output serializers read; input serializers only parse and resolve references
(slugs to objects) for the services, which validate and write."""

from __future__ import annotations

from rest_framework import serializers

from catalog.models import Capability, CapabilityLink, Lifecycle, LinkKind, Visibility
from portal.plugins.api import SlugRelatedField, Team


class CapabilityLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = CapabilityLink
        fields = ["kind", "title", "url"]


class CapabilitySerializer(serializers.ModelSerializer):
    owner_team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    links = CapabilityLinkSerializer(many=True, read_only=True)
    dependencies = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    visible_to_teams = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    # Optional on the model (blank=True): "" when unset, so not documented as `format: uri` / `email`,
    # which an empty string does not satisfy.
    oncall_url = serializers.CharField(read_only=True, help_text="On-call / sheriff rota: a URL, or empty.")
    contact_email = serializers.CharField(read_only=True, help_text="An email address, or empty.")

    class Meta:
        model = Capability
        fields = [
            "id", "slug", "name", "summary", "description", "category", "lifecycle", "owner_team",
            "support_channel", "oncall_url", "contact_email", "slo_text", "slo_target", "status",
            "status_message", "status_changed_at", "tags", "links", "dependencies", "visibility",
            "visible_to_teams", "source_kind", "source_type", "archived", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class LinkInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LinkKind.choices, default=LinkKind.DOCS)
    title = serializers.CharField(max_length=200)
    url = serializers.CharField(max_length=500)


class CapabilityInputSerializer(serializers.Serializer):
    """Fields a client may send; on PATCH only the given ones change."""

    name = serializers.CharField(max_length=200)
    slug = serializers.CharField(max_length=100, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True)
    description = serializers.CharField(max_length=50_000, required=False, allow_blank=True)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    lifecycle = serializers.ChoiceField(choices=Lifecycle.choices, required=False)
    owner_team = SlugRelatedField(slug_field="slug", queryset=Team.unscoped.none())
    support_channel = serializers.CharField(max_length=200, required=False, allow_blank=True)
    oncall_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    contact_email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    slo_text = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    slo_target = serializers.DecimalField(max_digits=6, decimal_places=3, required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=20)
    links = LinkInputSerializer(many=True, required=False)
    dependencies = SlugRelatedField(
        slug_field="slug", many=True, required=False, queryset=Capability.unscoped.none()
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    visible_to_teams = SlugRelatedField(
        slug_field="slug", many=True, required=False, queryset=Team.unscoped.none()
    )

    def __init__(self, *args, visible=None, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.all()
        self.fields["owner_team"].queryset = teams
        self.fields["visible_to_teams"].child_relation.queryset = teams
        self.fields["dependencies"].child_relation.queryset = (
            visible if visible is not None else Capability.objects.none()
        )


class ArchiveInputSerializer(serializers.Serializer):
    archived = serializers.BooleanField(default=True)


class StatusInputSerializer(serializers.Serializer):
    status = serializers.CharField(max_length=20)
    message = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TransferInputSerializer(serializers.Serializer):
    team = SlugRelatedField(
        slug_field="slug", queryset=Team.unscoped.none(), help_text="Slug of the new team."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.all()
