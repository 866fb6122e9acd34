from rest_framework import serializers

from portal.accounts.models import Team


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's `SlugRelatedField` for input: a value with a NUL character is invalid (400) before it reaches
    the lookup, where PostgreSQL would refuse it as a query parameter (a DataError, so a 500)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class TeamSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)
    maintainer_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "slug", "name", "description", "chat_channel", "member_count", "maintainer_count"]
        read_only_fields = fields
