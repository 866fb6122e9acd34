"""Delivery pages: ingest sources (tenant admins only, secret shown once) and repository mappings."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.insights.models import IngestSource, RepoMapping
from portal.plugins.api import decrypt_secret, tenant_context
from tests.factories import make_team
from tests.insights.delivery.helpers import make_source

pytestmark = pytest.mark.django_db


def t(world, path: str) -> str:
    return f"/t/{world.tenant.slug}/insights/delivery/{path}"


def sources_of(world) -> list[IngestSource]:
    with tenant_context(world.tenant):
        return list(IngestSource.objects.order_by("pk"))


def mappings_of(world) -> dict[str, str]:
    with tenant_context(world.tenant):
        return dict(RepoMapping.objects.values_list("repository", "team__slug"))


# --- sources ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["maintainer", "member", "viewer"])
def test_only_tenant_admins_see_or_create_sources(world_a, login, role):
    source, _ = make_source(world_a)
    client = login(getattr(world_a, role))
    assert client.get(t(world_a, "sources/")).status_code == 403
    assert client.post(t(world_a, "sources/"), {"name": "X", "kind": "github"}).status_code == 403
    assert client.get(t(world_a, f"sources/{source.pk}/")).status_code == 403
    assert client.post(t(world_a, f"sources/{source.pk}/rotate/")).status_code == 403
    assert len(sources_of(world_a)) == 1


def test_creating_a_source_shows_its_secret_once_and_stores_it_encrypted(world_a, login):
    client = login(world_a.admin)
    data = {"name": "GitHub acme", "kind": "github", "production_environments": "Production, live"}
    response = client.post(t(world_a, "sources/"), data)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [source] = sources_of(world_a)
    secret = response.context["issued"].secret
    page = response.content.decode()
    assert secret in page and f"/pub/insights/ingest/{world_a.tenant.slug}/{source.key}/" in page
    assert secret not in source.secret_encrypted and decrypt_secret(source.secret_encrypted) == secret
    assert source.production_environments == "production,live" and source.created_by == world_a.admin
    assert secret not in client.get(t(world_a, "sources/")).content.decode()
    assert secret not in client.get(t(world_a, f"sources/{source.pk}/")).content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "kind": "github", "production_environments": "prod"},
        {"name": "Dup", "kind": "github", "production_environments": "prod"},
        {"name": "dup", "kind": "generic", "production_environments": "prod"},  # names are case-insensitive
        {"name": "New", "kind": "gitlab", "production_environments": "prod"},
        {"name": "New", "kind": "github", "production_environments": " , "},
    ],
)
def test_bad_source_input_is_400_and_creates_nothing(world_a, login, data):
    make_source(world_a, name="Dup")
    response = login(world_a.admin).post(t(world_a, "sources/"), data)
    assert response.status_code == 400
    assert len(sources_of(world_a)) == 1


def test_rotate_and_edit_a_source(world_a, login):
    source, old = make_source(world_a, name="Jenkins", kind="generic")
    client = login(world_a.admin)
    page = client.get(t(world_a, f"sources/{source.pk}/"))
    assert (
        f"http://testserver/pub/insights/ingest/{world_a.tenant.slug}/{source.key}/" in page.content.decode()
    )
    rotated = client.post(t(world_a, f"sources/{source.pk}/rotate/"))
    assert rotated.status_code == 200 and "no-store" in rotated["Cache-Control"]
    new = rotated.context["secret"]
    assert new != old and new in rotated.content.decode()
    assert decrypt_secret(sources_of(world_a)[0].secret_encrypted) == new
    saved = client.post(
        t(world_a, f"sources/{source.pk}/"), {"name": "Jenkins CI", "production_environments": "prod"}
    )
    assert saved.status_code == 302
    [source] = sources_of(world_a)
    assert (source.name, source.enabled) == ("Jenkins CI", False)
    bad = client.post(t(world_a, f"sources/{source.pk}/"), {"name": "", "production_environments": "prod"})
    assert bad.status_code == 400 and sources_of(world_a)[0].name == "Jenkins CI"


def test_a_source_of_another_tenant_is_404(world_a, world_b, login):
    source_b, _ = make_source(world_b)
    client = login(world_a.admin)
    assert client.get(t(world_a, f"sources/{source_b.pk}/")).status_code == 404
    assert client.post(t(world_a, f"sources/{source_b.pk}/rotate/")).status_code == 404


# --- repository mappings --------------------------------------------------------------------------------
def test_everybody_reads_mappings_only_maintainers_and_admins_write(world_a, login):
    with tenant_context(world_a.tenant):
        RepoMapping.objects.create(repository="acme/api", team=world_a.team)
    for role in ("viewer", "member"):
        client = login(getattr(world_a, role))
        page = client.get(t(world_a, "repositories/"))
        assert page.status_code == 200 and "acme/api" in page.content.decode()
        assert "Add mapping" not in page.content.decode()
        add = client.post(t(world_a, "repositories/"), {"repository": "acme/web", "team": world_a.team.slug})
        assert add.status_code == 403
        mapping_pk = page.context["mappings"][0].pk
        assert client.post(t(world_a, f"repositories/{mapping_pk}/delete/")).status_code == 403
    assert mappings_of(world_a) == {"acme/api": world_a.team.slug}


def test_a_maintainer_maps_repositories_of_their_own_team_only(world_a, login):
    other = make_team(world_a.tenant, "other-team")
    client = login(world_a.maintainer)
    ok = client.post(t(world_a, "repositories/"), {"repository": "Acme/Web.git", "team": world_a.team.slug})
    assert ok.status_code == 302
    refused = client.post(t(world_a, "repositories/"), {"repository": "acme/x", "team": other.slug})
    assert refused.status_code == 400
    assert mappings_of(world_a) == {"acme/web": world_a.team.slug}
    with tenant_context(world_a.tenant):
        foreign = RepoMapping.objects.create(repository="acme/other", team=other)
    assert client.post(t(world_a, f"repositories/{foreign.pk}/delete/")).status_code == 403
    with tenant_context(world_a.tenant):
        own_pk = RepoMapping.objects.get(repository="acme/web").pk
    assert client.post(t(world_a, f"repositories/{own_pk}/delete/")).status_code == 302
    assert mappings_of(world_a) == {"acme/other": "other-team"}


@pytest.mark.parametrize("repository", ["", "no-slash", "a/b c", "a" * 190 + "/" + "b" * 20, "acme/api"])
def test_bad_or_duplicate_repositories_are_400(world_a, login, repository):
    with tenant_context(world_a.tenant):
        RepoMapping.objects.create(repository="acme/api", team=world_a.team)
    response = login(world_a.admin).post(
        t(world_a, "repositories/"), {"repository": repository, "team": world_a.team.slug}
    )
    assert response.status_code == 400
    assert mappings_of(world_a) == {"acme/api": world_a.team.slug}


CATALOG_INFO = b"""
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  annotations:
    github.com/project-slug: Acme/Payments-API
