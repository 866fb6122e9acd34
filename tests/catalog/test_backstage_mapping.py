"""One multi-document file with every kind, and the mapping rules: owners, links, lifecycle, dependencies,
users, adoption of existing capabilities, conflicts and cycles."""

from __future__ import annotations

import textwrap

import pytest

from catalog.backstage.importer import import_paths, import_uploads
from catalog.backstage.mapping import classify_link, map_lifecycle, split_description
from catalog.models import Capability
from portal.plugins.api import Team, TeamMembership, tenant_context
from tests.catalog.backstage_helpers import capability_state, snapshot
from tests.catalog.factories import make_capability

pytestmark = pytest.mark.django_db

EVERY_KIND = """\
# one file, every kind (and one Backstage does not ship)
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{name: platform, description: Platform engineering}}
spec:
  type: team
  profile: {{displayName: Platform Team, email: platform@example.com}}
  children: []
  members: [user:default/ada]
---
apiVersion: backstage.io/v1beta1
kind: Domain
metadata: {{name: data, title: Data & Streaming}}
spec: {{owner: group:platform}}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {{name: streaming, description: Everything Kafka}}
spec: {{owner: platform, domain: data}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: kafka
  title: Managed Kafka
  description: |
    Self-service Kafka topics.
    Request a topic, get credentials, ship events.
  tags: [kafka, streaming]
  links:
    - {{url: 'https://runbooks.example.com/kafka', title: Kafka runbook}}
    - {{url: 'javascript:alert(1)', title: Evil}}
  annotations:
    backstage.io/techdocs-ref: url:https://docs.example.com/kafka
    github.com/project-slug: example/kafka
    pagerduty.com/service-id: P123ABC
spec:
  type: service
  lifecycle: production
  owner: group:default/platform
  system: streaming
  providesApis: [kafka-admin]
  dependsOn: [component:schema-registry, resource:kafka-cluster]
  colour: blue
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: schema-registry}}
spec: {{type: service, lifecycle: beta, owner: platform, system: streaming}}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {{name: kafka-admin}}
spec:
  type: openapi
  lifecycle: production
  owner: platform
  definition: {{$text: 'https://api.example.com/kafka/openapi.yaml'}}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: kafka-cluster
  links: [{{url: 'https://grafana.example.com/d/kafka', title: Cluster dashboard}}]
spec: {{type: kafka-cluster, owner: platform}}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {{name: ada}}
spec:
  profile: {{email: {email}}}
  memberOf: [platform]
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {{name: more}}
spec: {{targets: [./more.yaml]}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {{name: gizmo}}
"""
MORE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: from-location}
spec: {type: website, lifecycle: experimental, owner: platform}
"""


def entity(kind: str, name: str, spec: str, meta: str = "") -> str:
    return (
        f"apiVersion: backstage.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: {name}\n{meta}"
        f"spec:\n{textwrap.indent(spec, '  ')}\n"
    )


def test_a_multi_document_file_with_every_kind(world_a, tmp_path):
    (tmp_path / "catalog-info.yaml").write_text(EVERY_KIND.format(email=world_a.member.email.upper()))
    (tmp_path / "more.yaml").write_text(MORE)
    with tenant_context(world_a.tenant):
        report = import_paths([tmp_path / "catalog-info.yaml"])
    assert report.ok and report.applied, report.render_text()
    by_ref = {c.ref: c for c in report.changes}
    assert by_ref["group:default/platform"].target == "team"
    assert by_ref["domain:default/data"].target == "category"
    assert by_ref["api:default/kafka-admin"].detail == "1 link(s) on kafka"
    assert by_ref["resource:default/kafka-cluster"].detail == "1 link(s) on kafka"
    assert by_ref["user:default/ada"].action == "update"  # matched by email, joins the team
    assert by_ref["location:default/more"].detail == "followed ./more.yaml"
    assert by_ref["widget:default/gizmo"].action == "skip"
    state = capability_state(world_a.tenant)
    assert set(state) == {"kafka", "schema-registry", "streaming", "from-location"}
    kafka = state["kafka"]
    assert kafka["name"] == "Managed Kafka" and kafka["summary"] == "Self-service Kafka topics."
    assert kafka["description"].startswith("Self-service Kafka topics.\nRequest a topic")
    assert kafka["lifecycle"] == "ga" and kafka["category"] == "Data & Streaming"
    assert kafka["owner"] == "platform" and kafka["owner_name"] == "Platform Team"
    assert kafka["tags"] == ["kafka", "streaming"]
    assert kafka["dependencies"] == ["schema-registry"]
    assert kafka["links"] == sorted([
        ("runbook", "Kafka runbook", "https://runbooks.example.com/kafka"),
        ("docs", "Documentation (TechDocs)", "https://docs.example.com/kafka"),
        ("repository", "GitHub repository", "https://github.com/example/kafka"),
        ("api_reference", "kafka-admin API (openapi)", "https://api.example.com/kafka/openapi.yaml"),
        ("dashboard", "Cluster dashboard (kafka-cluster)", "https://grafana.example.com/d/kafka"),
    ])  # fmt: skip
    assert state["schema-registry"]["lifecycle"] == "beta"
    assert state["streaming"]["category"] == "Data & Streaming"
    warnings = " ".join(str(n) for n in report.warnings)
    assert "unknown fields ignored: spec.colour" in warnings
    assert "links refused (only http/https URLs): javascript:alert(1)" in warnings
    assert "kind Widget is not imported" in warnings
    with tenant_context(world_a.tenant):
        team = Team.objects.get(slug="platform")
        assert TeamMembership.objects.filter(team=team, user=world_a.member).exists()
        assert Capability.objects.get(slug="kafka").source_type == "service"
    # And a second run changes nothing, memberships included.
    with tenant_context(world_a.tenant):
        again = import_paths([tmp_path / "catalog-info.yaml"])
    assert {c.action for c in again.changes if c.target in ("capability", "team", "user")} == {"unchanged"}


@pytest.mark.parametrize(
    ("owner", "team"),
    [("ops", "ops"), ("group:ops", "ops"), ("default/ops", "ops"), ("group:default/ops", "ops"),
     ("GROUP:Default/Ops", "ops"), ("group:infra/ops", "infra-ops")],
)  # fmt: skip
def test_owner_references_in_every_form_resolve_to_the_group_team(world_a, owner, team):
    text = entity(
        "Group", "ops", "type: team\nchildren: []", "  namespace: infra\n" if "infra" in owner else ""
    )
    text += "---\n" + entity("Component", "svc", f"type: service\nlifecycle: production\nowner: '{owner}'")
    with tenant_context(world_a.tenant):
        report = import_uploads([("c.yaml", text.encode())])
        assert report.applied, report.render_text()
        assert Capability.objects.get(slug="svc").owner_team.slug == team
        assert not report.warnings


def test_an_existing_team_with_the_group_slug_is_that_group(world_a):
    text = entity("Component", "svc", f"type: service\nlifecycle: production\nowner: {world_a.team.slug}")
    with tenant_context(world_a.tenant):
        report = import_uploads([("c.yaml", text.encode())])
        assert report.applied and Capability.objects.get(slug="svc").owner_team == world_a.team
    assert not report.warnings and report.count("team", "create") == 0


def test_an_agora_capability_with_the_same_slug_is_adopted_not_duplicated(world_a):
    existing = make_capability(world_a.tenant, world_a.team, name="Kafka")
    text = entity("Component", "kafka", f"type: service\nlifecycle: deprecated\nowner: {world_a.team.slug}")
    with tenant_context(world_a.tenant):
        report = import_uploads([("c.yaml", text.encode())])
        kafka = Capability.objects.get(slug="kafka")
        assert Capability.objects.count() == 1 and kafka.pk == existing.pk
        assert (kafka.source_kind, kafka.source_name, kafka.lifecycle) == ("Component", "kafka", "deprecated")
    assert report.changes[0].action == "update" and "source" in report.changes[0].fields


def test_slug_clashes_and_reserved_words_get_distinct_slugs(world_a):
    team = world_a.team.slug
    text = "---\n".join([
        entity("Component", "import", f"type: service\nlifecycle: production\nowner: {team}"),
        entity("Component", "billing", f"type: service\nlifecycle: production\nowner: {team}"),
        entity("System", "billing", f"owner: {team}"),
        entity("Component", "billing", f"type: service\nlifecycle: production\nowner: {team}",
               "  namespace: finance\n"),
    ])  # fmt: skip
    with tenant_context(world_a.tenant):
        report = import_uploads([("c.yaml", text.encode())])
        assert report.applied, report.render_text()
        slugs = dict(Capability.objects.values_list("source_kind", "slug").filter(source_namespace="default"))
        assert set(Capability.objects.values_list("slug", flat=True)) == {
            "import-component", "billing", "billing-system", "billing-component",
        }  # fmt: skip
    assert slugs["System"] == "billing-system"


def test_dependencies_resolve_to_capabilities_already_in_the_catalog(world_a):
    team = world_a.team.slug
    first = entity("Component", "db", f"type: service\nlifecycle: production\nowner: {team}")
    second = entity(
        "Component",
        "api",
        f"type: service\nlifecycle: production\nowner: {team}\ndependsOn: [component:db, x]",
    )
    with tenant_context(world_a.tenant):
        assert import_uploads([("a.yaml", first.encode())]).applied
        report = import_uploads([("b.yaml", second.encode())])
        assert report.applied
        assert [d.slug for d in Capability.objects.get(slug="api").dependencies.all()] == ["db"]
    assert any("dependency component:default/x is neither in the import nor in the catalog" in str(n)
               for n in report.warnings)  # fmt: skip


def test_a_dependency_cycle_is_refused_naming_the_field(world_a):
    team = world_a.team.slug
    text = "---\n".join(
        entity("Component", n, f"type: service\nlifecycle: production\nowner: {team}\ndependsOn: [{d}]")
        for n, d in (("a", "b"), ("b", "c"), ("c", "a"))
    )
    before = snapshot(world_a.tenant)
    with tenant_context(world_a.tenant):
        report = import_uploads([("cycle.yaml", text.encode())])
    assert not report.ok and report.errors[0].field == "spec.dependsOn"
    assert "dependency cycle: component:default/a -> component:default/b -> component:default/c" in str(
        report.errors[0]
    )
    assert snapshot(world_a.tenant) == before


def test_conflicting_duplicates_of_written_kinds_are_errors_identical_ones_are_not(world_a):
    team = world_a.team.slug
    one = entity("Component", "svc", f"type: service\nlifecycle: production\nowner: {team}")
    other = entity("Component", "svc", f"type: service\nlifecycle: deprecated\nowner: {team}")
    with tenant_context(world_a.tenant):
        refused = import_uploads([("a.yaml", one.encode()), ("b.yaml", other.encode())], dry_run=True)
        same = import_uploads([("a.yaml", one.encode()), ("b.yaml", one.encode())], dry_run=True)
    assert [(p.file, p.document, p.field) for p in refused.errors] == [("b.yaml", 1, "metadata.name")]
    assert "also defined, differently, in a.yaml, document 1" in refused.errors[0].message
    assert same.ok and same.count("capability", "create") == 1


def test_lifecycle_links_and_description_mapping_rules():
    assert map_lifecycle("production") == "ga" and map_lifecycle("Experimental") == "experimental"
    assert map_lifecycle("end-of-life") == "retired" and map_lifecycle("dev") == "experimental"
    assert map_lifecycle("weird") is None and map_lifecycle(None) is None
    assert classify_link(title="Grafana", icon="dashboard") == "dashboard"
    assert classify_link(title="Getting started guide") == "getting_started"
    assert classify_link(title="GitHub Repo", icon="github") == "repository"
    assert classify_link(title="Whatever", type_="runbook") == "runbook"  # export writes the kind in type
    assert classify_link(title="Rapid deploy") == "other"  # words, not substrings ("api" in "rapid")
    assert split_description("One line.") == ("One line.", "")
    summary, description = split_description("x" * 400)
    assert len(summary) <= 300 and summary.endswith("…") and description == "x" * 400


def test_an_unknown_lifecycle_is_reported_and_leaves_the_lifecycle_alone(world_a):
    text = entity("Component", "svc", f"type: service\nlifecycle: sunrise\nowner: {world_a.team.slug}")
    with tenant_context(world_a.tenant):
        report = import_uploads([("c.yaml", text.encode())])
        assert Capability.objects.get(slug="svc").lifecycle == "ga"
    assert any("lifecycle 'sunrise' has no Agora equivalent" in str(n) for n in report.warnings)
