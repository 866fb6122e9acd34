"""The accounts API: teams, team memberships, tenant memberships, invitations and the audit log.

Thin viewsets over the same services as the pages: the services check who may do what (Django's
PermissionDenied, a 403 here) and audit every change; their ValidationError is a 400 with `fields`.
Rights: every member reads teams and team memberships; tenant admins write teams, and everything about
memberships, invitations and the audit log; a team's maintainers manage that team's memberships.
Team members live at `/api/v1/team-memberships/` (filter `?team=<slug>`): one flat resource with its own
id, like `/memberships/`, rather than a nested route per team.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from portal.accounts import selectors, services
from portal.accounts.api import serializers as s
from portal.accounts.models import AuditEntry, Invitation, Team, TeamMembership
from portal.accounts.permissions import IsTenantAdmin, IsTenantMember, membership_of
from portal.tenancy.models import Membership


def _actor(request: Request) -> Membership:
    membership = membership_of(request)
    assert membership is not None  # the permission classes let no request without one through
    return membership


class TeamViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Teams of the token's tenant. Members read; tenant admins create, rename and archive (no delete:
    archived teams keep their history). The slug never changes."""

    serializer_class = s.TeamSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"  # a slug; anything else (a NUL character) is a 404, not a 500
    cursor_ordering = ("name", "id")

    def get_queryset(self):
        return selectors.team_list()

    def _out(self, team: Team) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=team.pk)).data)

    @extend_schema(request=s.TeamCreateInputSerializer, responses={201: s.TeamSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        body = s.TeamCreateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        team = services.team_create(actor=_actor(request), **body.validated_data)
        response = self._out(team)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=s.TeamUpdateInputSerializer, responses=s.TeamSerializer)
    def update(self, request: Request, *args, **kwargs) -> Response:
        team = self.get_object()
        body = s.TeamUpdateInputSerializer(data=request.data, partial=kwargs.get("partial", False))
        body.is_valid(raise_exception=True)
        services.team_update(team=team, actor=_actor(request), **body.validated_data)
        return self._out(team)

    @extend_schema(request=s.TeamUpdateInputSerializer, responses=s.TeamSerializer)
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(request=s.TeamArchiveInputSerializer, responses=s.TeamSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, slug: str | None = None) -> Response:
        """Archive (`{"archived": true}`) or restore (`false`). Refused (400) while the team still owns
        active capabilities: transfer them first."""
        team = self.get_object()
        body = s.TeamArchiveInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.team_archive(team=team, actor=_actor(request), archived=body.validated_data["archived"])
        return self._out(team)

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


class TeamMembershipFilter(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__slug", label="Team slug")
    user = django_filters.CharFilter(field_name="user__username", label="Username")

    class Meta:
        model = TeamMembership
        fields = ["team", "user"]


class TeamMembershipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Who is in which team, as maintainer or member. Members read; tenant admins and the team's
    maintainers add, change the role of and remove members of that team."""

    serializer_class = s.TeamMembershipSerializer
    filterset_class = TeamMembershipFilter
    permission_classes = [IsTenantMember]
    queryset = TeamMembership.unscoped.none()

    def get_queryset(self) -> QuerySet[TeamMembership]:
        return TeamMembership.objects.select_related("team", "user")

    def _out(self, tm: TeamMembership, code: int = 200) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=tm.pk)).data, status=code)

    @extend_schema(request=s.TeamMembershipCreateInputSerializer, responses={201: s.TeamMembershipSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        body = s.TeamMembershipCreateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        team = data["team"]
        services.require_team_manager(_actor(request), team)  # before the lookup: no probing of accounts
        if TeamMembership.objects.filter(team=team, user__username=data["user"]).exists():
            return Response(
                {"error": {"status": 400, "code": "invalid", "detail": "Invalid input.",
                           "fields": {"user": ["Already a member of this team: change the role instead."]}}},
                status=400,
            )  # fmt: skip
        user = services.user_lookup(data["user"])
        tm = services.team_member_set(team=team, user=user, role=data["role"], actor=_actor(request))
        return self._out(tm, status.HTTP_201_CREATED)

    @extend_schema(request=s.TeamRoleInputSerializer, responses=s.TeamMembershipSerializer)
    def update(self, request: Request, *args, **kwargs) -> Response:
        tm = self.get_object()
        body = s.TeamRoleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.team_member_set(
            team=tm.team, user=tm.user, role=body.validated_data["role"], actor=_actor(request)
        )
        return self._out(tm)

    @extend_schema(request=s.TeamRoleInputSerializer, responses=s.TeamMembershipSerializer)
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self.update(request, *args, **kwargs)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.team_member_remove(team_membership=self.get_object(), actor=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembershipFilter(django_filters.FilterSet):
    role = django_filters.CharFilter(field_name="role")
    user = django_filters.CharFilter(field_name="user__username", label="Username")

    class Meta:
        model = Membership
        fields = ["role", "user"]


class MembershipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Tenant memberships and roles (admin, member, viewer). Tenant admins only. The last admin can be
    neither demoted nor removed (400)."""

    serializer_class = s.MembershipSerializer
    filterset_class = MembershipFilter
    permission_classes = [IsTenantMember, IsTenantAdmin]
    queryset = Membership.unscoped.none()

    def get_queryset(self) -> QuerySet[Membership]:
        return Membership.objects.select_related("user")

    def _out(self, membership: Membership, code: int = 200) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=membership.pk)).data, status=code)

    @extend_schema(request=s.MembershipCreateInputSerializer, responses={201: s.MembershipSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        body = s.MembershipCreateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.user_lookup(body.validated_data["user"])
        membership = services.membership_add(
            user=user, role=body.validated_data["role"], actor=_actor(request)
        )
        return self._out(membership, status.HTTP_201_CREATED)

    @extend_schema(request=s.TenantRoleInputSerializer, responses=s.MembershipSerializer)
    def update(self, request: Request, *args, **kwargs) -> Response:
        membership = self.get_object()
        body = s.TenantRoleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.membership_set_role(
            membership=membership, role=body.validated_data["role"], actor=_actor(request)
        )
        return self._out(membership)

    @extend_schema(request=s.TenantRoleInputSerializer, responses=s.MembershipSerializer)
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self.update(request, *args, **kwargs)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.membership_remove(membership=self.get_object(), actor=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")

    class Meta:
        model = Invitation
        fields = ["email"]


class InvitationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Invitations by email (tenant admins): a signed link, valid 7 days, usable once, emailed on creation."""

    serializer_class = s.InvitationSerializer
    filterset_class = InvitationFilter
    permission_classes = [IsTenantMember, IsTenantAdmin]
    queryset = Invitation.unscoped.none()

    def get_queryset(self) -> QuerySet[Invitation]:
        return Invitation.objects.select_related("team", "invited_by", "accepted_by")

    @extend_schema(request=s.InvitationCreateInputSerializer, responses={201: s.InvitationCreatedSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        body = s.InvitationCreateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        invitation, token = services.invitation_create(
            email=data["email"],
            role=data["role"],
            team=data.get("team"),
            team_role=data.get("team_role", ""),
            actor=_actor(request),
        )
        invitation = self.get_queryset().get(pk=invitation.pk)
        invitation.url = services.invitation_url(token)
        return Response(s.InvitationCreatedSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Revoke a pending invitation: its link stops working (400 if it was already accepted)."""
        invitation = services.invitation_revoke(invitation=self.get_object(), actor=_actor(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=invitation.pk)).data)


class AuditFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(field_name="action")
    actor = django_filters.CharFilter(field_name="actor_label", label="Actor username")
    target_type = django_filters.CharFilter(field_name="target_type")

    class Meta:
        model = AuditEntry
        fields = ["action", "actor", "target_type"]


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The tenant's audit log, newest first (tenant admins): who changed what, with before and after."""

    serializer_class = s.AuditEntrySerializer
    filterset_class = AuditFilter
    permission_classes = [IsTenantMember, IsTenantAdmin]
    queryset = AuditEntry.unscoped.none()
    cursor_ordering = ("-at", "-id")

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return AuditEntry.objects.all()
