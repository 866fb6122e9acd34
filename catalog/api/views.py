"""`/api/v1/capabilities/`: the same selectors, services and permissions as the pages.

Reads list only what the caller may see (team-restricted capabilities included for their teams); writes
need maintainer rights on the owning team (or tenant admin). DELETE archives: capabilities are referenced by
requests and releases, so they are never hard-deleted through the API.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import search, selectors, services
from catalog.api.filters import CapabilityFilter
from catalog.api.serializers import (
    ArchiveInputSerializer,
    CapabilityInputSerializer,
    CapabilitySerializer,
    StatusInputSerializer,
    TransferInputSerializer,
)
from catalog.models import Capability, Tag
from portal.plugins.api import can_maintain, is_tenant_admin, maintained_team_ids, membership_of

ORDERINGS = {"name": ("name", "id"), "-updated": ("-updated_at", "-id"), "-created": ("-created_at", "-id")}
SEARCH_TEXT = serializers.CharField(allow_blank=True, trim_whitespace=False)


def search_text(request: Request) -> str:
    """`?search=`, validated like a field: text PostgreSQL refuses (a NUL character) is a 400, not a 500."""
    try:
        return SEARCH_TEXT.run_validation(request.query_params.get("search", ""))
    except ValidationError as exc:
        raise ValidationError({"search": exc.detail}) from None


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR, description="Ranked full-text search."),
            OpenApiParameter("ordering", OpenApiTypes.STR, enum=list(ORDERINGS), description="Sort order."),
            OpenApiParameter("archived", OpenApiTypes.BOOL, description="Include archived capabilities."),
        ]
    ),
    create=extend_schema(request=CapabilityInputSerializer, responses={201: CapabilitySerializer}),
    update=extend_schema(request=CapabilityInputSerializer, responses=CapabilitySerializer),
    partial_update=extend_schema(request=CapabilityInputSerializer, responses=CapabilitySerializer),
    destroy=extend_schema(
        description="Archive the capability (it stays readable by slug).", responses={204: None}
    ),
)
class CapabilityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Platform capabilities of the caller's tenant."""

    serializer_class = CapabilitySerializer
    filterset_class = CapabilityFilter
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    queryset = Capability.unscoped.none()  # the model, for the schema; get_queryset does the work

    @property
    def cursor_ordering(self):
        if self.request.query_params.get("search", "").strip():
            return ("-rank", "id")
        return ORDERINGS.get(self.request.query_params.get("ordering", ""), ORDERINGS["name"])

    def get_queryset(self):
        membership = membership_of(self.request)
        archived = self.request.query_params.get("archived") in {"1", "true", "True"}
        if self.action != "list":
            archived = True  # an archived capability stays addressable by its slug
        qs = selectors.visible_capabilities(membership, include_archived=archived)
        if self.action == "list" and (text := search_text(self.request)).strip():
            qs = search.apply(qs, text)
        return qs.select_related("owner_team").prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
            selectors.links_in_kind_order(),
            # Only dependencies the caller may see: a team-restricted capability's slug must not leak.
            Prefetch("dependencies", queryset=selectors.visible_capabilities(membership).order_by("slug")),
            "visible_to_teams",
        )

    def _input(self, request: Request, *, partial: bool) -> dict:
        membership = membership_of(request)
        visible = selectors.visible_capabilities(membership)
        serializer = CapabilityInputSerializer(data=request.data, partial=partial, visible=visible)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "links" in data:
            data["links"] = [dict(link) for link in data["links"]]
        return data

    def _check_maintainer(self, capability: Capability | None, team) -> None:
        membership = membership_of(self.request)
        if capability is not None and not can_maintain(membership, capability.owner_team_id):
            raise PermissionDenied("Only maintainers of the owning team (or tenant admins) can change it.")
        if team is not None and not can_maintain(membership, team.pk):
            raise PermissionDenied("You can only assign a team you maintain.")

    def create(self, request: Request, *args, **kwargs) -> Response:
        membership = membership_of(request)
        if not (is_tenant_admin(membership) or maintained_team_ids(membership)):
            raise PermissionDenied("Only team maintainers (or tenant admins) can add capabilities.")
        data = self._input(request, partial=False)
        self._check_maintainer(None, data.get("owner_team"))
        capability = services.capability_create(**data)
        return Response(self.get_serializer(self.get_queryset().get(pk=capability.pk)).data, status=201)

    def update(self, request: Request, *args, **kwargs) -> Response:
        capability = self.get_object()
        data = self._input(request, partial=kwargs.get("partial", False))
        self._check_maintainer(capability, data.get("owner_team"))
        if "dependencies" in data:
            data["dependencies"] = selectors.with_unseen_dependencies(
                membership_of(request), capability, data["dependencies"]
            )
        services.capability_update(capability=capability, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=capability.pk)).data)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        capability = self.get_object()
        self._check_maintainer(capability, None)
        services.capability_archive(capability=capability, archived=True)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ArchiveInputSerializer, responses=CapabilitySerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, slug: str | None = None) -> Response:
        """Archive (`{"archived": true}`) or restore (`false`) a capability."""
        capability = self.get_object()
        self._check_maintainer(capability, None)
        body = ArchiveInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.capability_archive(capability=capability, archived=body.validated_data["archived"])
        return Response(self.get_serializer(self.get_queryset().get(pk=capability.pk)).data)

    @extend_schema(request=StatusInputSerializer, responses=CapabilitySerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, slug: str | None = None) -> Response:
        """Set the current status (operational, degraded, partial_outage, major_outage, maintenance)."""
        capability = self.get_object()
        self._check_maintainer(capability, None)
        body = StatusInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.capability_set_status(capability=capability, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=capability.pk)).data)

    @extend_schema(request=TransferInputSerializer, responses=CapabilitySerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, slug: str | None = None) -> Response:
        """Give the capability to another team (`{"team": "<slug>"}`); tenant admins only. Audited."""
        capability = self.get_object()
        if not is_tenant_admin(membership_of(request)):
            raise PermissionDenied("Only tenant admins can transfer a capability to another team.")
        body = TransferInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.capability_transfer(
            capability=capability, team=body.validated_data["team"], actor=membership_of(request)
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=capability.pk)).data)
