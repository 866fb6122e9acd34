"""`/api/v1/insights/adoptions/`, `/adoption-rules/` and `/adoption-summaries/`: the services and selectors
of the page, the same rights (a foreign or invisible capability is a 404, a move the caller may not record a
403, a move the state machine refuses or a bad date a 400 and nothing stored).

Serializers never write: input serializers parse and resolve slugs, the services validate and write.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.insights.adoption import selectors, services
from catalog.insights.models import Adoption, AdoptionChange, AdoptionRule, AdoptionState, EligibleTeam
from catalog.selectors import visible_capabilities, visible_capability
from portal.plugins.api import SlugRelatedField, Team, membership_of

# The catalog's model, reached through our own foreign key (the plugin imports only catalog.selectors).
CAPABILITY_MODEL = Adoption._meta.get_field("capability").related_model
CAPABILITY_SLUG = OpenApiParameter(
    "capability_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The capability's slug."
)


# --- serializers ------------------------------------------------------------------------------------------
class AdoptionSerializer(serializers.ModelSerializer):
    capability = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Adoption
        fields = [
            "id", "capability", "team", "state", "evaluating_since", "onboarded_at", "offboarded_at",
            "source", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class AdoptionChangeSerializer(serializers.ModelSerializer):
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    from_state = serializers.CharField(
        read_only=True, help_text='"" for the first move (not adopted before).'
    )

    class Meta:
        model = AdoptionChange
        fields = [
            "id",
            "from_state",
            "to_state",
            "effective_at",
            "recorded_at",
            "recorded_by",
            "source",
            "note",
        ]
        read_only_fields = fields


class AdoptionMoveInputSerializer(serializers.Serializer):
    """Record a move: the team moves to `state` for the capability (effective now, or at a past time)."""

    capability = SlugRelatedField(slug_field="slug", queryset=CAPABILITY_MODEL.unscoped.none())
    team = SlugRelatedField(slug_field="slug", queryset=Team.unscoped.none())
    state = serializers.ChoiceField(choices=AdoptionState.choices)
    effective_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="ISO 8601; in the past or now, not before the previous move.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_NOTE)

    def __init__(self, *args, capabilities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if capabilities is not None:  # None while drf-spectacular builds the schema
            self.fields["capability"].queryset = capabilities
        self.fields["team"].queryset = Team.objects.all()


class AdoptionRuleSerializer(serializers.Serializer):
    """A capability's rule; capabilities without one show the defaults (all teams, no inference)."""

    capability = serializers.CharField(read_only=True, help_text="The capability's slug.")
    eligibility = serializers.ChoiceField(choices=AdoptionRule.Eligibility.choices, read_only=True)
    teams = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Slugs of the listed eligible teams."
    )
    environment = serializers.CharField(read_only=True)
    repo_topic = serializers.CharField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)


class AdoptionRuleInputSerializer(serializers.Serializer):
    eligibility = serializers.ChoiceField(choices=AdoptionRule.Eligibility.choices)
    teams = SlugRelatedField(
        slug_field="slug", many=True, required=False, queryset=Team.unscoped.none(),
        help_text="Team slugs; required when `eligibility` is `listed`.",
    )  # fmt: skip
    environment = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_RULE_TEXT)
    repo_topic = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_RULE_TEXT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].child_relation.queryset = Team.objects.all()


class ChurnedSerializer(serializers.Serializer):
    team = serializers.CharField(source="team_slug", help_text="Team slug.")
    onboarded_at = serializers.DateTimeField(allow_null=True, help_text="Null: left while evaluating.")
    offboarded_at = serializers.DateTimeField(allow_null=True)


class WeekSerializer(serializers.Serializer):
    week_start = serializers.DateField(help_text="Monday of the ISO week (UTC).")
    onboarded = serializers.IntegerField(help_text="Eligible teams onboarded at the end of that week.")


class AdoptionSummarySerializer(serializers.Serializer):
    capability = serializers.CharField(help_text="The capability's slug.")
    eligible = serializers.IntegerField()
    onboarded = serializers.IntegerField()
    evaluating = serializers.IntegerField()
    median_days_to_onboard = serializers.FloatField(allow_null=True)
    onboard_samples = serializers.IntegerField()
    churned = ChurnedSerializer(many=True)
    weekly = WeekSerializer(many=True, help_text="The last 52 ISO weeks, oldest first.")


def _summary_data(capability, summary: selectors.AdoptionSummary) -> dict:
    return {
        "capability": capability.slug,
        "eligible": summary.eligible,
        "onboarded": summary.onboarded,
        "evaluating": summary.evaluating,
        "median_days_to_onboard": summary.median_days_to_onboard,
        "onboard_samples": summary.onboard_samples,
        "churned": summary.churned,
        "weekly": [{"week_start": start, "onboarded": count} for start, count in summary.weekly],
    }


# --- adoptions --------------------------------------------------------------------------------------------
class AdoptionFilter(django_filters.FilterSet):
    capability = django_filters.CharFilter(field_name="capability__slug", label="Capability slug")
    team = django_filters.CharFilter(field_name="team__slug", label="Team slug")
    state = django_filters.MultipleChoiceFilter(choices=AdoptionState.choices)

    class Meta:
        model = Adoption
        fields = ["capability", "team", "state"]


