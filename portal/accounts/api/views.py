from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.accounts import selectors
from portal.accounts.api.serializers import TeamSerializer


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Teams of the token's tenant."""

    serializer_class = TeamSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"  # a slug; anything else (a NUL character) is a 404, not a 500
    cursor_ordering = ("name", "id")

    def get_queryset(self):
        return selectors.team_list()

    @extend_schema(responses={200: dict})
    @action(detail=False, methods=["get"])
    def me(self, request):
        """Who the token acts as, and in which tenant."""
        membership = request._request.membership
        return Response(
            {
                "username": request.user.get_username(),
                "tenant": membership.tenant.slug,
                "role": membership.role,
                "teams": [t.slug for t in selectors.teams_of_user(request.user.pk)],
            }
        )
