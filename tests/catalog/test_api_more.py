"""`/api/v1/capabilities/` edge cases: visibility, references, cycles, PUT, actions, ordering, the schema."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.models import Capability, CapabilityDependency
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.factories import make_team

pytestmark = pytest.mark.django_db
URL = "/api/v1/capabilities/"


def api(world, role: str = "maintainer") -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def send(client: Client, method: str, url: str, body) -> tuple[int, dict]:
    response = getattr(client, method)(url, body, content_type="application/json")
    return response.status_code, (response.json() if response.content else {})


def test_team_restricted_capability_is_readable_by_listed_teams_owners_and_admins(world_a):
    early = make_team(world_a.tenant, "early", members=[world_a.viewer])
    make_capability(
        world_a.tenant, world_a.team, name="Beta Thing", visibility="teams", visible_to_teams=[early]
    )
    assert api(world_a, "viewer").get(URL + "beta-thing/").status_code == 200  # a listed team
    assert api(world_a, "admin").get(URL + "beta-thing/").json()["visible_to_teams"] == ["early"]
    assert [c["slug"] for c in api(world_a, "member").get(URL).json()["results"]] == [
        "beta-thing"
    ]  # owner team


def test_outsider_token_gets_404_on_every_verb(world_a):
    other = make_team(world_a.tenant, "other-team")
    make_capability(world_a.tenant, other, name="Hidden", visibility="teams", visible_to_teams=[other])
    client = api(world_a, "member")  # member of world_a.team only
    assert client.get(URL + "hidden/").status_code == 404
    assert send(client, "patch", URL + "hidden/", {"summary": "x"})[0] == 404
    assert client.delete(URL + "hidden/").status_code == 404
    assert send(client, "post", URL + "hidden/archive/", {})[0] == 404
    assert send(client, "post", URL + "hidden/status/", {"status": "degraded"})[0] == 404
    assert client.get(URL, {"search": "hidden"}).json()["results"] == []


def test_unknown_references_are_400_with_the_field(world_a, world_b):
    make_capability(world_b.tenant, world_b.team, name="Foreign")
    client = api(world_a)
    status, body = send(client, "post", URL, {"name": "X", "owner_team": world_b.team.slug})
    assert status == 400 and "owner_team" in body["error"]["fields"]
    body = {"name": "X", "owner_team": world_a.team.slug, "dependencies": ["foreign"]}
    status, body = send(client, "post", URL, body)
    assert status == 400 and "dependencies" in body["error"]["fields"]
    status, body = send(client, "post", URL, {"name": "X", "owner_team": world_a.team.slug,
                                             "visibility": "teams", "visible_to_teams": []})  # fmt: skip
    assert status == 400 and "visible_to_teams" in body["error"]["fields"]
    status, body = send(
        client, "post", URL, {"name": "X", "owner_team": world_a.team.slug, "visibility": "teams"}
    )
    assert status == 400 and "visible_to_teams" in body["error"]["fields"]
    with tenant_context(world_a.tenant):
        assert not Capability.objects.exists()


def test_self_dependency_and_cycles_are_400_and_change_nothing(world_a):
    make_capability(world_a.tenant, world_a.team, name="A")
    make_capability(world_a.tenant, world_a.team, name="B")
    client = api(world_a)
    assert send(client, "patch", URL + "a/", {"dependencies": ["b"]})[0] == 200
    status, body = send(client, "patch", URL + "b/", {"dependencies": ["a"], "summary": "changed"})
    assert status == 400 and "cycle" in " ".join(body["error"]["fields"]["dependencies"])
    status, body = send(client, "patch", URL + "a/", {"dependencies": ["a"]})
    assert status == 400 and "itself" in " ".join(body["error"]["fields"]["dependencies"])
    b = client.get(URL + "b/").json()
    assert b["dependencies"] == [] and b["summary"] != "changed"
    assert client.get(URL + "a/").json()["dependencies"] == ["b"]


def test_maintainer_cannot_hand_a_capability_to_a_team_they_do_not_maintain(world_a):
    other = make_team(world_a.tenant, "elsewhere")
    make_capability(world_a.tenant, world_a.team, name="Ours")
    client = api(world_a)
    assert send(client, "post", URL, {"name": "New", "owner_team": other.slug})[0] == 403
    assert send(client, "patch", URL + "ours/", {"owner_team": other.slug})[0] == 403
    assert send(api(world_a, "admin"), "patch", URL + "ours/", {"owner_team": other.slug})[0] == 200


def test_put_requires_the_required_fields_and_replaces_relations(world_a):
    make_capability(world_a.tenant, world_a.team, name="Vault", tags=["a", "b"],
                    links=[("docs", "Old", "https://old.example.com")])  # fmt: skip
    client = api(world_a)
    status, body = send(client, "put", URL + "vault/", {"summary": "only"})
    assert status == 400 and {"name", "owner_team"} <= set(body["error"]["fields"])
    body = {"name": "Vault", "owner_team": world_a.team.slug, "tags": ["c"],
            "links": [{"kind": "runbook", "title": "New", "url": "https://new.example.com"}]}  # fmt: skip
    status, body = send(client, "put", URL + "vault/", body)
    assert status == 200 and body["tags"] == ["c"]
    assert body["links"] == [{"kind": "runbook", "title": "New", "url": "https://new.example.com"}]


def test_unseen_dependencies_survive_an_api_edit(world_a):
    secret_team = make_team(world_a.tenant, "secret-team")
    hidden = make_capability(world_a.tenant, secret_team, name="Hidden Dep", visibility="teams",
                             visible_to_teams=[secret_team])  # fmt: skip
    shown = make_capability(world_a.tenant, world_a.team, name="Shown Dep")
    make_capability(world_a.tenant, world_a.team, name="App", dependencies=[hidden, shown])
    assert api(world_a).get(URL + "app/").json()["dependencies"] == ["shown-dep"]  # no hidden slug leaks
    status, body = send(api(world_a), "patch", URL + "app/", {"dependencies": []})
    assert status == 200 and body["dependencies"] == []  # the caller sees what they may see...
    with tenant_context(world_a.tenant):  # ...and the dependency they could not see is still there
        kept = CapabilityDependency.objects.filter(capability__slug="app")
        assert list(kept.values_list("depends_on__slug", flat=True)) == ["hidden-dep"]


def test_status_and_archive_actions(world_a):
    make_capability(world_a.tenant, world_a.team, name="Queue")
    client = api(world_a)
    status, body = send(client, "post", URL + "queue/status/", {"status": "on-fire"})
    assert status == 400 and "status" in body["error"]["fields"]
    status, body = send(client, "post", URL + "queue/status/", {"status": "degraded", "message": "Slow"})
    assert status == 200 and body["status"] == "degraded" and body["status_message"] == "Slow"
    assert send(api(world_a, "member"), "post", URL + "queue/status/", {"status": "operational"})[0] == 403
    assert send(client, "post", URL + "queue/archive/", {"archived": True})[1]["archived"] is True
    assert client.get(URL).json()["results"] == []
    assert [c["slug"] for c in client.get(URL, {"archived": "true"}).json()["results"]] == ["queue"]
    assert send(client, "post", URL + "queue/archive/", {"archived": False})[1]["archived"] is False


def test_ordering_and_filters_combine(world_a):
    make_capability(world_a.tenant, world_a.team, name="Bravo", category="Data")
    make_capability(world_a.tenant, world_a.team, name="Alpha", category="data")
    make_capability(world_a.tenant, world_a.team, name="Charlie", category="Compute")
    client = api(world_a, "viewer")
    assert [c["name"] for c in client.get(URL, {"category": "DATA"}).json()["results"]] == ["Alpha", "Bravo"]
    newest = client.get(URL, {"ordering": "-created"}).json()["results"]
    assert [c["name"] for c in newest] == ["Charlie", "Alpha", "Bravo"]
    assert client.get(URL, {"team": world_a.team.slug, "lifecycle": ["ga", "beta"]}).json()["results"]
    assert client.get(URL, {"team": "nobody"}).json()["results"] == []


def test_links_come_back_in_kind_order(world_a):
    make_capability(world_a.tenant, world_a.team, name="Ordered", links=[
        ("dashboard", "Board", "https://b.example.com"), ("runbook", "Run", "https://r.example.com"),
        ("docs", "Docs", "https://d.example.com"), ("getting_started", "Start", "https://s.example.com"),
    ])  # fmt: skip
    links = api(world_a, "viewer").get(URL + "ordered/").json()["links"]
    assert [link["kind"] for link in links] == ["docs", "getting_started", "runbook", "dashboard"]


def test_schema_documents_the_capability_endpoints(world_a):
    client = api(world_a, "viewer")
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    listing = paths["/api/v1/capabilities/"]["get"]
    params = {p["name"] for p in listing["parameters"]}
    assert {"search", "ordering", "cursor", "lifecycle", "status", "team", "tag", "category"} <= params
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/capabilities/{slug}/"])
    assert "post" in paths["/api/v1/capabilities/{slug}/status/"]
