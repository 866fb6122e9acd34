"""The administration services: rights by role, last-admin guard, audit rows, bad input writes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.accounts import services
from portal.accounts.models import AuditEntry, Team, TeamMembership, TeamRole
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership, Role
from tests.accounts.admin.conftest import audit, membership
from tests.factories import make_team, make_user

pytestmark = pytest.mark.django_db


def test_team_create_rename_archive_by_admin_are_audited_with_before_and_after(w):
    actor = membership(w, w.admin)
    with tenant_context(w.tenant):
        team = services.team_create(name="Data Platform", actor=actor)
        services.team_update(team=team, name="Data Infrastructure", actor=actor)
        services.team_archive(team=team, actor=actor)
        team.refresh_from_db()
    assert (team.slug, team.name) == ("data-platform", "Data Infrastructure")  # the slug is stable
    assert team.archived_at is not None
    entries = audit(w, target_type="accounts.team", target_id=str(team.pk))
    assert [e.action for e in entries] == ["team.create", "team.update", "team.archive"]
    assert entries[1].before["name"] == "Data Platform" and entries[1].after["name"] == "Data Infrastructure"
    assert entries[2].before["archived"] is False and entries[2].after["archived"] is True
    assert {e.actor_label for e in entries} == {w.admin.username}


@pytest.mark.parametrize("role", ["maintainer", "member", "viewer"])
def test_only_admins_create_rename_or_archive_teams(w, role):
    actor = membership(w, getattr(w, role))
    with tenant_context(w.tenant):
        count = AuditEntry.objects.count()
        with pytest.raises(PermissionDenied):
            services.team_create(name="Nope", actor=actor)
        with pytest.raises(PermissionDenied):
            services.team_update(team=w.team, name="Renamed", actor=actor)
        with pytest.raises(PermissionDenied):
            services.team_archive(team=w.team, actor=actor)
        assert not Team.objects.filter(slug="nope").exists()
        assert Team.objects.get(pk=w.team.pk).name != "Renamed"
        assert AuditEntry.objects.count() == count


def test_team_create_refuses_bad_input_and_duplicates(w):
    actor = membership(w, w.admin)
    with tenant_context(w.tenant):
        count = Team.objects.count()
        for kwargs in [
            {"name": ""},
            {"name": "x\x00y"},
            {"name": "A", "slug": "Not A Slug"},
            {"name": "x" * 201},
        ]:
            with pytest.raises(ValidationError):
                services.team_create(actor=actor, **kwargs)
        with pytest.raises(ValidationError) as exc:
            services.team_create(name="Dup", slug=w.team.slug, actor=actor)
        assert "slug" in exc.value.message_dict
        assert Team.objects.count() == count


def test_maintainer_manages_members_of_own_team_only(w):
    actor = membership(w, w.maintainer)
    other = make_team(w.tenant, "other-team", members=[w.member])
    with tenant_context(w.tenant):
        tm = services.team_member_set(team=w.team, user=w.viewer, role=TeamRole.MEMBER, actor=actor)
        services.team_member_set(team=w.team, user=w.viewer, role=TeamRole.MAINTAINER, actor=actor)
        services.team_member_remove(team_membership=TeamMembership.objects.get(pk=tm.pk), actor=actor)
        with pytest.raises(PermissionDenied):
            services.team_member_set(team=other, user=w.viewer, actor=actor)
        with pytest.raises(PermissionDenied):
            services.team_member_remove(team_membership=TeamMembership.objects.get(team=other), actor=actor)
        with pytest.raises(PermissionDenied):
            services.membership_set_role(membership=membership(w, w.viewer), role=Role.MEMBER, actor=actor)
    actions = [e.action for e in audit(w, target_type="accounts.teammembership", actor=w.maintainer)]
    assert actions == ["team_member.add", "team_member.role", "team_member.remove"]
    role_change = audit(w, action="team_member.role")[-1]
    assert (role_change.before, role_change.after) == ({"role": "member"}, {"role": "maintainer"})


def test_member_and_viewer_cannot_change_team_members(w):
    for user in (w.member, w.viewer):
        with tenant_context(w.tenant), pytest.raises(PermissionDenied):
            services.team_member_set(team=w.team, user=w.viewer, actor=membership(w, user))


def test_team_member_must_belong_to_the_tenant(w, world_b):
    with tenant_context(w.tenant), pytest.raises(ValidationError):
        services.team_member_set(team=w.team, user=world_b.member, actor=membership(w, w.admin))


def test_membership_add_role_remove_audited(w):
    actor = membership(w, w.admin)
    newcomer = make_user("newcomer")
    with tenant_context(w.tenant):
        m = services.membership_add(
            user=services.user_lookup("NEWCOMER@example.com"), role=Role.VIEWER, actor=actor
        )
        services.membership_set_role(membership=m, role=Role.MEMBER, actor=actor)
        services.team_member_set(team=w.team, user=newcomer, actor=actor)
        services.membership_remove(membership=m, actor=actor)
        assert not Membership.objects.filter(user=newcomer).exists()
        assert not TeamMembership.objects.filter(user=newcomer).exists()
    entries = audit(w, target_type="tenancy.membership", target_label="newcomer")
    assert [e.action for e in entries] == ["membership.add", "membership.role", "membership.remove"]
    assert entries[1].before == {"role": "viewer"} and entries[1].after == {"role": "member"}
    assert entries[2].before == {"role": "member", "teams": [[w.team.slug, "member"]]}


def test_membership_add_refuses_unknown_or_existing_users(w):
    actor = membership(w, w.admin)
    with tenant_context(w.tenant):
        count = Membership.objects.count()
        for ident in ["nobody-here", "", "a\x00b"]:
            with pytest.raises(ValidationError):
                services.user_lookup(ident)
        with pytest.raises(ValidationError):
            services.membership_add(user=w.member, actor=actor)
        with pytest.raises(ValidationError):
            services.membership_set_role(membership=membership(w, w.member), role="owner", actor=actor)
        assert Membership.objects.count() == count


def test_the_last_admin_can_neither_be_demoted_nor_removed(w):
    actor = membership(w, w.admin)
    with tenant_context(w.tenant):
        with pytest.raises(ValidationError, match="last admin"):
            services.membership_set_role(membership=actor, role=Role.MEMBER, actor=actor)
        with pytest.raises(ValidationError, match="last admin"):
            services.membership_remove(membership=actor, actor=actor)
        assert Membership.objects.get(pk=actor.pk).role == Role.ADMIN
        # With a second admin, the first may step down.
        services.membership_set_role(membership=membership(w, w.member), role=Role.ADMIN, actor=actor)
        services.membership_set_role(membership=actor, role=Role.MEMBER, actor=actor)
        assert Membership.objects.get(pk=actor.pk).role == Role.MEMBER


@pytest.mark.parametrize("role", ["maintainer", "member", "viewer"])
def test_only_admins_change_tenant_memberships(w, role):
    actor = membership(w, getattr(w, role))
    with tenant_context(w.tenant):
        with pytest.raises(PermissionDenied):
            services.membership_add(user=make_user(), actor=actor)
        with pytest.raises(PermissionDenied):
            services.membership_set_role(membership=membership(w, w.viewer), role=Role.ADMIN, actor=actor)
        with pytest.raises(PermissionDenied):
            services.membership_remove(membership=membership(w, w.viewer), actor=actor)
        assert Membership.objects.get(user=w.viewer).role == Role.VIEWER


def test_archived_team_takes_no_new_members(w):
    actor = membership(w, w.admin)
    team = make_team(w.tenant, "old-team")
    with tenant_context(w.tenant):
        services.team_archive(team=team, actor=actor)
        with pytest.raises(ValidationError):
            services.team_member_set(team=Team.objects.get(pk=team.pk), user=w.viewer, actor=actor)
        services.team_archive(team=team, actor=actor, archived=False)
        services.team_member_set(team=Team.objects.get(pk=team.pk), user=w.viewer, actor=actor)
    assert [e.action for e in audit(w, target_id=str(team.pk), target_type="accounts.team")][-2:] == [
        "team.archive",
        "team.restore",
    ]
