"""The /t/<tenant>/admin/ pages: who sees them, plain posts and htmx fragments, 4xx errors, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.accounts.models import Team, TeamMembership
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership, Role
from tests.accounts.admin.conftest import audit, browser, membership
from tests.factories import add_member, make_team, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def base(w) -> str:
    return f"/t/{w.tenant.slug}/admin"


@pytest.mark.parametrize("path", ["/", "/members/", "/invitations/", "/audit/"])
def test_admin_pages_are_for_tenant_admins(w, path):
    assert browser(w.admin).get(base(w) + path).status_code == 200
    for user in (w.maintainer, w.member, w.viewer):
        assert browser(user).get(base(w) + path).status_code == 403


def test_admin_nav_item_only_for_admins(w):
    home = f"/t/{w.tenant.slug}/"
    assert f'href="{base(w)}/"' in browser(w.admin).get(home).content.decode()
    assert f'href="{base(w)}/"' not in browser(w.member).get(home).content.decode()


def test_team_member_page_for_admins_and_the_teams_maintainers(w):
    url = f"{base(w)}/teams/{w.team.slug}/"
    assert browser(w.admin).get(url).status_code == 200
    page = browser(w.maintainer).get(url)
    assert page.status_code == 200 and "Team settings" not in page.content.decode()
    assert browser(w.member).get(url).status_code == 403
    assert browser(w.viewer).get(url).status_code == 403
    assert browser(w.admin).get(f"{base(w)}/teams/no-such-team/").status_code == 404
    other = make_team(w.tenant, "other")
    assert browser(w.maintainer).get(f"{base(w)}/teams/{other.slug}/").status_code == 403


def test_create_rename_archive_team_through_the_pages(w):
    client = browser(w.admin)
    response = client.post(f"{base(w)}/", {"name": "Search", "slug": ""})
    assert response.status_code == 302 and response["Location"].endswith("/admin/teams/search/")
    assert client.post(f"{base(w)}/teams/search/", {"name": "Search & Discovery"}).status_code == 302
    assert client.post(f"{base(w)}/teams/search/archive/", {"archived": "1"}).status_code == 302
    with tenant_context(w.tenant):
        team = Team.objects.get(slug="search")
    assert team.name == "Search & Discovery" and team.archived_at is not None
    assert [e.action for e in audit(w, target_id=str(team.pk), target_type="accounts.team")] == [
        "team.create",
        "team.update",
        "team.archive",
    ]


def test_bad_team_input_is_400_and_changes_nothing(w):
    client = browser(w.admin)
    with tenant_context(w.tenant):
        count = Team.objects.count()
    assert client.post(f"{base(w)}/", {"name": ""}).status_code == 400
    assert client.post(f"{base(w)}/", {"name": "Dup", "slug": w.team.slug}).status_code == 400
    response = client.post(f"{base(w)}/", {"name": ""}, headers=HTMX)
    assert response.status_code == 422 and b"<html" not in response.content
    assert client.post(f"{base(w)}/teams/{w.team.slug}/", {"name": ""}).status_code == 400
    with tenant_context(w.tenant):
        assert Team.objects.count() == count
        assert Team.objects.get(pk=w.team.pk).name == w.team.name
    assert (
        browser(w.maintainer).post(f"{base(w)}/teams/{w.team.slug}/", {"name": "Mine now"}).status_code == 403
    )


def test_maintainer_adds_changes_and_removes_members_with_htmx_and_plain_posts(w):
    client = browser(w.maintainer)
    url = f"{base(w)}/teams/{w.team.slug}/members/"
    response = client.post(url, {"user": w.viewer.username, "role": "member"}, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="team-members"' in body and "<html" not in body and w.viewer.username in body
    with tenant_context(w.tenant):
        tm = TeamMembership.objects.get(team=w.team, user=w.viewer)
    member_url = f"{url}{tm.pk}/"
    assert client.post(member_url, {"role": "maintainer"}).status_code == 302
    assert client.post(member_url, {"role": "owner"}, headers=HTMX).status_code == 422
    assert client.post(member_url, {"remove": "1"}).status_code == 302
    with tenant_context(w.tenant):
        assert not TeamMembership.objects.filter(pk=tm.pk).exists()
    assert client.post(url, {"user": "nobody", "role": "member"}).status_code == 400
    assert browser(w.member).post(url, {"user": w.viewer.username, "role": "member"}).status_code == 403


def test_tenant_members_page_roles_and_last_admin(w):
    client = browser(w.admin)
    me = membership(w, w.admin)
    response = client.post(f"{base(w)}/members/{me.pk}/", {"role": "member"})
    assert response.status_code == 400 and "last admin" in response.content.decode()
    response = client.post(f"{base(w)}/members/{me.pk}/", {"remove": "1"}, headers=HTMX)
    assert response.status_code == 422 and "last admin" in response.content.decode()
    with tenant_context(w.tenant):
        assert Membership.objects.get(pk=me.pk).role == Role.ADMIN
    make_user("outsider")
    assert client.post(f"{base(w)}/members/", {"user": "outsider", "role": "viewer"}).status_code == 302
    viewer = membership(w, w.viewer)
    assert client.post(f"{base(w)}/members/{viewer.pk}/", {"role": "member"}, headers=HTMX).status_code == 200
    assert client.post(f"{base(w)}/members/{viewer.pk}/", {"remove": "1"}).status_code == 302
    with tenant_context(w.tenant):
        assert Membership.objects.filter(user__username="outsider", role=Role.VIEWER).exists()
        assert not Membership.objects.filter(user=w.viewer).exists()


def test_audit_page_filters_and_paginates(w):
    client = browser(w.admin)
    actor = membership(w, w.admin)
    from portal.accounts import services

    with tenant_context(w.tenant):
        for i in range(55):
            services.team_create(name=f"Bulk {i}", actor=actor)
    page = client.get(f"{base(w)}/audit/?action=team.create&actor={w.admin.username}")
    assert page.status_code == 200
    assert page.content.decode().count("<code>team.create</code>") == 50
    assert "Page 1 of 2" in page.content.decode()
    second = client.get(f"{base(w)}/audit/?action=team.create&actor={w.admin.username}&page=2")
    assert second.content.decode().count("<code>team.create</code>") == 5
    assert client.get(f"{base(w)}/audit/?action=x%00").status_code == 400
    fragment = client.get(f"{base(w)}/audit/?action=team.create", headers=HTMX).content.decode()
    assert 'id="audit-results"' in fragment and "<html" not in fragment


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", ["/", "/members/", "/invitations/", "/audit/", "/teams/{team}/"])
def test_list_pages_run_a_constant_number_of_queries(w, path):
    client = browser(w.admin)
    url = base(w) + path.format(team=w.team.slug)
    client.get(url)  # warm up (session, content types)
    before = _queries(client, url)
    from portal.accounts import services

    actor = membership(w, w.admin)
    for i in range(6):
        user = make_user()
        add_member(w.tenant, user)
        with tenant_context(w.tenant):
            team = services.team_create(name=f"More {i}", actor=actor)
            services.team_member_set(team=w.team, user=user, actor=actor)
            services.team_member_set(team=team, user=user, actor=actor)
            services.invitation_create(email=f"x{i}@example.org", actor=actor)
    assert _queries(client, url) == before
