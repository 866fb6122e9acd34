"""`/api/v1/releases/` and `/api/v1/status-updates/`: the selectors, services and permissions of the pages.

Readers see published releases of the capabilities they can see; maintainers of the owning team (and tenant
admins) also see drafts and scheduled releases and may write. Illegal state changes (publishing twice,
scheduling a published release, changing a published version) answer 409 `conflict`; bad input 400.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.models import Capability, Status
from catalog.releases import selectors, services
from catalog.releases.api.serializers import (
    ReleaseInputSerializer,
    ReleaseSerializer,
    ScheduleInputSerializer,
    StatusUpdateInputSerializer,
    StatusUpdateSerializer,
)
from catalog.releases.models import Release, ReleaseKind, ReleaseState, StatusUpdate
from catalog.selectors import visible_capabilities
from portal.plugins.api import can_maintain, membership_of

CONFLICT = OpenApiResponse(description="Not allowed in the release's current state (`conflict`).")


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Not allowed in the current state."
    default_code = "conflict"


class ReleaseFilter(django_filters.FilterSet):
    capability = django_filters.CharFilter(field_name="capability__slug", label="Capability slug")
    kind = django_filters.MultipleChoiceFilter(choices=ReleaseKind.choices)
    state = django_filters.MultipleChoiceFilter(choices=ReleaseState.choices)

    class Meta:
        model = Release
        fields = ["capability", "kind", "state"]


class StatusUpdateFilter(django_filters.FilterSet):
    capability = django_filters.CharFilter(field_name="capability__slug", label="Capability slug")
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    resolved = django_filters.BooleanFilter()

    class Meta:
        model = StatusUpdate
        fields = ["capability", "status", "resolved"]


def _check_maintainer(request: Request, capability: Capability) -> None:
    if not can_maintain(membership_of(request), capability.owner_team_id):
        raise PermissionDenied("Only maintainers of the owning team (or tenant admins) can do that.")


@extend_schema_view(
    create=extend_schema(
        request=ReleaseInputSerializer,
        responses={201: ReleaseSerializer},
        description="Create a draft. Publish it with `POST .../publish/` or schedule it.",
    ),
    update=extend_schema(request=ReleaseInputSerializer, responses={200: ReleaseSerializer, 409: CONFLICT}),
    partial_update=extend_schema(
        request=ReleaseInputSerializer,
        responses={200: ReleaseSerializer, 409: CONFLICT},
        description="Once published, only `title`, `notes` and `upgrade_notes` may change.",
    ),
    destroy=extend_schema(
        description="Delete a draft or scheduled release (published ones stay).",
        responses={204: None, 409: CONFLICT},
    ),
)
class ReleaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Releases of the caller's tenant (newest first)."""

    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilter
    queryset = Release.unscoped.none()  # the model, for the schema; get_queryset does the work
    cursor_ordering = ("-created_at", "-id")
    # Named after the model (not plain `pk`): the isolation matrix fills `<model>_pk` from that model's rows.
    lookup_url_kwarg = "release_pk"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.visible_releases(membership_of(self.request)).select_related("capability")

    def _output(self, release: Release, status_code: int = 200) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=release.pk)).data, status=status_code)

    def create(self, request: Request, *args, **kwargs) -> Response:
        body = ReleaseInputSerializer(
            data=request.data, capabilities=visible_capabilities(membership_of(request))
        )
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        _check_maintainer(request, data["capability"])
        release = services.release_create(**data, user=request.user)
        return self._output(release, status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        release = self.get_object()
        _check_maintainer(request, release.capability)
        capabilities = selectors.maintainable_capabilities(membership_of(request), keep=release.capability_id)
        body = ReleaseInputSerializer(
            data=request.data, partial=kwargs.get("partial", False), capabilities=capabilities
        )
        body.is_valid(raise_exception=True)
        try:
            services.release_update(release=release, **body.validated_data)
        except services.TransitionError as exc:
            raise Conflict(str(exc)) from exc
        return self._output(release)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        release = self.get_object()
        _check_maintainer(request, release.capability)
        try:
            services.release_delete(release=release)
        except services.TransitionError as exc:
            raise Conflict(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: ReleaseSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, release_pk: str | None = None) -> Response:
        """Publish now: subscribers are notified and shipped requests move to "shipped". Exactly once."""
        release = self.get_object()
        _check_maintainer(request, release.capability)
        try:
            services.release_publish(release=release, user=request.user)
        except services.TransitionError as exc:
            raise Conflict(str(exc)) from exc
        return self._output(release)

    @extend_schema(request=ScheduleInputSerializer, responses={200: ReleaseSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, release_pk: str | None = None) -> Response:
        """Publish automatically at `scheduled_for` (checked every minute); rescheduling is allowed."""
        release = self.get_object()
        _check_maintainer(request, release.capability)
        body = ScheduleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.release_schedule(
                release=release, at=body.validated_data["scheduled_for"], user=request.user
            )
        except services.TransitionError as exc:
            raise Conflict(str(exc)) from exc
        return self._output(release)

    @extend_schema(request=None, responses={200: ReleaseSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def unschedule(self, request: Request, release_pk: str | None = None) -> Response:
        """A scheduled release goes back to draft."""
        release = self.get_object()
        _check_maintainer(request, release.capability)
        try:
            services.release_unschedule(release=release)
        except services.TransitionError as exc:
            raise Conflict(str(exc)) from exc
        return self._output(release)


@extend_schema_view(
    create=extend_schema(
        request=StatusUpdateInputSerializer,
        responses={201: StatusUpdateSerializer},
        description="Post a status update; it becomes the capability's current status. The first "
        "non-operational update opens an incident, `resolved: true` closes it.",
    ),
)
class StatusUpdateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Status updates of the capabilities the caller can see (newest first)."""

    serializer_class = StatusUpdateSerializer
    filterset_class = StatusUpdateFilter
    queryset = StatusUpdate.unscoped.none()
    cursor_ordering = ("-created_at", "-id")
    lookup_url_kwarg = "status_update_pk"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.visible_status_updates(membership_of(self.request)).select_related("capability")

    def create(self, request: Request, *args, **kwargs) -> Response:
        body = StatusUpdateInputSerializer(
            data=request.data, capabilities=visible_capabilities(membership_of(request))
        )
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        _check_maintainer(request, data["capability"])
        update = services.status_update_post(**data, user=request.user)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=update.pk)).data, status=status.HTTP_201_CREATED
        )
