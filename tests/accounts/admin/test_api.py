"""/api/v1/teams/, /team-memberships/, /memberships/, /invitations/, /audit/ by role; bad input 400."""

from __future__ import annotations

import pytest

from portal.accounts.models import AuditEntry, Invitation, Team, TeamMembership
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership, Role
from tests.accounts.admin.conftest import api, audit, membership
from tests.factories import make_team, make_user

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_teams_read_by_members_written_by_admins(w):
    for role in ("admin", "maintainer", "member", "viewer"):
        assert api(w, role).get("/api/v1/teams/").status_code == 200
    for role in ("maintainer", "member"):
        assert api(w, role).post("/api/v1/teams/", {"name": "X"}, content_type=JSON).status_code == 403
    assert api(w, "viewer").post("/api/v1/teams/", {"name": "X"}, content_type=JSON).status_code == 403
    created = api(w, "admin").post("/api/v1/teams/", {"name": "API Team"}, content_type=JSON)
    assert created.status_code == 201 and created.json()["slug"] == "api-team"
    renamed = api(w, "admin").patch("/api/v1/teams/api-team/", {"name": "API Guild"}, content_type=JSON)
    assert renamed.status_code == 200 and renamed.json()["name"] == "API Guild"
    assert renamed.json()["slug"] == "api-team"
    archived = api(w, "admin").post("/api/v1/teams/api-team/archive/", {"archived": True}, content_type=JSON)
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert (
        api(w, "maintainer")
        .patch(f"/api/v1/teams/{w.team.slug}/", {"name": "Z"}, content_type=JSON)
        .status_code
        == 403
    )
    assert [e.action for e in audit(w, target_type="accounts.team", actor=w.admin)][-3:] == [
        "team.create",
        "team.update",
        "team.archive",
    ]


def test_team_bad_input_is_400_and_nothing_changes(w):
    with tenant_context(w.tenant):
        count, entries = Team.objects.count(), AuditEntry.objects.count()
    for body in [
        {},
        {"name": ""},
        {"name": "x", "slug": "Not A Slug"},
        {"name": "x\x00"},
        {"name": "Dup", "slug": w.team.slug},
    ]:
        response = api(w, "admin").post("/api/v1/teams/", body, content_type=JSON)
        assert response.status_code == 400, (body, response.content)
    assert (
        api(w, "admin").patch(f"/api/v1/teams/{w.team.slug}/", {"name": ""}, content_type=JSON).status_code
        == 400
    )
    with tenant_context(w.tenant):
        assert (Team.objects.count(), AuditEntry.objects.count()) == (count, entries)


def test_team_memberships_by_role(w):
    other = make_team(w.tenant, "other")
    url = "/api/v1/team-memberships/"
    listed = api(w, "member").get(f"{url}?team={w.team.slug}")
    assert listed.status_code == 200 and {r["user"] for r in listed.json()["results"]} == {
        w.maintainer.username,
        w.member.username,
    }
    body = {"team": w.team.slug, "user": w.viewer.username, "role": "member"}
    assert api(w, "member").post(url, body, content_type=JSON).status_code == 403
    created = api(w, "maintainer").post(url, body, content_type=JSON)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert api(w, "maintainer").post(url, body, content_type=JSON).status_code == 400  # already in
    assert (
        api(w, "maintainer").patch(f"{url}{pk}/", {"role": "maintainer"}, content_type=JSON).json()["role"]
        == "maintainer"
    )
    assert api(w, "maintainer").patch(f"{url}{pk}/", {"role": "boss"}, content_type=JSON).status_code == 400
    other_body = {"team": other.slug, "user": w.viewer.username, "role": "member"}
    assert api(w, "maintainer").post(url, other_body, content_type=JSON).status_code == 403
    assert api(w, "member").delete(f"{url}{pk}/").status_code == 403
    assert api(w, "maintainer").delete(f"{url}{pk}/").status_code == 204
    with tenant_context(w.tenant):
        assert not TeamMembership.objects.filter(pk=pk).exists()
        assert not TeamMembership.objects.filter(team=other).exists()


def test_memberships_are_for_admins_and_protect_the_last_admin(w):
    url = "/api/v1/memberships/"
    for role in ("maintainer", "member", "viewer"):
        assert api(w, role).get(url).status_code == 403
    assert len(api(w, "admin").get(url).json()["results"]) == 4
    make_user("fresh")
    created = api(w, "admin").post(url, {"user": "fresh@example.com", "role": "viewer"}, content_type=JSON)
    assert created.status_code == 201 and created.json()["role"] == "viewer"
    assert (
        api(w, "admin").post(url, {"user": "ghost", "role": "viewer"}, content_type=JSON).status_code == 400
    )
    assert api(w, "admin").post(url, {"user": "fresh", "role": "god"}, content_type=JSON).status_code == 400
    me = membership(w, w.admin)
    demote = api(w, "admin").patch(f"{url}{me.pk}/", {"role": "member"}, content_type=JSON)
    assert demote.status_code == 400 and "last admin" in str(demote.json())
    assert api(w, "admin").delete(f"{url}{me.pk}/").status_code == 400
    with tenant_context(w.tenant):
        assert Membership.objects.get(pk=me.pk).role == Role.ADMIN
    fresh = created.json()["id"]
    assert (
        api(w, "admin").patch(f"{url}{fresh}/", {"role": "member"}, content_type=JSON).json()["role"]
        == "member"
    )
    assert api(w, "admin").delete(f"{url}{fresh}/").status_code == 204


def test_invitations_api(w, mailoutbox, django_capture_on_commit_callbacks):
    url = "/api/v1/invitations/"
    assert api(w, "member").get(url).status_code == 403
    body = {"email": "new@example.org", "role": "member", "team": w.team.slug, "team_role": "maintainer"}
    assert api(w, "maintainer").post(url, body, content_type=JSON).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        created = api(w, "admin").post(url, body, content_type=JSON)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["state"] == "pending" and "/invite/" in data["url"]
    assert len(mailoutbox) == 1 and data["url"] in mailoutbox[0].body
    assert mailoutbox[0].to == ["new@example.org"]
    assert api(w, "admin").post(url, body, content_type=JSON).status_code == 400  # a pending one exists
    for bad in [
        {"email": "not-an-email"},
        {"email": "a@b.c", "role": "x"},
        {"email": "a@b.c", "team": "nope"},
    ]:
        assert api(w, "admin").post(url, bad, content_type=JSON).status_code == 400
    revoked = api(w, "admin").post(f"{url}{data['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert [r["email"] for r in api(w, "admin").get(url).json()["results"]] == ["new@example.org"]
    with tenant_context(w.tenant):
        assert Invitation.objects.count() == 1


def test_audit_api_for_admins_with_filters(w):
    api(w, "admin").post("/api/v1/teams/", {"name": "Audited"}, content_type=JSON)
    assert api(w, "member").get("/api/v1/audit/").status_code == 403
    rows = (
        api(w, "admin").get(f"/api/v1/audit/?action=team.create&actor={w.admin.username}").json()["results"]
    )
    assert len(rows) == 1 and rows[0]["target_label"] == "Audited" and rows[0]["after"]["slug"] == "audited"
    assert api(w, "admin").get("/api/v1/audit/?action=a%00").status_code == 400
