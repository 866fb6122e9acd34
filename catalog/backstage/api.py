"""`/api/v1/backstage/import/` (POST, multipart upload) and `/api/v1/backstage/export/` (GET, YAML).

Mounted on the shared router as `ApiRoute("backstage", BackstageViewSet, "backstage")`: a ViewSet with two
list-level actions rather than a model viewset, because an import is a use case, not a resource. Tenant
admins only (an import can create teams and rewrite any capability; an export shows team-restricted
capabilities). The request is checked against the size limits before the body is parsed.
"""

from __future__ import annotations

import yaml
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.backstage import parser
from catalog.backstage.exporter import export_catalog
from catalog.backstage.importer import import_uploads
from catalog.backstage.parser import MAX_UPLOAD_FILES, human_size
from catalog.backstage.report import ImportReport
from portal.plugins.api import IsTenantAdmin

TRUE = {"1", "true", "yes", "on"}
MULTIPART_OVERHEAD = 64 * 1024


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The upload is too large."
    default_code = "too_large"


class YamlRenderer(BaseRenderer):
    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
        return text.encode("utf-8")


class BackstageUploadSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(), help_text=f"catalog-info YAML files (at most {MAX_UPLOAD_FILES})."
    )
    dry_run = serializers.BooleanField(required=False, default=False, help_text="Report only; write nothing.")


class BackstageChangeSerializer(serializers.Serializer):
    ref = serializers.CharField()
    kind = serializers.CharField()
    target = serializers.CharField(help_text="capability, team, link, category, user, location or none.")
    action = serializers.CharField(help_text="create, update, unchanged, info or skip.")
    detail = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
    file = serializers.CharField()
    document = serializers.IntegerField(allow_null=True)


class BackstageNoteSerializer(serializers.Serializer):
    level = serializers.CharField()
    message = serializers.CharField()
    file = serializers.CharField()
    document = serializers.IntegerField(allow_null=True)
    ref = serializers.CharField()


class BackstageProblemSerializer(serializers.Serializer):
    file = serializers.CharField()
    document = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    message = serializers.CharField()
    code = serializers.CharField()


class BackstageImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    ok = serializers.BooleanField()
    summary = serializers.CharField()
    files = serializers.IntegerField()
    documents = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))
    links = serializers.IntegerField()
    memberships = serializers.IntegerField()
    changes = BackstageChangeSerializer(many=True)
    warnings = BackstageNoteSerializer(many=True)
    info = BackstageNoteSerializer(many=True)
    errors = BackstageProblemSerializer(many=True)
    more_errors = serializers.IntegerField()


def refusal_body(report: ImportReport) -> dict:
    """The API's error envelope; `fields.files` holds one line per problem, `problems` the details."""
    problems = [str(p) for p in report.errors]
    return {
        "error": {
            "status": 413 if report.too_large else 400,
            "code": "too_large" if report.too_large else "invalid_backstage_yaml",
            "detail": f"{report.summary()} First: {problems[0]}" if problems else report.summary(),
            "fields": {"files": problems},
            "problems": [p.__dict__ for p in report.errors],
        }
    }


class BackstageViewSet(viewsets.ViewSet):
    """Backstage catalog interoperability for tenant admins."""

    permission_classes = [IsTenantAdmin]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="backstage_import",
        description="Import Backstage descriptor files, atomically: any invalid document refuses the whole "
        "upload (400, naming file, document and field) and nothing is written. Re-importing the same "
        "entities updates them (keyed by kind, namespace and name), never duplicates them.",
        request={"multipart/form-data": BackstageUploadSerializer},
        parameters=[
            OpenApiParameter("dry_run", OpenApiTypes.BOOL, description="Report only; write nothing.")
        ],
        responses={
            200: BackstageImportReportSerializer,
            400: OpenApiResponse(description="Invalid YAML or entities; nothing written."),
            403: OpenApiResponse(description="Not a tenant admin."),
            413: OpenApiResponse(description="Upload larger than the limits."),
        },
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_catalog(self, request: Request) -> Response:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > parser.MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD:
            raise PayloadTooLarge(f"Uploads are limited to {human_size(parser.MAX_UPLOAD_BYTES)} in total.")
        files = request.FILES.getlist("files") + request.FILES.getlist("file")
        if not files:
            raise ValidationError({"files": ["Upload one or more Backstage YAML files (field 'files')."]})
        too_big = [f.name for f in files if (f.size or 0) > parser.MAX_FILE_BYTES]
        if too_big:
            raise PayloadTooLarge(f"{too_big[0]}: larger than {human_size(parser.MAX_FILE_BYTES)}.")
        flag = request.query_params.get("dry_run") or request.data.get("dry_run") or ""
        uploads = [(f.name or "", f.read(parser.MAX_FILE_BYTES + 1)) for f in files]
        report = import_uploads(uploads, dry_run=str(flag).lower() in TRUE)
        if not report.ok:
            body = refusal_body(report)
            return Response(body, status=body["error"]["status"])
        return Response(report.to_dict())

    @extend_schema(
        operation_id="backstage_export",
        description="The tenant's teams and capabilities as multi-document Backstage YAML.",
        responses={(200, "application/yaml"): OpenApiTypes.STR},
    )
    @action(
        detail=False, methods=["get"], url_path="export", url_name="export",
        renderer_classes=[YamlRenderer, JSONRenderer],
    )  # fmt: skip
    def export_catalog(self, request: Request) -> Response:
        response = Response(export_catalog(), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="catalog-info.yaml"'
        return response
