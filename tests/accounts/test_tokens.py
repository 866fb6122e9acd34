"""API tokens: hashed at rest, bound to one membership, revocable, last-used time, CLI and page."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from portal.accounts.models import ApiToken
from portal.accounts.tokens import hash_token
from portal.tenancy.context import tenant_context


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_command_prints_a_working_token_once_and_stores_only_its_hash(world_a, client):
    out = StringIO()
    call_command("create_api_token", tenant="alpha", user=world_a.member.username, name="ci", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("agora.alpha.")
    with tenant_context(world_a.tenant):
        stored = ApiToken.objects.get(name="ci")
    assert stored.key_hash == hash_token(token)
    assert token not in {stored.key_hash, stored.prefix, stored.name}
    me = client.get("/api/v1/teams/me/", **_bearer(token))
    assert me.status_code == 200
    assert me.json() == {
        "username": world_a.member.username,
        "tenant": "alpha",
        "role": "member",
        "teams": [world_a.team.slug],
    }


def test_command_refuses_non_members_and_unknown_names(world_a, world_b):
    with pytest.raises(CommandError, match="not a member"):
        call_command("create_api_token", tenant="alpha", user=world_b.member.username)
    with pytest.raises(CommandError, match="No tenant"):
        call_command("create_api_token", tenant="nope", user=world_a.member.username)
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", tenant="alpha", user="ghost")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer a b",
        "Bearer not-a-token",
        "Bearer agora.alpha.short",
        "Bearer agora.nosuchtenant.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ],
)
def test_bad_tokens_get_401_with_a_clear_body(world_a, client, header):
    response = client.get("/api/v1/teams/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_token_of_tenant_a_cannot_be_replayed_against_tenant_b(world_a, world_b, client):
    token = world_a.tokens["member"]
    forged = token.replace("agora.alpha.", "agora.beta.")
    assert client.get("/api/v1/teams/", **_bearer(forged)).status_code == 401


def test_revoked_token_stops_working_and_last_used_is_recorded(world_a, client):
    token = world_a.tokens["member"]
    assert client.get("/api/v1/teams/", **_bearer(token)).status_code == 200
    with tenant_context(world_a.tenant):
        stored = ApiToken.objects.get(key_hash=hash_token(token))
        assert stored.last_used_at is not None
        from portal.accounts.services import api_token_revoke

        api_token_revoke(token=stored)
    assert client.get("/api/v1/teams/", **_bearer(token)).status_code == 401


def test_viewer_token_reads_but_cannot_write(world_a, client):
    token = world_a.tokens["viewer"]
    assert client.get("/api/v1/teams/", **_bearer(token)).status_code == 200
    assert client.post("/api/v1/teams/", {}, **_bearer(token)).status_code in {403, 405}


def test_tokens_page_creates_shows_once_and_revokes(world_a, login):
    client = login(world_a.member)
    created = client.post("/t/alpha/tokens/", {"name": "laptop"})
    assert created.status_code == 200
    text = created.context["issued"].text
    assert text in created.text
    again = client.get("/t/alpha/tokens/")
    assert text not in again.text and "laptop" in again.text
    with tenant_context(world_a.tenant):
        token = ApiToken.objects.get(name="laptop")
    assert client.post(f"/t/alpha/tokens/{token.pk}/revoke/").status_code == 302
    with tenant_context(world_a.tenant):
        token.refresh_from_db()
    assert token.revoked_at is not None


def test_tokens_page_rejects_empty_name_and_cannot_revoke_someone_elses(world_a, login):
    client = login(world_a.member)
    assert client.post("/t/alpha/tokens/", {"name": ""}).status_code == 400
    with tenant_context(world_a.tenant):
        admins = ApiToken.objects.filter(membership__user=world_a.admin).first()
    assert client.post(f"/t/alpha/tokens/{admins.pk}/revoke/").status_code == 404
    with tenant_context(world_a.tenant):
        admins.refresh_from_db()
    assert admins.revoked_at is None


def test_team_api_looks_teams_up_by_slug_only(world_a, client):
    token = world_a.tokens["member"]
    assert client.get(f"/api/v1/teams/{world_a.team.slug}/", **_bearer(token)).status_code == 200
    # Not a slug, so no lookup: a NUL character once reached PostgreSQL, which refuses it (a 500).
    assert client.get(f"/api/v1/teams/{world_a.team.slug}%00/", **_bearer(token)).status_code == 404
