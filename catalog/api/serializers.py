from rest_framework import serializers

from catalog.models import Capability, CapabilityLink


class CapabilityLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = CapabilityLink
        fields = ["kind", "title", "url"]


class CapabilitySerializer(serializers.ModelSerializer):
    owner_team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Capability
        fields = [
            "id",
            "slug",
            "name",
            "summary",
            "description",
            "category",
            "lifecycle",
            "owner_team",
            "support_channel",
            "status",
            "status_message",
            "status_changed_at",
            "tags",
            "archived",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
