from rest_framework import serializers

from portal.accounts.models import Team


class TeamSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)
    maintainer_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "slug", "name", "description", "chat_channel", "member_count", "maintainer_count"]
        read_only_fields = fields
