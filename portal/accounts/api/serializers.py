"""Serializers of the accounts API. Output serializers read; input serializers only parse (services write)."""

from rest_framework import serializers

from portal.accounts.models import AuditEntry, Invitation, Team, TeamMembership, TeamRole
from portal.tenancy.models import Membership, Role


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
    archived = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "chat_channel",
            "member_count",
            "maintainer_count",
            "archived",
            "archived_at",
        ]
        read_only_fields = fields

    def get_archived(self, team: Team) -> bool:
        return team.archived_at is not None


class TeamCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=63, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    chat_channel = serializers.CharField(max_length=200, required=False, allow_blank=True)


class TeamUpdateInputSerializer(serializers.Serializer):
    """The slug is not here: it never changes (links and clients that name it keep working)."""

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    chat_channel = serializers.CharField(max_length=200, required=False, allow_blank=True)


class TeamArchiveInputSerializer(serializers.Serializer):
    archived = serializers.BooleanField(default=True)


class UserRefSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    full_name = serializers.CharField(source="get_full_name", read_only=True)


class TeamMembershipSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TeamMembership
        fields = ["id", "team", "user", "role"]
        read_only_fields = fields


class TeamMembershipCreateInputSerializer(serializers.Serializer):
    team = SlugRelatedField(slug_field="slug", queryset=Team.unscoped.none())
    user = serializers.CharField(max_length=254, help_text="Username or email of a member of the tenant.")
    role = serializers.ChoiceField(choices=TeamRole.choices, default=TeamRole.MEMBER)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.all()


class TeamRoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=TeamRole.choices)


class MembershipSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "email", "role", "created_at"]
        read_only_fields = fields


class MembershipCreateInputSerializer(serializers.Serializer):
    user = serializers.CharField(max_length=254, help_text="Username or email of an existing account.")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class TenantRoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    invited_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    accepted_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    state = serializers.CharField(read_only=True)
    team_role = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "team",
            "team_role",
            "state",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "accepted_by",
            "revoked_at",
        ]
        read_only_fields = fields

    def get_team_role(self, invitation: Invitation) -> str | None:
        """The team role, or null without a team (stored as "", which is no TeamRole)."""
        return invitation.team_role or None


class InvitationCreatedSerializer(InvitationSerializer):
    """The created invitation with its link (also emailed), for an admin who shares it another way."""

    url = serializers.CharField(read_only=True)

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "url"]
        read_only_fields = fields


class InvitationCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
    team = SlugRelatedField(slug_field="slug", queryset=Team.unscoped.none(), required=False, allow_null=True)
    team_role = serializers.ChoiceField(choices=TeamRole.choices, required=False, allow_blank=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.all()


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "before",
            "after",
        ]
        read_only_fields = fields
