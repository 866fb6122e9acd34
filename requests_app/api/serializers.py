"""Board API serializers. Output serializers read (the selectors annotate and prefetch what they need);
input serializers only parse and resolve references (capability slugs) for the services, which check
permissions, validate completely and write."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Capability
from portal.plugins.api import SlugRelatedField, render_markdown, tenant_reverse
from requests_app import trending
from requests_app.models import Comment, FeatureRequest, RequestStatus, StatusChange
from requests_app.services.common import MAX_BODY, MAX_COMMENT, MAX_NOTE, MAX_TAGS, MAX_TITLE, MIN_TITLE

USERNAME_HELP = "Username; null once the account is removed."
MARKDOWN_HELP = "Markdown; `*_html` fields hold it rendered and sanitised."
# A component of its own: named after the field (`StatusEnum`), it would collide with the capability status.
STATUS_SCHEMA = {
    "type": "string",
    "enum": [value for value, _ in RequestStatus.choices],
    "description": ", ".join(f"`{value}` ({label.lower()})" for value, label in RequestStatus.choices),
}


def _html(text: str | None) -> str:
    return str(render_markdown(text))


@extend_schema_field(STATUS_SCHEMA, component_name="RequestStatusEnum")
class RequestStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=RequestStatus.choices, **kwargs)


class RequestSummarySerializer(serializers.ModelSerializer):
    """A request in a short list (duplicate suggestions)."""

    status = RequestStatusField(read_only=True)
    capability = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="Capability slug; null: the platform."
    )
    url = serializers.SerializerMethodField(help_text="The request's page.")

    class Meta:
        model = FeatureRequest
        fields = ["number", "title", "status", "capability", "vote_count", "url"]
        read_only_fields = fields

    def get_url(self, obj: FeatureRequest) -> str:
        return tenant_reverse("requests_app:detail", number=obj.number)


class FeatureRequestSerializer(RequestSummarySerializer):
    """A request as the board shows it. Expects the annotations of `selectors.request_list`/`request_detail`
    (`my_vote`) and their prefetches (tags, capability, author)."""

    body = serializers.CharField(read_only=True, help_text=MARKDOWN_HELP)
    body_html = serializers.SerializerMethodField()
    author = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text=USERNAME_HELP
    )
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    trending = serializers.SerializerMethodField(
        help_text="Votes weighted by age (a vote counts 1 now, ½ after a week): the `trending` order."
    )
    my_vote = serializers.BooleanField(read_only=True, help_text="Whether the caller voted for it.")
    duplicate_of = serializers.IntegerField(
        source="duplicate_of.number",
        read_only=True,
        allow_null=True,
        help_text="Number of the request this one was merged into (status `duplicate`).",
    )

    class Meta:
        model = FeatureRequest
        fields = [
            "number", "title", "body", "body_html", "status", "status_changed_at", "capability", "author",
            "tags", "vote_count", "trending", "comment_count", "my_vote", "duplicate_of", "shipped_in",
            "shipped_in_url", "created_at", "updated_at", "url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_body_html(self, obj: FeatureRequest) -> str:
        return _html(obj.body)

    def get_trending(self, obj: FeatureRequest) -> float:
        return round(trending.current(obj.trend_score, self.context.get("now")), 4)


class RequestInputSerializer(serializers.Serializer):
    """Fields a client may send; on PATCH only the given ones change."""

    title = serializers.CharField(min_length=MIN_TITLE, max_length=MAX_TITLE)
    body = serializers.CharField(max_length=MAX_BODY, required=False, allow_blank=True, help_text="Markdown.")
    capability = SlugRelatedField(
        slug_field="slug",
        queryset=Capability.unscoped.none(),
        required=False,
        allow_null=True,
        help_text="Slug of a capability you can see; null for the platform in general.",
        error_messages={"does_not_exist": "There is no capability '{value}'."},
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=MAX_TAGS * 2
    )

    def __init__(self, *args, capabilities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["capability"].queryset = (
            capabilities if capabilities is not None else Capability.objects.none()
        )


class VoteRecordInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="A member of this tenant (not a viewer).")
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Where it was heard."
    )


class TeamDemandSerializer(serializers.Serializer):
    team = serializers.CharField(source="team.slug", allow_null=True, help_text="null: voters in no team.")
    team_name = serializers.CharField(source="team.name", allow_null=True)
    voters = serializers.IntegerField()


class RequestStatusInputSerializer(serializers.Serializer):
    status = RequestStatusField(help_text="The next status; see the workflow in the request's docs.")
    note = serializers.CharField(
        max_length=MAX_NOTE, required=False, allow_blank=True, default="", help_text="Public, Markdown."
    )


class MergeInputSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text="Number of the request this one duplicates.")
    note = serializers.CharField(
        max_length=MAX_NOTE, required=False, allow_blank=True, default="", help_text="Public, Markdown."
    )


class HistorySerializer(serializers.ModelSerializer):
    from_status = serializers.CharField(read_only=True, help_text="Empty for a merged-in duplicate.")
    to_status = serializers.CharField(read_only=True, help_text="Empty for a merged-in duplicate.")
    note_html = serializers.SerializerMethodField()
    actor = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text=USERNAME_HELP
    )
    related = serializers.SerializerMethodField(
        help_text="The request merged in (`merged_in`) or merged into (to `duplicate`), when you can see it."
    )

    class Meta:
        model = StatusChange
        fields = [
            "id",
            "kind",
            "from_status",
            "to_status",
            "note",
            "note_html",
            "related",
            "actor",
            "created_at",
        ]
        read_only_fields = fields

    def get_note_html(self, obj: StatusChange) -> str:
        return _html(obj.note)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_related(self, obj: StatusChange) -> int | None:
        if obj.related_id is None or obj.related_id not in self.context.get("visible_related", ()):
            return None
        return obj.related.number


class CommentSerializer(serializers.ModelSerializer):
    """A comment; a deleted one stays as a trace (body null, who deleted it and when)."""

    request = serializers.IntegerField(
        source="request.number",
        read_only=True,
        help_text="The request it was posted on: differs for comments of duplicates merged into this one.",
    )
    author = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text=USERNAME_HELP
    )
    body = serializers.SerializerMethodField(help_text="Markdown; null when deleted.")
    body_html = serializers.SerializerMethodField(help_text="null when deleted.")
    deleted_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text=USERNAME_HELP
    )

    class Meta:
        model = Comment
        fields = [
            "id", "request", "author", "body", "body_html", "official", "internal", "created_at",
            "edited_at", "deleted_at", "deleted_by",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_body(self, obj: Comment) -> str | None:
        return None if obj.is_deleted else obj.body

    @extend_schema_field({"type": "string", "nullable": True})
    def get_body_html(self, obj: Comment) -> str | None:
        return None if obj.is_deleted else _html(obj.body)


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_COMMENT, help_text="Markdown.")
    official = serializers.BooleanField(
        default=False, help_text="The owning team's official response (maintainers; followers are told)."
    )
    internal = serializers.BooleanField(
        default=False, help_text="A note only the owning team and tenant admins see (maintainers)."
    )


class CommentEditInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_COMMENT, help_text="Markdown.")


class RoadmapSerializer(serializers.Serializer):
    planned = FeatureRequestSerializer(many=True, read_only=True)
    in_progress = FeatureRequestSerializer(many=True, read_only=True)
    shipped = FeatureRequestSerializer(
        many=True, read_only=True, help_text="Shipped in the last 90 days, latest first."
    )
