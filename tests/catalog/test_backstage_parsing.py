"""Hostile and broken input: YAML bombs, Python tags, bad YAML, invalid envelopes. Each names file, document
and field, and writes nothing."""

from __future__ import annotations

import pytest

from catalog.backstage import parser
from catalog.backstage.importer import import_uploads
from catalog.backstage.parser import read_paths, read_uploads
from catalog.backstage.validation import parse_ref
from portal.plugins.api import tenant_context
from tests.catalog.backstage_helpers import snapshot

pytestmark = pytest.mark.django_db

GROUP = b"apiVersion: backstage.io/v1alpha1\nkind: Group\n"
GOOD = GROUP + b"metadata: {name: ok}\nspec: {type: team, children: []}\n"
BILLION_LAUGHS = b"""\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: lol
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
spec: {type: team, children: []}
"""


def imported(world, *files, dry_run=False):
    with tenant_context(world.tenant):
        return import_uploads(list(files), dry_run=dry_run)


def test_an_alias_bomb_is_refused_before_anything_walks_it(world_a):
    before = snapshot(world_a.tenant)
    report = imported(world_a, ("bomb.yaml", GOOD), ("bomb2.yaml", b"---\n" + BILLION_LAUGHS))
    assert not report.ok and report.too_large
    problem = report.errors[0]
    assert (problem.file, problem.document) == ("bomb2.yaml", 1)
    assert "aliases are expanded" in problem.message
    assert snapshot(world_a.tenant) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"a: &a [*a]\n", "recursive alias"),
        (b"x: " + b"[" * 70 + b"]" * 70 + b"\n", "nested deeper than"),
        (b"x: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
    ],
)
def test_recursive_and_deeply_nested_documents_are_refused(world_a, text, message):
    report = imported(world_a, ("deep.yaml", text))
    assert not report.ok and message in report.errors[0].message


def test_python_tags_are_never_executed(world_a, tmp_path):
    marker = tmp_path / "pwned"
    evil = f"!!python/object/apply:os.system ['touch {marker}']\n".encode()
    report = imported(world_a, ("evil.yaml", evil))
    assert not report.ok and "not valid YAML" in report.errors[0].message
    assert not marker.exists()


def test_bad_yaml_names_the_document_and_the_line(world_a):
    text = GOOD + b"---\n" + GOOD.replace(b"name: ok", b"name: ok2") + b"---\nkind: Group\n  bad: [indent\n"
    before = snapshot(world_a.tenant)
    report = imported(world_a, ("org.yaml", text))
    assert [(p.file, p.document) for p in report.errors] == [("org.yaml", 3)]
    assert (
        "not valid YAML (line 12, column 6): mapping values are not allowed here" in report.errors[0].message
    )
    assert snapshot(world_a.tenant) == before


@pytest.mark.parametrize(
    ("document", "field", "fragment"),
    [
        (b"kind: Group\nmetadata: {name: x}\nspec: {type: team, children: []}\n", "apiVersion", "missing"),
        (b"apiVersion: backstage.io/v2\nkind: Component\nmetadata: {name: x}\nspec: {}\n", "apiVersion",
         "kind Component needs backstage.io/v1alpha1 or backstage.io/v1beta1"),
        (b"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {title: x}\nspec: {}\n", "metadata.name",
         "missing"),
        (b"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: -bad-}\nspec: {}\n",
         "metadata.name", "not a valid entity name"),
        (b"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: " + b"x" * 64 + b"}\nspec: {}\n",
         "metadata.name", "at most 63"),
        (b"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: 2024}\nspec: {}\n",
         "metadata.name", "not a valid entity name"),
        (b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\n"
         b"spec: {type: service, owner: a}\n", "spec.lifecycle", "missing"),
        (b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\n"
         b"spec: {type: service, lifecycle: production, owner: 'group:'}\n", "spec.owner", "not a valid"),
        (b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x, links: [{title: t}]}\n"
         b"spec: {type: service, lifecycle: production, owner: a}\n", "metadata.links[0].url", "non-empty"),
        (b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x, namespace: Bad_NS}\n"
         b"spec: {}\n", "metadata.namespace", "not a valid namespace"),
        (b"- just\n- a list\n", "", "must be a mapping"),
    ],
)  # fmt: skip
def test_invalid_entities_name_file_document_and_field(world_a, document, field, fragment):
    report = imported(world_a, ("first.yaml", GOOD), ("catalog-info.yaml", GOOD + b"---\n" + document))
    assert not report.ok
    problem = report.errors[0]
    assert (problem.file, problem.document, problem.field) == ("catalog-info.yaml", 2, field)
    assert fragment in problem.message
    with tenant_context(world_a.tenant):
        from portal.plugins.api import Team

        assert not Team.objects.filter(slug="ok").exists()  # the valid first file is not written either


