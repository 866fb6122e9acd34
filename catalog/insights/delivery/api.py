"""`/api/v1/insights/sources/` and `/api/v1/insights/repositories/`: the services and rules of the pages.

Sources are for tenant admins only (anyone else: 403). A source's `secret` appears in exactly two answers,
creation and `rotate-secret`; it is stored encrypted and never readable again. Repository mappings are
read by everybody in the tenant; tenant admins change any, team maintainers those of their own teams.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.insights.delivery import backstage, selectors, services
from catalog.insights.delivery.forms import MAX_UPLOAD_BYTES
from catalog.insights.models import IngestSource, IngestSourceKind, RepoMapping
from portal.plugins.api import IsTenantAdmin, IsTenantMember, SlugRelatedField, Team, membership_of


# --- serializers (they never write) ----------------------------------------------------------------------
class IngestSourceSerializer(serializers.ModelSerializer):
    # A plain string here (the input serializer carries the enum): one choice set used by several
    # components would need a settings-level ENUM_NAME_OVERRIDES entry to be named without a warning.
    kind = serializers.CharField(read_only=True, help_text="`github` or `generic`.")
    ingest_url = serializers.SerializerMethodField(help_text="POST deliveries here (signed with the secret).")
    signature_header = serializers.SerializerMethodField()

    class Meta:
        model = IngestSource
        fields = [
            "id", "name", "kind", "key", "ingest_url", "signature_header", "production_environments",
            "enabled", "created_at", "last_received_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_ingest_url(self, source: IngestSource) -> str:
        return selectors.ingest_url(self.context.get("request"), source)

    def get_signature_header(self, source: IngestSource) -> str:
        return "X-Hub-Signature-256" if source.kind == IngestSourceKind.GITHUB else "X-Agora-Signature-256"


class IssuedSourceSerializer(IngestSourceSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown in this answer only; copy it now.")

    class Meta(IngestSourceSerializer.Meta):
        fields = [*IngestSourceSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class IngestSourceInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=IngestSourceKind.choices)
    production_environments = serializers.CharField(max_length=200, required=False)


class IngestSourceUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    production_environments = serializers.CharField(max_length=200, required=False)
    enabled = serializers.BooleanField(required=False)


class RepoMappingSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = RepoMapping
        fields = ["id", "repository", "team", "topics", "created_at"]
        read_only_fields = fields


class RepoMappingInputSerializer(serializers.Serializer):
    repository = serializers.CharField(max_length=200, help_text="owner/name (lower-cased when stored).")
    team = SlugRelatedField(slug_field="slug", queryset=Team.unscoped.none())

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.unscoped.none()


class RepoMappingImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A catalog-info.yaml (Backstage descriptors), at most 5 MiB.")

    def validate_file(self, upload):
        if upload.size > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError("The file is larger than 5 MiB.")
        return upload


class ImportReportSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    skipped = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))


# --- viewsets ---------------------------------------------------------------------------------------------
class IsTenantAdminMember(IsTenantAdmin):
    message = "Only tenant admins manage ingest sources."


@extend_schema_view(
    create=extend_schema(
        request=IngestSourceInputSerializer,
        responses={201: IssuedSourceSerializer},
        description="Create a source; the answer carries its `secret`, shown this once.",
    ),
    partial_update=extend_schema(
        request=IngestSourceUpdateSerializer,
        responses={200: IngestSourceSerializer},
        description="Rename, change the production environments, or disable (`enabled: false`: its "
        "ingest URL answers 404 and stores nothing).",
    ),
)
class IngestSourceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Where CI/CD systems send delivery events (tenant admins only)."""

    permission_classes = [IsAuthenticated, IsTenantAdminMember]
    serializer_class = IngestSourceSerializer
    queryset = IngestSource.unscoped.none()
    cursor_ordering = ("name", "id")
    lookup_url_kwarg = "ingest_source_pk"
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.sources()

    def create(self, request: Request, *args, **kwargs) -> Response:
        body = IngestSourceInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        issued = services.source_create(**body.validated_data, user=request.user)
        return self._issued(issued, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        source = self.get_object()
        body = IngestSourceUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.source_update(source=source, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=source.pk)).data)

    @extend_schema(request=None, responses={200: IssuedSourceSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, ingest_source_pk: str | None = None) -> Response:
        """A new secret, shown in this answer only; the old one stops working at once."""
        issued = services.source_rotate_secret(source=self.get_object())
        return self._issued(issued, status.HTTP_200_OK)

    def _issued(self, issued: services.IssuedSource, status_code: int) -> Response:
        source = self.get_queryset().get(pk=issued.source.pk)
        data = IssuedSourceSerializer(source, context=self.get_serializer_context()).data
        data["secret"] = issued.secret
        response = Response(data, status=status_code)
        response["Cache-Control"] = "no-store"
        return response


@extend_schema_view(
    create=extend_schema(request=RepoMappingInputSerializer, responses={201: RepoMappingSerializer}),
    destroy=extend_schema(description="Remove a mapping (tenant admins, or maintainers of its team)."),
)
class RepoMappingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Which team ships which repository: events name repositories, metrics count per team."""

    permission_classes = [IsTenantMember]
    serializer_class = RepoMappingSerializer
    queryset = RepoMapping.unscoped.none()
    cursor_ordering = ("repository", "id")
    lookup_url_kwarg = "repo_mapping_pk"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.repo_mappings()

    def _require_team(self, team_id: int | None = None) -> None:
        allowed = selectors.allowed_team_ids(membership_of(self.request))
        if allowed is not None and (not allowed or (team_id is not None and team_id not in allowed)):
            raise PermissionDenied("Only tenant admins and maintainers of the team map its repositories.")

    def create(self, request: Request, *args, **kwargs) -> Response:
        self._require_team()
        teams = selectors.mappable_teams(membership_of(request))
        body = RepoMappingInputSerializer(data=request.data, teams=teams)
        body.is_valid(raise_exception=True)
        mapping = services.repo_mapping_add(**body.validated_data)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=mapping.pk)).data, status=status.HTTP_201_CREATED
        )

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        mapping = self.get_object()
        self._require_team(mapping.team_id)
        services.repo_mapping_remove(mapping=mapping)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request={"multipart/form-data": RepoMappingImportSerializer},
        responses={
            200: ImportReportSerializer,
            400: OpenApiResponse(description="The upload has errors; nothing was created."),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import-backstage",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_backstage(self, request: Request) -> Response:
        """Map each Component's `github.com/project-slug` to the team named by its `spec.owner` group.

        All or nothing: any error refuses the whole upload. Components without the annotation and
        repositories mapped already are skipped and listed.
        """
        self._require_team()
        body = RepoMappingImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        report = backstage.repo_mappings_from_backstage(
            files=[(upload.name, upload.read())], membership=membership_of(request)
        )
        if report.errors:
            raise serializers.ValidationError({"file": report.errors[:50]})
        return Response(
            {
                "created": [{"repository": r, "team": t} for r, t in report.created],
                "skipped": [{"repository": r, "reason": why} for r, why in report.skipped],
            }
        )