spec:
  owner: group:default/alpha-team
  type: service
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: web
  annotations:
    github.com/project-slug: acme/web
spec:
  owner: alpha-team
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: no-annotation
spec:
  owner: alpha-team
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: owned-by-a-person
  annotations:
    github.com/project-slug: acme/solo
spec:
  owner: user:default/jane
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: alpha-team
spec:
  type: team
"""


def upload(client, world, content: bytes, name: str = "catalog-info.yaml"):
    return client.post(t(world, "repositories/import/"), {"catalog_info": SimpleUploadedFile(name, content)})


def test_backstage_upload_maps_components_to_their_owner_group(world_a, login):
    with tenant_context(world_a.tenant):
        RepoMapping.objects.create(repository="acme/web", team=world_a.team)
    response = upload(login(world_a.maintainer), world_a, CATALOG_INFO)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.created == [("acme/payments-api", "alpha-team")]
    assert {what for what, _ in report.skipped} == {"acme/web", "no-annotation", "acme/solo"}
    assert mappings_of(world_a) == {"acme/web": "alpha-team", "acme/payments-api": "alpha-team"}


@pytest.mark.parametrize(
    "content",
    [
        CATALOG_INFO.replace(b"owner: alpha-team", b"owner: no-such-team"),
        CATALOG_INFO.replace(b"github.com/project-slug: acme/web", b"github.com/project-slug: not a repo"),
        CATALOG_INFO
        + b"---\nkind: Component\nmetadata: {name: x, annotations: {github.com/project-slug: acme/web}}\n"
        b"spec: {owner: other-team}\n",
        b"kind: Component\nmetadata: [unclosed\n",
        b"# no documents at all\n",
        b"a: &a [*a, *a]\n",
    ],
)
def test_a_backstage_upload_with_any_error_imports_nothing(world_a, login, content):
    make_team(world_a.tenant, "other-team")
    response = upload(login(world_a.admin), world_a, content)
    assert response.status_code == 400
    assert response.context["report"].errors
    assert mappings_of(world_a) == {}


def test_an_empty_or_missing_upload_is_400(world_a, login):
    client = login(world_a.admin)
    assert upload(client, world_a, b"").status_code == 400
    assert client.post(t(world_a, "repositories/import/")).status_code == 400
    assert mappings_of(world_a) == {}


def test_a_maintainer_cannot_import_for_another_team(world_a, login):
    make_team(world_a.tenant, "other-team")
    content = CATALOG_INFO.replace(b"owner: alpha-team", b"owner: other-team")
    response = upload(login(world_a.maintainer), world_a, content)
    assert response.status_code == 400
    assert any("do not maintain" in e for e in response.context["report"].errors)
    assert mappings_of(world_a) == {}
    assert upload(login(world_a.member), world_a, CATALOG_INFO).status_code == 403


# --- query counts -----------------------------------------------------------------------------------------
def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_run_a_constant_number_of_queries(world_a, login):
    client = login(world_a.admin)
    teams = [make_team(world_a.tenant, f"t{i}") for i in range(3)]

    def grow(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_source(world_a, name=f"Source {i}")
            with tenant_context(world_a.tenant):
                RepoMapping.objects.create(repository=f"acme/repo-{i}", team=teams[i % 3], topics=["x"])

    grow(2, 0)
    _queries(client, t(world_a, "sources/"))  # warm-up: a session's first request does one-off work
    small = {url: _queries(client, t(world_a, url)) for url in ("sources/", "repositories/")}
    grow(20, 2)
    large = {url: _queries(client, t(world_a, url)) for url in ("sources/", "repositories/")}
    assert small == large
    assert max(large.values()) <= 20
