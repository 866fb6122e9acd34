"""`/api/v1/requests/`: the board's selectors, services and permissions, as the pages use them.

Requests are addressed by their number (`/api/v1/requests/12/`). Everything resolves through
`selectors.visible_requests`, so a request of another tenant, or filed against a capability the caller cannot
see, answers 404 exactly like a number never handed out. The services check permissions (403) and validate
(400 with `fields`); this module only parses input, applies the abuse limits before a write (429 with
`Retry-After`, nothing written) and serialises what the selectors return. Requests are never deleted.
"""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.selectors import visible_capabilities
from portal.plugins.api import Membership, membership_of
from requests_app import selectors, services
from requests_app.api import filters
from requests_app.api.comments import CommentActionsMixin
from requests_app.api.limits import consume
from requests_app.api.schema import FORBIDDEN, INVALID, NUMBER_REGEX, RATE_LIMITED
from requests_app.api.serializers import (
    FeatureRequestSerializer,
    HistorySerializer,
    MergeInputSerializer,
    RequestInputSerializer,
    RequestStatusInputSerializer,
    RequestSummarySerializer,
    RoadmapSerializer,
    TeamDemandSerializer,
    VoteRecordInputSerializer,
)
from requests_app.models import FeatureRequest, StatusChange
from requests_app.permissions import can_triage
from requests_app.services.merge import merge_target_refusal
from requests_app.services.votes import vote_cast_on, vote_remove_on