@extend_schema_view(
    create=extend_schema(
        request=AdoptionMoveInputSerializer,
        responses={201: AdoptionSerializer},
        description="Record a move (none → evaluating/onboarded, evaluating → onboarded/offboarded, "
        "onboarded → offboarded, offboarded → evaluating/onboarded). Team maintainers for their team, the "
        "capability's owners and tenant admins.",
    ),
)
class AdoptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Teams' adoption of the capabilities the caller can see (most recently changed first)."""

    serializer_class = AdoptionSerializer
    filterset_class = AdoptionFilter
    queryset = Adoption.unscoped.none()
    cursor_ordering = ("-updated_at", "-id")
    lookup_url_kwarg = "adoption_pk"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        caps = visible_capabilities(membership_of(self.request), include_archived=True).values("pk")
        return Adoption.objects.filter(capability__in=caps).select_related("capability", "team")

    def create(self, request: Request, *args, **kwargs) -> Response:
        membership = membership_of(request)
        body = AdoptionMoveInputSerializer(
            data=request.data, capabilities=visible_capabilities(membership, include_archived=True)
        )
        body.is_valid(raise_exception=True)
        change = services.adoption_set(membership=membership, **body.validated_data)
        adoption = self.get_queryset().get(pk=change.adoption_id)
        return Response(self.get_serializer(adoption).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: AdoptionChangeSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def history(self, request: Request, adoption_pk: str | None = None) -> Response:
        """Every move of this adoption, oldest first (a handful per team: not paginated)."""
        adoption = self.get_object()
        changes = AdoptionChange.objects.filter(adoption=adoption).select_related("recorded_by")
        return Response(AdoptionChangeSerializer(changes.order_by("effective_at", "pk"), many=True).data)


# --- rules ------------------------------------------------------------------------------------------------
def _capability_or_404(request: Request, slug: str):
    capability = visible_capability(membership_of(request), slug=slug or "")
    if capability is None:
        raise NotFound("No such capability.")
    return capability


def _rules_data(capabilities: list) -> list[dict]:
    """The rules of these capabilities (defaults where none), in two queries."""
    ids = [c.pk for c in capabilities]
    rules = {r.capability_id: r for r in AdoptionRule.objects.filter(capability_id__in=ids)}
    listed: dict[int, list[str]] = {}
    for cap_id, slug in (
        EligibleTeam.objects.filter(capability_id__in=ids)
        .order_by("team__slug")
        .values_list("capability_id", "team__slug")
    ):
        listed.setdefault(cap_id, []).append(slug)
    out = []
    for c in capabilities:
        rule = rules.get(c.pk)
        out.append(
            {
                "capability": c.slug,
                "eligibility": rule.eligibility if rule else AdoptionRule.Eligibility.ALL,
                "teams": listed.get(c.pk, []),
                "environment": rule.environment if rule else "",
                "repo_topic": rule.repo_topic if rule else "",
                "updated_at": rule.updated_at if rule else None,
            }
        )
    return out


@extend_schema_view(
    retrieve=extend_schema(parameters=[CAPABILITY_SLUG]),
    update=extend_schema(
        parameters=[CAPABILITY_SLUG],
        request=AdoptionRuleInputSerializer,
        responses={200: AdoptionRuleSerializer},
        description="Owners of the capability (or tenant admins): which teams are eligible, and how adoption "
        "is inferred from deployments (environment name, repository topic).",
    ),
)
class AdoptionRuleViewSet(viewsets.GenericViewSet):
    """Adoption rules, one per capability the caller can see (by name)."""

    serializer_class = AdoptionRuleSerializer
    queryset = AdoptionRule.unscoped.none()
    cursor_ordering = ("name", "id")
    lookup_field = "capability__slug"
    lookup_url_kwarg = "capability_slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def list(self, request: Request) -> Response:
        caps = visible_capabilities(membership_of(request)).order_by("name", "id")
        page = self.paginate_queryset(caps)
        return self.get_paginated_response(AdoptionRuleSerializer(_rules_data(list(page)), many=True).data)

    def retrieve(self, request: Request, capability_slug: str | None = None) -> Response:
        capability = _capability_or_404(request, capability_slug)
        return Response(AdoptionRuleSerializer(_rules_data([capability])[0]).data)

    def update(self, request: Request, capability_slug: str | None = None) -> Response:
        capability = _capability_or_404(request, capability_slug)
        body = AdoptionRuleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.adoption_rule_set(
            membership=membership_of(request), capability=capability, **body.validated_data
        )
        return Response(AdoptionRuleSerializer(_rules_data([capability])[0]).data)


# --- summaries --------------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(responses={200: AdoptionSummarySerializer(many=True)}),
    retrieve=extend_schema(parameters=[CAPABILITY_SLUG], responses={200: AdoptionSummarySerializer}),
)
class AdoptionSummaryViewSet(viewsets.GenericViewSet):
    """Onboarded / eligible teams, the 52-week series, time to onboard and churn, per visible capability.

    The list covers every capability the caller can see in a constant number of queries (not paginated).
    """

    serializer_class = AdoptionSummarySerializer
    queryset = Adoption.unscoped.none()
    pagination_class = None
    lookup_url_kwarg = "capability_slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def list(self, request: Request) -> Response:
        rows = selectors.tenant_adoption_summaries(membership_of(request))
        return Response(AdoptionSummarySerializer([_summary_data(c, s) for c, s in rows], many=True).data)

    def retrieve(self, request: Request, capability_slug: str | None = None) -> Response:
        capability = _capability_or_404(request, capability_slug)
        summary = selectors.adoption_summary(membership_of(request), capability)
        return Response(AdoptionSummarySerializer(_summary_data(capability, summary)).data)
