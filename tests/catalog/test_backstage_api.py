"""The upload API (`/api/v1/backstage/import/`), the export API, and the tenant-admin page."""

from __future__ import annotations

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalog.backstage import parser
from catalog.models import Capability
from portal.plugins.api import tenant_context
from tests.catalog.backstage_helpers import EXAMPLES, snapshot

pytestmark = pytest.mark.django_db
IMPORT, EXPORT = "/api/v1/backstage/import/", "/api/v1/backstage/export/"
ENTITIES = (EXAMPLES / "packages/create-app/templates/default-app/examples/entities.yaml").read_bytes()
ORG = (EXAMPLES / "packages/create-app/templates/default-app/examples/org.yaml").read_bytes()


def api(world, role: str = "admin") -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/yaml")


def test_upload_imports_and_answers_the_report(world_a):
    response = api(world_a).post(
        IMPORT, {"files": [upload("entities.yaml", ENTITIES), upload("org.yaml", ORG)]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applied"] and not body["dry_run"] and body["files"] == 2 and body["documents"] == 5
    assert body["counts"]["capability"] == {"create": 2} and body["counts"]["team"] == {"create": 1}
    refs = {c["ref"]: c for c in body["changes"]}
    assert refs["component:default/example-website"]["detail"] == "example-website"
    assert refs["user:default/guest"]["action"] == "skip"
    with tenant_context(world_a.tenant):
        assert set(Capability.objects.values_list("slug", flat=True)) == {"example-website", "examples"}


def test_dry_run_parameter_writes_nothing(world_a):
    before = snapshot(world_a.tenant)
    for client_kwargs in (
        {"path": IMPORT + "?dry_run=1", "data": {}},
        {"path": IMPORT, "data": {"dry_run": "true"}},
    ):
        data = client_kwargs["data"] | {"files": [upload("entities.yaml", ENTITIES)]}
        response = api(world_a).post(client_kwargs["path"], data)
        assert response.status_code == 200 and response.json()["dry_run"] is True
        assert response.json()["counts"]["capability"] == {"create": 2}
    assert snapshot(world_a.tenant) == before


def test_bad_yaml_is_a_400_naming_the_problem_and_writes_nothing(world_a):
    before = snapshot(world_a.tenant)
    bad = ENTITIES + b"---\nkind: Component\n  oops: [\n"
    response = api(world_a).post(IMPORT, {"files": [upload("entities.yaml", bad)]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_backstage_yaml" and error["status"] == 400
    assert error["problems"][0]["file"] == "entities.yaml" and error["problems"][0]["document"] == 4
    assert "not valid YAML" in error["detail"] and error["fields"]["files"]
    assert snapshot(world_a.tenant) == before


def test_missing_files_is_a_400(world_a):
    response = api(world_a).post(IMPORT, {})
    assert response.status_code == 400 and "files" in response.json()["error"]["fields"]


@pytest.mark.parametrize("role", ["maintainer", "member", "viewer"])
def test_only_tenant_admins_may_import_or_export(world_a, role):
    before = snapshot(world_a.tenant)
    client = api(world_a, role)
    assert client.post(IMPORT, {"files": [upload("entities.yaml", ENTITIES)]}).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert snapshot(world_a.tenant) == before


def test_an_alias_bomb_or_oversized_upload_is_refused_with_413(world_a, monkeypatch):
    bomb = b"a: &a [x,x,x,x,x,x,x,x,x,x]\n" + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n".encode() for i in range(7)
    )
    response = api(world_a).post(IMPORT, {"files": [upload("bomb.yaml", bomb)]})
    assert response.status_code == 413 and "alias" in response.json()["error"]["detail"]
    monkeypatch.setattr(parser, "MAX_FILE_BYTES", 1000)
    response = api(world_a).post(IMPORT, {"files": [upload("big.yaml", b"#" * 1001)]})
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    monkeypatch.setattr(parser, "MAX_UPLOAD_BYTES", 1000)
    files = [upload(f"{i}.yaml", b"#" * 30_000) for i in range(3)]
    response = api(world_a).post(IMPORT, {"files": files})
    assert response.status_code == 413  # refused from Content-Length, before the body is parsed
    assert "limited to 1000 bytes in total" in response.json()["error"]["detail"]


def test_import_with_a_token_of_tenant_a_only_writes_tenant_a(world_a, world_b):
    before_b = snapshot(world_b.tenant)
    assert api(world_a).post(IMPORT, {"files": [upload("e.yaml", ENTITIES)]}).status_code == 200
    assert snapshot(world_b.tenant) == before_b
    exported = api(world_b).get(EXPORT)
    assert exported.status_code == 200 and b"example-website" not in exported.content


def test_export_api_answers_valid_backstage_yaml(world_a):
    api(world_a).post(IMPORT, {"files": [upload("entities.yaml", ENTITIES), upload("org.yaml", ORG)]})
    response = api(world_a).get(EXPORT)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/yaml")
    docs = list(yaml.safe_load_all(response.content))
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == ["Component", "Group", "Group", "System"]  # guests + the world's own team
    website = next(d for d in docs if d["metadata"]["name"] == "example-website")
    assert website["spec"] == {
        "type": "website",
        "lifecycle": "experimental",
        "owner": "group:default/guests",
    }


# --- the page -----------------------------------------------------------------------------------------------


def page(world) -> str:
    return f"/t/{world.tenant.slug}/catalog/import/"


def test_the_page_previews_then_imports_for_a_tenant_admin(world_a, login):
    client = login(world_a.admin)
    assert client.get(page(world_a)).status_code == 200
    before = snapshot(world_a.tenant)
    preview = client.post(page(world_a), {"files": [upload("entities.yaml", ENTITIES)], "dry_run": "1"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Dry run, nothing written" in html and "component:default/example-website" in html
    assert 'name="doc_content"' in html and "Import now" in html
    assert snapshot(world_a.tenant) == before
    # "Import now" posts the previewed files back as hidden fields.
    confirm = client.post(page(world_a), {"doc_name": ["entities.yaml"], "doc_content": [ENTITIES.decode()]})
    assert confirm.status_code == 200 and "Imported:" in confirm.content.decode()
    with tenant_context(world_a.tenant):
        assert Capability.objects.filter(source_name="example-website").exists()


def test_the_page_answers_htmx_with_the_result_fragment_and_errors_inline(world_a, login):
    client = login(world_a.admin)
    response = client.post(
        page(world_a),
        {
            "files": [
                upload("bad.yaml", b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {}\n")
            ]
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422 and "HX-Request" in response["Vary"]
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="import-result"') and "<html" not in html
    assert "bad.yaml" in html and "metadata.name" in html and 'role="alert"' in html


def test_the_page_escapes_what_it_echoes(world_a, login):
    client = login(world_a.admin)
    evil = (
        b'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: "<script>alert(1)</script>"}\n'
    )
    html = client.post(page(world_a), {"files": [upload("<img src=x>.yaml", evil)]}).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x>" not in html
    assert "&lt;script&gt;" in html


def test_the_page_and_its_export_are_for_tenant_admins_only(world_a, world_b, login):
    client = login(world_a.member)
    assert client.get(page(world_a)).status_code == 403
    assert client.post(page(world_a), {"files": [upload("e.yaml", ENTITIES)]}).status_code == 403
    assert client.get(page(world_a) + "export/").status_code == 403
    admin = login(world_a.admin)
    assert admin.get(page(world_b)).status_code == 404  # another tenant: as if it did not exist
    export = admin.get(page(world_a) + "export/")
    assert export.status_code == 200 and "attachment" in export["Content-Disposition"]
    assert yaml.safe_load_all(export.content)


def test_the_page_without_files_says_so(world_a, login):
    response = login(world_a.admin).post(page(world_a), {"dry_run": "1"})
    assert (
        response.status_code == 422 and "Choose one or more Backstage YAML files" in response.content.decode()
    )
