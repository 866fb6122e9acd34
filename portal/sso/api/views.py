"""`/api/v1/sso/` (the tenant's provider) and `/api/v1/sso/mappings/` (group mappings). Tenant admins only.

The client secret is write-only: responses say `client_secret_set`, never the secret. Same services as the
page: they validate (400 with `fields`), check the issuer through the outbound guard, and audit.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts.models import Team, TeamRole
from portal.accounts.permissions import IsTenantAdmin, IsTenantMember, membership_of
from portal.sso import services
from portal.sso.models import DEFAULT_SCOPES, SsoGroupMapping, SsoProvider
from portal.tenancy.models import Role


class ProviderSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=100)
    issuer_url = serializers.CharField(max_length=500)
    client_id = serializers.CharField(max_length=255)
    client_secret = serializers.CharField(max_length=2000, write_only=True, required=False)
    client_secret_set = serializers.SerializerMethodField()
    email_domains = serializers.ListField(child=serializers.CharField(max_length=253), required=False)
    scopes = serializers.CharField(max_length=500, required=False, default=DEFAULT_SCOPES)
    groups_claim = serializers.CharField(max_length=100, required=False, allow_blank=True, default="groups")
    default_role = serializers.ChoiceField(
        choices=[Role.MEMBER, Role.VIEWER], required=False, default=Role.MEMBER
    )
    enabled = serializers.BooleanField(required=False, default=False)
    local_passwords_allowed = serializers.BooleanField(required=False, default=True)
    last_sync_at = serializers.DateTimeField(read_only=True)

    def get_client_secret_set(self, provider: SsoProvider) -> bool:
        return bool(provider.client_secret_encrypted)


@extend_schema_field(OpenApiTypes.STR)
class TenantTeamField(serializers.SlugRelatedField):
    """A team of the current tenant by slug; the queryset is read at validation time, inside the tenant."""

    def get_queryset(self):
        return Team.objects.all()

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data or len(data) > 63:
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:63].replace("\x00", ""))
        return super().to_internal_value(data)


class MappingSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    idp_group = serializers.CharField(max_length=255)
    team = TenantTeamField(slug_field="slug", required=False, allow_null=True)
    team_role = serializers.ChoiceField(
        choices=TeamRole.choices, required=False, allow_blank=True, default=""
    )
    tenant_role = serializers.ChoiceField(choices=Role.choices, required=False, allow_blank=True, default="")


class SsoProviderView(APIView):
    """The tenant's OpenID Connect provider. GET: 404 until configured. PUT: create or replace."""

    permission_classes = [IsTenantMember, IsTenantAdmin]
    serializer_class = ProviderSerializer

    def get(self, request: Request) -> Response:
        provider = get_object_or_404(SsoProvider.objects.all())
        return Response(ProviderSerializer(provider).data)

    @extend_schema(request=ProviderSerializer, responses={200: ProviderSerializer})
    def put(self, request: Request) -> Response:
        body = ProviderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        provider = services.sso_provider_save(
            actor=membership_of(request), client_secret=data.pop("client_secret", None), **data
        )
        return Response(ProviderSerializer(provider).data)


class SsoMappingListView(APIView):
    permission_classes = [IsTenantMember, IsTenantAdmin]
    serializer_class = MappingSerializer

    @extend_schema(operation_id="sso_mappings_list", responses={200: MappingSerializer(many=True)})
    def get(self, request: Request) -> Response:
        mappings = SsoGroupMapping.objects.select_related("team").all()
        return Response(MappingSerializer(mappings, many=True).data)

    @extend_schema(request=MappingSerializer, responses={201: MappingSerializer})
    def post(self, request: Request) -> Response:
        body = MappingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        mapping = services.sso_mapping_add(actor=membership_of(request), **body.validated_data)
        return Response(MappingSerializer(mapping).data, status=status.HTTP_201_CREATED)


class SsoMappingDetailView(APIView):
    permission_classes = [IsTenantMember, IsTenantAdmin]
    serializer_class = MappingSerializer

    def get(self, request: Request, ssogroupmapping_pk: int) -> Response:
        mapping = get_object_or_404(SsoGroupMapping.objects.all(), pk=ssogroupmapping_pk)
        return Response(MappingSerializer(mapping).data)

    def delete(self, request: Request, ssogroupmapping_pk: int) -> Response:
        mapping = get_object_or_404(SsoGroupMapping.objects.all(), pk=ssogroupmapping_pk)
        services.sso_mapping_remove(actor=membership_of(request), mapping=mapping)
        return Response(status=status.HTTP_204_NO_CONTENT)
