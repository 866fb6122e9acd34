"""`/api/v1/capabilities/`: CRUD through the services, filters, search, errors, permissions."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.models import Capability
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability

pytestmark = pytest.mark.django_db
URL = "/api/v1/capabilities/"


def api(world, role: str = "maintainer") -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def test_create_read_update_archive(world_a):
    client = api(world_a)
    body = {
        "name": "Secrets Vault",
        "owner_team": world_a.team.slug,
        "summary": "Dynamic secrets",
        "tags": ["vault", "secrets"],
        "links": [{"kind": "docs", "title": "Guide", "url": "https://docs.example.com/vault"}],
        "slo_target": "99.9",
    }
    created = client.post(URL, body, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["slug"] == "secrets-vault" and created.json()["tags"] == ["secrets", "vault"]
    patched = client.patch(URL + "secrets-vault/", {"lifecycle": "beta"}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["lifecycle"] == "beta"
    assert patched.json()["summary"] == "Dynamic secrets"
    assert client.delete(URL + "secrets-vault/").status_code == 204
    assert client.get(URL).json()["results"] == []
    assert client.get(URL + "secrets-vault/").json()["archived"] is True


def test_validation_errors_are_400_with_fields_and_write_nothing(world_a):
    client = api(world_a)
    bad = client.post(
        URL,
        {
            "name": "X",
            "owner_team": world_a.team.slug,
            "links": [{"kind": "docs", "title": "x", "url": "javascript:x"}],
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "links" in bad.json()["error"]["fields"]
    missing = client.post(URL, {"summary": "no name"}, content_type="application/json")
    assert missing.status_code == 400 and {"name", "owner_team"} <= set(missing.json()["error"]["fields"])
    assert client.post(URL, "{not json", content_type="application/json").status_code == 400
    with tenant_context(world_a.tenant):
        assert Capability.objects.count() == 0


def test_permissions_match_the_pages(world_a):
    make_capability(world_a.tenant, world_a.team, name="Kafka")
    body = {"name": "New", "owner_team": world_a.team.slug}
    assert api(world_a, "member").post(URL, body, content_type="application/json").status_code == 403
    assert api(world_a, "viewer").post(URL, body, content_type="application/json").status_code == 403
    assert (
        api(world_a, "member")
        .patch(URL + "kafka/", {"summary": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    assert api(world_a, "viewer").get(URL + "kafka/").status_code == 200
    assert (
        api(world_a, "admin")
        .patch(URL + "kafka/", {"summary": "y"}, content_type="application/json")
        .status_code
        == 200
    )
    assert Client().get(URL).status_code in (401, 403)


def test_filters_search_and_cursor_pagination(world_a):
    make_capability(world_a.tenant, world_a.team, name="Kafka Topics", lifecycle="ga", tags=["kafka"])
    make_capability(world_a.tenant, world_a.team, name="Helm Charts", lifecycle="beta", category="Compute")
    for i in range(5):
        make_capability(world_a.tenant, world_a.team, name=f"Filler {i}")
    client = api(world_a, "member")
    assert [c["slug"] for c in client.get(URL, {"lifecycle": "beta"}).json()["results"]] == ["helm-charts"]
    assert [c["slug"] for c in client.get(URL, {"tag": "kafka"}).json()["results"]] == ["kafka-topics"]
    assert [c["slug"] for c in client.get(URL, {"search": "kafka"}).json()["results"]] == ["kafka-topics"]
    assert client.get(URL, {"lifecycle": "nope"}).status_code == 400
    page1 = client.get(URL, {"page_size": 3}).json()
    page2 = client.get(page1["next"]).json()
    names = [c["name"] for c in page1["results"] + page2["results"]]
    assert len(page1["results"]) == 3 and names == sorted(names) and len(set(names)) == 6


def test_cross_tenant_is_404(world_a, world_b):
    make_capability(world_b.tenant, world_b.team, name="Beta Only")
    assert api(world_a).get(URL + "beta-only/").status_code == 404
    assert (
        api(world_a).patch(URL + "beta-only/", {"summary": "x"}, content_type="application/json").status_code
        == 404
    )


def test_nul_characters_are_400_never_a_database_error(world_a):
    """PostgreSQL refuses a NUL character even as a lookup parameter; these once answered 500."""
    make_capability(world_a.tenant, world_a.team, name="Kafka")
    client = api(world_a)
    team = world_a.team.slug
    for field, value in [
        ("owner_team", f"{team}\x00"),
        ("dependencies", ["kafka\x00"]),
        ("visible_to_teams", [f"{team}\x00"]),
    ]:
        body = {"name": "Vault", "owner_team": team, field: value}
        created = client.post(URL, body, content_type="application/json")
        assert created.status_code == 400 and field in created.json()["error"]["fields"], field
    patched = client.patch(URL + "kafka/", {"owner_team": "\x00"}, content_type="application/json")
    assert patched.status_code == 400 and "owner_team" in patched.json()["error"]["fields"]
    searched = client.get(URL, {"search": "kafka\x00"})
    assert searched.status_code == 400 and "search" in searched.json()["error"]["fields"]
    assert [c["slug"] for c in client.get(URL, {"search": "kafka"}).json()["results"]] == ["kafka"]
    with tenant_context(world_a.tenant):
        assert Capability.objects.get().owner_team == world_a.team


def test_tag_filter_matches_only_this_tenants_tag_and_odd_names_match_nothing(world_a, world_b):
    """The filter looks the tag's id up first (selectors.with_tag): a tag of another tenant or an unknown
    name is an empty list, never another tenant's rows; a NUL character is refused (400), not a 500."""
    make_capability(world_a.tenant, world_a.team, name="Kafka Topics", tags=["kafka"])
    make_capability(world_a.tenant, world_a.team, name="Helm Charts", tags=["helm"])
    make_capability(world_b.tenant, world_b.team, name="Beta Streams", tags=["streams"])
    client = api(world_a, "member")
    for name, expected in (("helm", ["helm-charts"]), ("streams", []), ("nope", [])):
        response = client.get(URL, {"tag": name})
        assert response.status_code == 200, name
        assert [c["slug"] for c in response.json()["results"]] == expected, name
    assert client.get(URL, {"tag": "kaf\x00ka"}).status_code == 400