def test_non_entity_yaml_and_unknown_kinds_are_reported_not_fatal(world_a):
    openapi = b"openapi: 3.1.0\ninfo: {title: x, version: '1'}\n"
    template = b"apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: t}\nspec: {}\n"
    report = imported(world_a, ("api.oas.yaml", openapi), ("t.yaml", template), ("g.yaml", GOOD))
    assert report.ok and report.applied
    assert any("not a catalog entity" in str(n) for n in report.notes)
    assert any("kind Template is not imported" in str(n) for n in report.warnings)


def test_size_and_count_limits(monkeypatch, tmp_path):
    monkeypatch.setattr(parser, "MAX_FILE_BYTES", 100)
    batch = read_uploads([("big.yaml", b"#" * 101)])
    assert batch.errors[0].code == "too_large" and "larger than" in batch.errors[0].message
    monkeypatch.setattr(parser, "MAX_FILE_BYTES", 10_000)
    monkeypatch.setattr(parser, "MAX_UPLOAD_BYTES", 150)
    batch = read_uploads([("a.yaml", GOOD), ("b.yaml", GOOD)])
    assert batch.errors and batch.errors[0].file == "b.yaml" and batch.errors[0].code == "too_large"
    assert "exceeds 150 bytes in total" in batch.errors[0].message
    monkeypatch.setattr(parser, "MAX_UPLOAD_BYTES", 10_000)
    monkeypatch.setattr(parser, "MAX_DOCUMENTS", 3)
    batch = read_uploads([("many.yaml", b"---\n".join([GOOD] * 5))])
    assert batch.errors[0].code == "too_large" and "more than 3 documents" in batch.errors[0].message
    (tmp_path / "huge.yaml").write_bytes(b"#" * 20_000)
    assert read_paths([tmp_path]).errors[0].code == "too_large"


def test_upload_filenames_are_reduced_to_their_base_name():
    batch = read_uploads([("../../etc/passwd.yaml", GOOD), ("C:\\x\\passwd.yaml", GOOD)])
    assert [d.file for d in batch.documents] == ["passwd.yaml", "passwd.yaml (2)"]


def test_entity_references_follow_backstage_defaults():
    ref = parse_ref("team-a", default_kind="group", default_namespace="default")
    assert str(ref) == "group:default/team-a"
    assert str(parse_ref("user:guest", default_kind="group", default_namespace="dev")) == "user:dev/guest"
    assert str(parse_ref("default/x", default_kind="group", default_namespace="dev")) == "group:default/x"
    assert isinstance(parse_ref("a:b:c/d e", default_kind="group", default_namespace="default"), str)


def test_a_location_in_an_upload_is_reported_not_followed(world_a):
    location = b"apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\n"
    location += b"spec: {targets: [./x.yaml]}\n"
    report = imported(world_a, ("all.yaml", location))
    assert report.ok
    assert report.changes[0].target == "location" and "not followed" in report.changes[0].detail
    assert any("./x.yaml not followed" in str(n) for n in report.warnings)