@extend_schema_view(
    list=extend_schema(
        parameters=[filters.RequestListQuerySerializer],
        description="The board: requests you can see, most voted first by default. Cursor-paginated.",
    ),
    retrieve=extend_schema(description="One request by its number."),
    create=extend_schema(
        request=RequestInputSerializer,
        responses={201: FeatureRequestSerializer, 400: INVALID, 403: FORBIDDEN, 429: RATE_LIMITED},
        description="File a request; you vote for it and follow it. Limited per person and hour.",
    ),
    partial_update=extend_schema(
        request=RequestInputSerializer,
        responses={200: FeatureRequestSerializer, 400: INVALID, 403: FORBIDDEN},
        description="Edit title, body, tags or capability: the author while the request is open, the "
        "owning team's maintainers (and tenant admins) always. Only the given fields change.",
    ),
)
class FeatureRequestViewSet(
    CommentActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Feature requests of the caller's tenant, addressed by number."""

    serializer_class = FeatureRequestSerializer
    queryset = FeatureRequest.unscoped.none()  # the model, for the schema; get_queryset does the work
    lookup_field = "number"
    lookup_value_regex = NUMBER_REGEX
    filter_backends: list = []  # filters are parsed by requests_app.api.filters, applied by the selector

    # -- reading ---------------------------------------------------------------------------------------

    @property
    def membership(self) -> Membership | None:
        return membership_of(self.request)

    @property
    def cursor_ordering(self) -> tuple[str, ...]:
        wanted = self.request.query_params.get("ordering", "")
        return selectors.SORTS.get(wanted, selectors.SORTS["top"])

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def get_queryset(self):
        if self.action != "list":
            return selectors.visible_requests(self.membership)
        query = filters.parse(self.request.query_params)
        return selectors.request_list(self.membership, **query).select_related("duplicate_of")

    def get_object(self) -> FeatureRequest:
        found = selectors.request_detail(self.membership, number=int(self.kwargs["number"]))
        if found is None:
            raise Http404("No such request.")
        self.check_object_permissions(self.request, found)
        return found

    def _output(self, feature_request: FeatureRequest, status_code: int = status.HTTP_200_OK) -> Response:
        """The request as it is now (counts, status, my_vote), read again through the selector."""
        fresh = selectors.request_detail(self.membership, number=feature_request.number)
        if fresh is None:
            raise Http404("No such request.")
        return Response(self.get_serializer(fresh).data, status=status_code)

    # -- filing and editing ----------------------------------------------------------------------------

    def _request_input(self, request: Request, *, partial: bool) -> dict:
        body = RequestInputSerializer(
            data=request.data, partial=partial, capabilities=visible_capabilities(self.membership)
        )
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = self._request_input(request, partial=False)
        consume(self.membership, "request")
        feature_request = services.request_create(membership=self.membership, **data)
        return self._output(feature_request, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        feature_request = self.get_object()
        data = self._request_input(request, partial=True)
        services.request_update(membership=self.membership, feature_request=feature_request, **data)
        return self._output(feature_request)

    # -- votes -----------------------------------------------------------------------------------------

    def _admit_vote(self) -> None:
        """The hourly vote limit, counted by the vote services once the request is known visible (a 404
        uses none of it) and before they write."""
        consume(self.membership, "vote")

    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(FeatureRequestSerializer, description="Voted."),
            200: OpenApiResponse(FeatureRequestSerializer, description="You had voted already."),
            400: OpenApiResponse(description="Voting is closed (shipped, declined or duplicate)."),
            403: FORBIDDEN,
            429: RATE_LIMITED,
        },
    )
    @action(detail=True, methods=["post"])
    def vote(self, request: Request, number: str | None = None) -> Response:
        """Vote for the request. Idempotent: voting again keeps one vote."""
        # Votes are the most frequent write: the service finds, locks and checks the row in one read.
        result = vote_cast_on(membership=self.membership, number=int(number), admit=self._admit_vote)
        if result is None:
            raise Http404("No such request.")
        # The row the vote locked and wrote, counts included; not read again through the board's selector.
        voted = result.request
        voted.my_vote = True  # the caller's vote exists now, new or not
        return Response(
            self.get_serializer(voted).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="No vote of yours any more (also when there was none)."),
            400: OpenApiResponse(description="Voting is closed (shipped, declined or duplicate)."),
            403: FORBIDDEN,
            429: RATE_LIMITED,
        },
    )
    @vote.mapping.delete
    def unvote(self, request: Request, number: str | None = None) -> Response:
        """Take your vote back while voting is open. Idempotent."""
        removed = vote_remove_on(membership=self.membership, number=int(number), admit=self._admit_vote)
        if removed is None:
            raise Http404("No such request.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=VoteRecordInputSerializer,
        responses={
            201: OpenApiResponse(FeatureRequestSerializer, description="Vote recorded."),
            200: OpenApiResponse(FeatureRequestSerializer, description="They had voted already."),
            400: INVALID,
            403: FORBIDDEN,
            429: RATE_LIMITED,
        },
    )
    @action(detail=True, methods=["post"], url_path="votes/record", url_name="vote-record")
    def vote_record(self, request: Request, number: str | None = None) -> Response:
        """Maintainers of the owning team (and tenant admins) record a colleague's vote, e.g. heard in a
        meeting; it is shown as recorded on their behalf."""
        feature_request = self.get_object()
        body = VoteRecordInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        consume(self.membership, "vote")
        created = services.vote_record(
            membership=self.membership, feature_request=feature_request, **body.validated_data
        )
        return self._output(feature_request, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses={200: TeamDemandSerializer(many=True), 403: FORBIDDEN})
    @action(detail=True, methods=["get"], pagination_class=None)
    def demand(self, request: Request, number: str | None = None) -> Response:
        """Voters per team, most first (a person in two teams counts in both; `team: null` are voters in
        no team). For maintainers of the owning team and tenant admins."""
        feature_request = self.get_object()
        if not can_triage(self.membership, feature_request):
            raise PermissionDenied("Only maintainers of the owning team (or tenant admins) can see demand.")
        rows = selectors.demand_by_team(feature_request)
        return Response(TeamDemandSerializer(rows, many=True).data)

    # -- triage ----------------------------------------------------------------------------------------

    @extend_schema(
        request=RequestStatusInputSerializer,
        responses={
            200: FeatureRequestSerializer,
            400: OpenApiResponse(description="Not a next step of the workflow; the message says which are."),
            403: FORBIDDEN,
        },
    )
    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    def set_status(self, request: Request, number: str | None = None) -> Response:
        """Move the request along the workflow (new, under review, planned, in progress, shipped,
        declined) with a public note; followers are told. To close a duplicate, merge it."""
        feature_request = self.get_object()
        body = RequestStatusInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.request_set_status(
            membership=self.membership, feature_request=feature_request, **body.validated_data
        )
        return self._output(feature_request)

    @extend_schema(
        request=MergeInputSerializer,
        responses={
            200: OpenApiResponse(FeatureRequestSerializer, description="The request merged into."),
            400: INVALID,
            403: FORBIDDEN,
        },
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, number: str | None = None) -> Response:
        """Close this request as a duplicate of `into`: its votes (each person once), followers and tags
        move there. Needs triage rights on both requests (403 otherwise). Answers with the request merged
        into."""
        source = self.get_object()
        body = MergeInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not can_triage(self.membership, source):
            raise PermissionDenied("Only maintainers of the owning team (or tenant admins) can merge it.")
        into = body.validated_data["into"]
        target = selectors.visible_requests(self.membership).filter(number=into).first()
        if target is None:
            raise ValidationError({"into": [f"There is no request #{into}."]})
        if not can_triage(self.membership, target):
            raise PermissionDenied(merge_target_refusal(target))
        merged = services.request_merge(
            membership=self.membership, source=source, target=target, note=body.validated_data["note"]
        )
        return self._output(merged)

    @extend_schema(responses=HistorySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request: Request, number: str | None = None) -> Response:
        """Status changes with their public notes, and duplicates merged in, oldest first."""
        feature_request = self.get_object()
        entries = selectors.history_of(feature_request)
        context = {"visible_related": self._visible_pks(entries)}
        return Response(HistorySerializer(entries, many=True, context=context).data)

    def _visible_pks(self, entries: list[StatusChange]) -> set[int]:
        """Of the requests the history points to, those the caller may see (the others stay unnamed)."""
        related = {e.related_id for e in entries if e.related_id is not None}
        if not related:
            return set()
        visible = selectors.visible_requests(self.membership).filter(pk__in=related)
        return set(visible.values_list("pk", flat=True))

    # -- comments --------------------------------------------------------------------------------------

    # -- board-wide ------------------------------------------------------------------------------------

    @extend_schema(
        parameters=[
            OpenApiParameter("title", OpenApiTypes.STR, required=True, description="The title being typed."),
        ],
        responses=RequestSummarySerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def similar(self, request: Request) -> Response:
        """Up to 5 requests resembling a title, for "vote instead of filing a duplicate" suggestions."""
        title = request.query_params.get("title", "")[:300]
        found = selectors.similar_requests(self.membership, title)
        return Response(RequestSummarySerializer(found, many=True).data)

    @extend_schema(parameters=[filters.RoadmapQuerySerializer], responses=RoadmapSerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def roadmap(self, request: Request) -> Response:
        """Planned, in progress and recently shipped requests, most wanted first."""
        capability = None
        query = filters.RoadmapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)  # a slug or nothing: 400, not a query PostgreSQL refuses
        slug = query.validated_data.get("capability", "")
        if slug:
            capability = (
                visible_capabilities(self.membership, include_archived=True).filter(slug=slug).first()
            )
            if capability is None:
                return Response(RoadmapSerializer({"planned": [], "in_progress": [], "shipped": []}).data)
        board = selectors.roadmap(self.membership, capability=capability)
        return Response(RoadmapSerializer(board, context=self.get_serializer_context()).data)
