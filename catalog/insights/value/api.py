"""`/api/v1/insights/value/`: the Platform value numbers, the same selectors as the pages.

Read-only. `list` gives every capability the caller may see; `retrieve` (by slug) adds the per-team
comparisons. Serializers only describe the output (and the OpenAPI schema); nothing here writes.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import selectors as catalog_selectors
from catalog.insights import metrics
from catalog.insights.value import selectors
from portal.plugins.api import IsTenantMember, Team, membership_of


class MetricsSerializer(serializers.Serializer):
    deployments = serializers.IntegerField()
    deployment_frequency = serializers.FloatField(
        allow_null=True, help_text="Successful deployments per week."
    )
    lead_time_hours = serializers.FloatField(allow_null=True)
    change_fail_rate = serializers.FloatField(allow_null=True)
    recovery_hours = serializers.FloatField(allow_null=True)
    rework_rate = serializers.FloatField(allow_null=True)


class EffectSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=metrics.METRIC_NAMES)
    label = serializers.CharField()
    adopters_before = serializers.FloatField(source="before", allow_null=True)
    adopters_after = serializers.FloatField(source="after", allow_null=True)
    comparison_before = serializers.FloatField(source="control_before", allow_null=True)
    comparison_after = serializers.FloatField(source="control_after", allow_null=True)
    difference_in_differences = serializers.FloatField(
        source="difference", allow_null=True, help_text="null: not enough data (see `reading`)."
    )
    adopting_teams = serializers.IntegerField(source="teams")
    comparison_teams = serializers.IntegerField(source="control_teams")
    higher_is_better = serializers.BooleanField()
    reading = serializers.CharField(source="verdict")


class TeamComparisonSerializer(serializers.Serializer):
    team = serializers.SerializerMethodField()
    onboarded_at = serializers.DateTimeField()
    before = MetricsSerializer()
    after = MetricsSerializer()

    def get_team(self, obj) -> str:
        return self.context["team_slugs"].get(obj.team_id, "")


class CapabilityValueSerializer(serializers.Serializer):
    capability = serializers.CharField(source="capability.slug")
    name = serializers.CharField(source="capability.name")
    onboarded_teams = serializers.IntegerField()
    compared_teams = serializers.IntegerField()
    waiting_teams = serializers.IntegerField(help_text="Onboarded too recently for a full after-window.")
    window_weeks = serializers.SerializerMethodField()
    effects = EffectSerializer(many=True)

    def get_window_weeks(self, obj) -> int:
        return metrics.WINDOW_WEEKS


class CapabilityValueDetailSerializer(CapabilityValueSerializer):
    comparisons = TeamComparisonSerializer(many=True)


class ValueViewSet(viewsets.GenericViewSet):
    """Adoption and the difference in differences of the DORA metrics, per capability."""

    permission_classes = [IsTenantMember]
    serializer_class = CapabilityValueSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    pagination_class = None

    def get_queryset(self):
        """The capabilities the caller may see (the schema generator's fake request sees none)."""
        return catalog_selectors.visible_capabilities(membership_of(self.request))

    @extend_schema(responses=CapabilityValueSerializer(many=True))
    def list(self, request: Request) -> Response:
        capabilities = list(self.get_queryset().order_by("name"))
        values = selectors.capabilities_value(capabilities)
        return Response(CapabilityValueSerializer(values, many=True).data)

    @extend_schema(
        responses=CapabilityValueDetailSerializer,
        parameters=[
            OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Capability.")
        ],
    )
    def retrieve(self, request: Request, slug: str) -> Response:
        capability = catalog_selectors.visible_capability(membership_of(request), slug=slug)
        if capability is None or capability.archived:
            raise Http404
        value = selectors.capabilities_value([capability])[0]
        team_slugs = dict(
            Team.objects.filter(pk__in=[c.team_id for c in value.comparisons]).values_list("pk", "slug")
        )
        return Response(CapabilityValueDetailSerializer(value, context={"team_slugs": team_slugs}).data)
