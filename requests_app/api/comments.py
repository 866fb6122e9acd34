"""Comment actions of `/api/v1/requests/<number>/comments/`, mixed into the request viewset.

A comment is only ever found through its request (which the viewset resolved through the visible
requests), so a comment of another request, tenant or hidden capability answers 404; internal notes exist
only for those who may triage the request.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from requests_app import selectors, services
from requests_app.api.limits import consume
from requests_app.api.schema import FORBIDDEN, INVALID, NUMBER_REGEX, RATE_LIMITED
from requests_app.api.serializers import CommentEditInputSerializer, CommentInputSerializer, CommentSerializer
from requests_app.models import Comment, FeatureRequest

COMMENT_PK = OpenApiParameter(
    "comment_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The comment's id."
)


class CommentActionsMixin:
    """Needs `get_object()` (the visible request) and `membership` from the viewset."""

    @extend_schema(
        responses=CommentSerializer(many=True),
        description="Comments oldest first, with those of duplicates merged into this request; internal "
        "notes only for the owning team's maintainers and tenant admins; deleted ones as a trace.",
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def comments(self, request: Request, number: str | None = None) -> Response:
        feature_request = self.get_object()
        found = selectors.comments_for(self.membership, feature_request)
        return Response(CommentSerializer(found, many=True).data)

    @extend_schema(
        request=CommentInputSerializer,
        responses={201: CommentSerializer, 400: INVALID, 403: FORBIDDEN, 429: RATE_LIMITED},
        description="Comment (Markdown). Maintainers may post the team's official response (followers "
        "are told) or an internal note. Limited per person and hour.",
    )
    @comments.mapping.post
    def comment_create(self, request: Request, number: str | None = None) -> Response:
        feature_request = self.get_object()
        body = CommentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        consume(self.membership, "comment")
        comment = services.comment_create(
            membership=self.membership, feature_request=feature_request, **body.validated_data
        )
        return Response(CommentSerializer(self._comment_row(comment.pk)).data, status=status.HTTP_201_CREATED)

    def _comment_row(self, pk: int) -> Comment:
        return Comment.objects.select_related("author", "deleted_by", "request").get(pk=pk)

    def _comment(self, feature_request: FeatureRequest, comment_pk: str | None) -> Comment:
        """A comment of this request that the caller may see; anything else is 404."""
        comment = selectors.comment_of(self.membership, feature_request, int(comment_pk or 0))
        if comment is None:
            raise Http404("No such comment.")
        return comment

    @extend_schema(parameters=[COMMENT_PK], responses=CommentSerializer)
    @action(
        detail=True,
        methods=["get"],
        url_path=rf"comments/(?P<comment_pk>{NUMBER_REGEX})",
        url_name="comment-detail",
        pagination_class=None,
    )
    def comment(self, request: Request, number: str | None = None, comment_pk: str | None = None) -> Response:
        """One comment (a deleted one as its trace)."""
        found = self._comment(self.get_object(), comment_pk)
        return Response(CommentSerializer(found).data)

    @extend_schema(
        parameters=[COMMENT_PK],
        request=CommentEditInputSerializer,
        responses={200: CommentSerializer, 400: INVALID, 403: FORBIDDEN},
    )
    @comment.mapping.patch
    def comment_edit(
        self, request: Request, number: str | None = None, comment_pk: str | None = None
    ) -> Response:
        """Edit your own comment."""
        found = self._comment(self.get_object(), comment_pk)
        body = CommentEditInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.comment_edit(membership=self.membership, comment=found, **body.validated_data)
        return Response(CommentSerializer(self._comment_row(found.pk)).data)

    @extend_schema(parameters=[COMMENT_PK], request=None, responses={204: None, 403: FORBIDDEN})
    @comment.mapping.delete
    def comment_delete(
        self, request: Request, number: str | None = None, comment_pk: str | None = None
    ) -> Response:
        """Delete a comment: your own, or any as a maintainer of the owning team. A trace stays."""
        found = self._comment(self.get_object(), comment_pk)
        services.comment_delete(membership=self.membership, comment=found)
        return Response(status=status.HTTP_204_NO_CONTENT)
