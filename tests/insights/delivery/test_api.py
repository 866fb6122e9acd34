"""`/api/v1/insights/sources/` (tenant admins) and `/api/v1/insights/repositories/` (read: everybody,
write: admins and maintainers of the team)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.insights.models import IngestSource, RepoMapping
from portal.plugins.api import decrypt_secret, tenant_context
from tests.factories import make_team
from tests.insights.delivery.helpers import make_source
from tests.insights.delivery.test_pages import CATALOG_INFO, mappings_of

pytestmark = pytest.mark.django_db
SOURCES = "/api/v1/insights/sources/"
REPOS = "/api/v1/insights/repositories/"


def api(world, role: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def test_an_admin_creates_a_source_and_sees_the_secret_only_then(world_a):
    client = api(world_a, "admin")
    response = client.post(SOURCES, {"name": "GitHub", "kind": "github"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    with tenant_context(world_a.tenant):
        source = IngestSource.objects.get()
    assert decrypt_secret(source.secret_encrypted) == body["secret"]
    assert body["ingest_url"] == f"http://testserver/pub/insights/ingest/{world_a.tenant.slug}/{source.key}/"
    assert body["signature_header"] == "X-Hub-Signature-256"
    assert body["production_environments"] == "production,prod"
    listed = client.get(SOURCES).json()["results"]
    assert [s["id"] for s in listed] == [source.pk] and "secret" not in listed[0]
    assert "secret" not in client.get(f"{SOURCES}{source.pk}/").json()


def test_rotate_and_disable_through_the_api(world_a):
    source, old = make_source(world_a)
    client = api(world_a, "admin")
    rotated = client.post(f"{SOURCES}{source.pk}/rotate-secret/")
    assert rotated.status_code == 200 and rotated.json()["secret"] != old
    patched = client.patch(f"{SOURCES}{source.pk}/", {"enabled": False}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["enabled"] is False
    bad = client.patch(
        f"{SOURCES}{source.pk}/", {"production_environments": ","}, content_type="application/json"
    )
    assert bad.status_code == 400 and "production_environments" in bad.json()["error"]["fields"]
    assert client.put(f"{SOURCES}{source.pk}/", {}, content_type="application/json").status_code == 405
    assert client.delete(f"{SOURCES}{source.pk}/").status_code == 405


@pytest.mark.parametrize(
    "data",
    [
        {"name": "x", "kind": "svn"},
        {"kind": "github"},
        {"name": "", "kind": "github"},
        {"name": "Taken", "kind": "github"},
    ],
)
def test_bad_source_input_is_400(world_a, data):
    make_source(world_a, name="Taken")
    response = api(world_a, "admin").post(SOURCES, data, content_type="application/json")
    assert response.status_code == 400
    with tenant_context(world_a.tenant):
        assert IngestSource.objects.count() == 1


@pytest.mark.parametrize("role", ["maintainer", "member", "viewer"])
def test_sources_are_refused_to_everybody_but_admins(world_a, role):
    source, _ = make_source(world_a)
    client = api(world_a, role)
    assert client.get(SOURCES).status_code == 403
    assert client.get(f"{SOURCES}{source.pk}/").status_code == 403
    assert (
        client.post(SOURCES, {"name": "n", "kind": "github"}, content_type="application/json").status_code
        == 403
    )
    assert client.post(f"{SOURCES}{source.pk}/rotate-secret/").status_code == 403


def test_a_source_of_another_tenant_is_404(world_a, world_b):
    source_b, _ = make_source(world_b)
    client = api(world_a, "admin")
    assert client.get(f"{SOURCES}{source_b.pk}/").status_code == 404
    assert client.post(f"{SOURCES}{source_b.pk}/rotate-secret/").status_code == 404


def test_repositories_read_by_all_written_by_maintainers_of_the_team(world_a):
    other = make_team(world_a.tenant, "other-team")
    for role in ("viewer", "member"):
        client = api(world_a, role)
        assert client.get(REPOS).status_code == 200
        body = {"repository": "acme/a", "team": world_a.team.slug}
        assert client.post(REPOS, body, content_type="application/json").status_code == 403
    maintainer = api(world_a, "maintainer")
    created = maintainer.post(
        REPOS, {"repository": "Acme/A", "team": world_a.team.slug}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["repository"] == "acme/a"
    assert created.json()["team"] == world_a.team.slug
    refused = maintainer.post(
        REPOS, {"repository": "acme/b", "team": other.slug}, content_type="application/json"
    )
    assert refused.status_code == 400  # not one of the teams they may choose
    duplicate = maintainer.post(
        REPOS, {"repository": "acme/a", "team": world_a.team.slug}, content_type="application/json"
    )
    assert duplicate.status_code == 400
    with tenant_context(world_a.tenant):
        foreign = RepoMapping.objects.create(repository="acme/other", team=other)
    assert api(world_a, "member").delete(f"{REPOS}{created.json()['id']}/").status_code == 403
    assert maintainer.delete(f"{REPOS}{foreign.pk}/").status_code == 403
    assert maintainer.delete(f"{REPOS}{created.json()['id']}/").status_code == 204
    assert api(world_a, "admin").delete(f"{REPOS}{foreign.pk}/").status_code == 204
    assert mappings_of(world_a) == {}


def test_import_backstage_through_the_api(world_a):
    client = api(world_a, "maintainer")
    response = client.post(
        f"{REPOS}import-backstage/", {"file": SimpleUploadedFile("catalog-info.yaml", CATALOG_INFO)}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] == [
        {"repository": "acme/payments-api", "team": "alpha-team"},
        {"repository": "acme/web", "team": "alpha-team"},
    ]
    assert {s["repository"] for s in body["skipped"]} == {"no-annotation", "acme/solo"}
    bad = CATALOG_INFO.replace(b"owner: alpha-team", b"owner: ghost-team")
    with tenant_context(world_a.tenant):
        RepoMapping.objects.all().delete()
    refused = client.post(f"{REPOS}import-backstage/", {"file": SimpleUploadedFile("c.yaml", bad)})
    assert refused.status_code == 400 and "ghost-team" in str(refused.json())
    assert mappings_of(world_a) == {}
    viewer = api(world_a, "viewer").post(
        f"{REPOS}import-backstage/", {"file": SimpleUploadedFile("c.yaml", CATALOG_INFO)}
    )
    assert viewer.status_code == 403


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_api_lists_run_a_constant_number_of_queries(world_a):
    client = api(world_a, "admin")

    def grow(start: int, n: int) -> None:
        for i in range(start, start + n):
            make_source(world_a, name=f"S{i}")
            with tenant_context(world_a.tenant):
                RepoMapping.objects.create(repository=f"acme/r{i}", team=world_a.team)

    grow(0, 2)
    client.get(SOURCES)  # the token's first use of the run records it (one more query, once)
    small = (_queries(client, SOURCES), _queries(client, REPOS))
    grow(2, 25)
    assert (_queries(client, SOURCES), _queries(client, REPOS)) == small
