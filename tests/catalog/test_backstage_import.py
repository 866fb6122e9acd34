"""Importing Backstage's own example catalog (real input nobody here wrote): atomic refusal of the invalid
file, what the rest becomes, idempotent re-import, dry runs, dangling owners, tenant isolation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.backstage.importer import import_paths
from catalog.models import Capability, CapabilityLink, LinkKind
from portal.plugins.api import Team, tenant_context
from tests.catalog.backstage_helpers import INVALID, capability_state, copy_examples, snapshot

pytestmark = pytest.mark.django_db

COMPONENTS = {
    "backstage", "backstage-catalog-model", "artist-lookup", "different-namespace", "petstore",
    "playback-sdk", "playback-order", "podcast-api", "queue-proxy", "searcher", "shuffle-api",
    "wayback-archive", "wayback-archive-ingestion", "wayback-archive-storage", "wayback-search",
    "www-artist", "example-website",
}  # fmt: skip
SYSTEMS = {"artist-engagement-portal", "audio-playback", "podcast", "examples"}
GROUPS = {"acme-corp", "infrastructure", "backstage", "boxoffice", "team-a", "team-b", "team-c", "team-d",
          "team-e", "guests"}  # fmt: skip
PLACEHOLDERS = {"cncf", "maintainers", "guest", "user-guest"}


def run(world, path, *, dry_run=False):
    with tenant_context(world.tenant):
        return import_paths([path], dry_run=dry_run)


def test_the_whole_example_folder_is_refused_atomically_naming_file_document_and_field(world_a, tmp_path):
    folder = copy_examples(tmp_path, without_invalid=False)
    before = snapshot(world_a.tenant)
    report = run(world_a, folder)
    assert not report.ok and not report.applied
    located = {(p.file, p.document, p.field) for p in report.errors}
    assert located == {(INVALID, 1, "metadata.name"), (INVALID, 1, "metadata.tags[1]")}
    assert "'invalid component'" in str(report.errors[0])
    assert snapshot(world_a.tenant) == before
    assert "nothing was written" in report.summary()


def test_the_folder_without_the_invalid_file_becomes_capabilities_teams_and_links(world_a, tmp_path):
    report = run(world_a, copy_examples(tmp_path))
    assert report.ok and report.applied, report.render_text()
    state = capability_state(world_a.tenant)
    assert set(state) == COMPONENTS | SYSTEMS
    with tenant_context(world_a.tenant):
        teams = set(Team.objects.values_list("slug", flat=True))
        imported = Capability.objects.filter(source_name__gt="")
        assert imported.count() == 21
        assert set(imported.values_list("source_kind", flat=True)) == {"Component", "System"}
        assert CapabilityLink.objects.count() == report.links == 18
        ns = Capability.objects.get(slug="different-namespace")
        assert (ns.source_kind, ns.source_namespace, ns.source_type) == (
            "Component",
            "alternative",
            "service",
        )
        placeholder = Team.objects.get(slug="cncf")
        assert "Placeholder" in placeholder.description and placeholder.name == "CNCF"
        assert Team.objects.get(slug="acme-corp").name == "ACME Corp"  # spec.profile.displayName
        assert Team.objects.get(slug="team-a").name == "team-a"  # no displayName: the name
    assert teams == GROUPS | PLACEHOLDERS | {world_a.team.slug}
    assert report.count("capability", "create") == 21 and report.count("team", "create") == 14
    # What the mapping did, on real entities.
    assert state["artist-lookup"]["lifecycle"] == "experimental"
    assert state["playback-order"]["lifecycle"] == "ga"  # production -> GA
    assert state["artist-lookup"]["tags"] == ["data", "java"]
    assert state["artist-lookup"]["category"] == "Artists"  # system -> domain title
    assert state["podcast-api"]["category"] == "playback"
    assert state["different-namespace"]["owner"] == "team-a"  # owner: default/team-a
    assert state["searcher"]["owner"] == "user-guest"  # owner: user:guest
    assert state["playback-order"]["owner"] == "guest"  # owner: guest -> group:default/guest, dangling
    links = state["backstage"]["links"]
    assert ("repository", "GitHub repository", "https://github.com/backstage/backstage") in links
    assert ("chat", "Discord Chat", "https://discord.com/invite/EBHEGzX") in links
    assert ("docs", "Documentation", "https://backstage.io/docs") in links
    assert ("dashboard", "Dashboard", "https://example.com/dashboard") in state["artist-lookup"]["links"]
    petstore = [x for x in state["petstore"]["links"] if x[0] == LinkKind.API_REFERENCE]
    assert [x[1] for x in petstore] == ["petstore API (openapi)", "streetlights API (asyncapi)"]
    assert state["wayback-search"]["links"] == [
        ("api_reference", "wayback-search API (openapi)",
         "https://github.com/APIs-guru/openapi-directory/blob/main/APIs/archive.org/search/1.0.0/openapi.yaml")
    ]  # fmt: skip
    # Reported, not fatal: unknown kinds, dangling owners, user owners, the guest defined twice.
    warnings = [str(n) for n in report.warnings]
    for kind in ("AiResource", "Environment", "Template"):
        assert any(f"kind {kind} is not imported" in w for w in warnings)
    assert sum("dangling owner" in w for w in warnings) == 3
    assert any("group:default/CNCF" in w and "catalog-info.yaml" in w for w in warnings)
    assert sum("owned by user:default/guest" in w for w in warnings) == 2
    assert any("user:default/guest: conflict" in w for w in warnings)
    skipped = {c.ref for c in report.changes if c.action == "skip"}
    assert {
        "api:default/spotify",
        "resource:default/artists-db",
        "template:default/example-nodejs-template",
    } <= skipped


def test_re_import_creates_no_duplicates_and_reports_everything_unchanged(world_a, tmp_path):
    folder = copy_examples(tmp_path)
    assert run(world_a, folder).applied
    first = capability_state(world_a.tenant)
    before = snapshot(world_a.tenant)
    again = run(world_a, folder)
    assert again.ok and again.applied
    assert again.count("capability", "unchanged") == 21 and again.count("capability", "create") == 0
    assert again.count("capability", "update") == 0 and again.count("team", "create") == 0
    assert again.count("team", "unchanged") == len(GROUPS)
    assert capability_state(world_a.tenant) == first
    after = snapshot(world_a.tenant)
    assert after.count('"slug"') == before.count('"slug"')  # no new rows anywhere ...
    with tenant_context(world_a.tenant):
        assert Capability.objects.count() == 21 and Team.objects.count() == 15


def test_re_import_updates_the_same_capability_when_the_yaml_changes(world_a, tmp_path):
    folder = copy_examples(tmp_path)
    run(world_a, folder)
    path = folder / "packages/catalog-model/examples/components/searcher-component.yaml"
    path.write_text(
        path.read_text().replace("lifecycle: production", "lifecycle: deprecated").replace("- go", "- golang")
    )
    with tenant_context(world_a.tenant):
        pk = Capability.objects.get(slug="searcher").pk
    report = run(world_a, folder)
    change = next(c for c in report.changes if c.ref == "component:default/searcher")
    assert change.action == "update" and set(change.fields) == {"lifecycle", "tags"}
    assert report.count("capability", "update") == 1 and report.count("capability", "unchanged") == 20
    with tenant_context(world_a.tenant):
        searcher = Capability.objects.get(source_kind="Component", source_name="searcher")
        assert searcher.pk == pk and searcher.lifecycle == "deprecated"
        assert [t.name for t in searcher.tags.all()] == ["golang"]


def test_dry_run_reports_what_would_change_and_writes_nothing(world_a, tmp_path):
    before = snapshot(world_a.tenant)
    report = run(world_a, copy_examples(tmp_path), dry_run=True)
    assert report.ok and not report.applied and report.dry_run
    assert report.count("capability", "create") == 21 and report.count("team", "create") == 14
    assert snapshot(world_a.tenant) == before
    assert report.summary().startswith("Dry run, nothing written: capabilities: 21 new")
    text = report.render_text()
    assert "create    component:default/artist-lookup -> artist-lookup" in text


def test_import_into_tenant_a_never_touches_tenant_b(world_a, world_b, tmp_path):
    folder = copy_examples(tmp_path)
    before_b = snapshot(world_b.tenant)
    assert run(world_a, folder).applied
    assert snapshot(world_b.tenant) == before_b
    # B imports the same files independently: its own rows, its own keys, no clash with A.
    report_b = run(world_b, folder)
    assert report_b.applied and report_b.count("capability", "create") == 21
    with tenant_context(world_a.tenant):
        a_ids = set(Capability.objects.values_list("pk", flat=True))
    with tenant_context(world_b.tenant):
        assert not a_ids & set(Capability.objects.values_list("pk", flat=True))


def test_a_failure_while_writing_rolls_back_everything(world_a, tmp_path, monkeypatch):
    """Even an error only the write phase sees leaves the tenant untouched (one transaction)."""
    calls = {"n": 0}
    real = services.capability_create

    def failing(**kwargs):
        calls["n"] += 1
        if calls["n"] == 10:
            raise ValidationError({"links": "simulated failure"})
        return real(**kwargs)

    monkeypatch.setattr(services, "capability_create", failing)
    before = snapshot(world_a.tenant)
    report = run(world_a, copy_examples(tmp_path))
    assert not report.ok and not report.applied and calls["n"] == 10
    assert report.errors[0].field == "metadata.links" and "simulated failure" in report.errors[0].message
    assert snapshot(world_a.tenant) == before


def test_location_targets_outside_the_import_folder_are_not_followed(world_a, tmp_path):
    outside = tmp_path / "secret.yaml"
    outside.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: leaked}\n"
        "spec: {type: service, lifecycle: production, owner: x}\n"
    )
    root = tmp_path / "repo"
    root.mkdir()
    (root / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: sneaky}\n"
        "spec:\n  targets: [../secret.yaml, /etc/passwd, 'https://example.com/x.yaml', ./missing.yaml]\n"
    )
    (root / "link.yaml").symlink_to(outside)
    report = run(world_a, root)
    assert report.ok, report.render_text()
    outcome = next(c for c in report.changes if c.ref == "location:default/sneaky").detail
    assert "../secret.yaml (outside the import folder)" in outcome
    assert "/etc/passwd (absolute path)" in outcome and "(remote: not fetched)" in outcome
    assert "./missing.yaml (not found)" in outcome
    assert any("leads outside the import folder" in str(n) for n in report.warnings)  # the symlink
    with tenant_context(world_a.tenant):
        assert not Capability.objects.filter(slug="leaked").exists()


def test_a_single_entry_file_follows_its_locations_inside_its_folder(world_a, tmp_path):
    folder = copy_examples(tmp_path)
    report = run(world_a, folder / "packages/catalog-model/examples/all.yaml")
    assert report.ok, report.render_text()
    # all.yaml reaches apis, components (not invalid-component), domains, resources, systems.
    assert report.count("capability", "create") == 13 + 3
    assert "different-namespace" not in capability_state(world_a.tenant)
