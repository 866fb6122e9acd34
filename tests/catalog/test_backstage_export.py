"""Export as Backstage YAML, the export -> import round trip, and the management commands."""

from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from catalog import services
from catalog.backstage.exporter import export_catalog
from catalog.backstage.importer import import_paths, import_uploads
from catalog.backstage.mapping import export_tag
from catalog.backstage.validation import CORE_API_VERSIONS
from catalog.models import Capability, LinkKind
from portal.plugins.api import Team, tenant_context
from tests.catalog.backstage_helpers import INVALID, capability_state, copy_examples, snapshot
from tests.catalog.factories import make_capability
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db


def _hand_made(world) -> None:
    """Capabilities created in Agora (no Backstage identity), using every field export has to carry."""
    with tenant_context(world.tenant):
        petstore = Capability.objects.get(slug="petstore")
    vault = make_capability(
        world.tenant, world.team, name="Secrets Vault", slug="vault", summary="Dynamic secrets.",
        description="# Vault\n\nAsk for a **role**, get short-lived credentials.\n\n- one\n- two",
        category="Security", lifecycle="beta", tags=["secrets", "vault-v2"],
        links=[(kind, f"{kind} link", f"https://example.com/{kind}") for kind in LinkKind.values],
        support_channel="#vault", oncall_url="https://oncall.example.com/vault",
        contact_email="vault@example.com", slo_text="Tokens in 200 ms", slo_target="99.95",
        dependencies=[petstore],
    )  # fmt: skip
    make_capability(world.tenant, world.team, name="Old Thing", lifecycle="retired", dependencies=[vault])
    gone = make_capability(world.tenant, world.team, name="Archived Thing")
    with tenant_context(world.tenant):
        services.capability_archive(capability=gone)


def test_export_is_valid_backstage_yaml(world_a, tmp_path):
    with tenant_context(world_a.tenant):
        import_paths([copy_examples(tmp_path)])
    _hand_made(world_a)
    with tenant_context(world_a.tenant):
        text = export_catalog()
    docs = list(yaml.safe_load_all(text))
    assert all(d["apiVersion"] in CORE_API_VERSIONS for d in docs)
    groups = [d for d in docs if d["kind"] == "Group"]
    assert len(groups) == 15 and all(d["spec"]["type"] and d["spec"]["children"] == [] for d in groups)
    capabilities = [d for d in docs if d["kind"] in ("Component", "System")]
    assert len(capabilities) == 21 + 2  # the archived one stays out
    vault = next(d for d in docs if d["metadata"]["name"] == "vault")
    assert vault["kind"] == "Component" and vault["metadata"]["title"] == "Secrets Vault"
    assert vault["metadata"]["tags"] == ["secrets", "vault-v2"]
    assert vault["spec"] == {
        "type": "service", "lifecycle": "beta", "owner": f"group:default/{world_a.team.slug}",
        "dependsOn": ["component:default/petstore"],
    }  # fmt: skip
    assert vault["metadata"]["annotations"]["agora/slo-target"] == "99.95"
    assert "    agora/description: |-\n      # Vault\n" in text  # Markdown as a readable literal block
    ns = next(d for d in docs if d["metadata"]["name"] == "different-namespace")
    assert ns["metadata"]["namespace"] == "alternative"
    assert (
        next(d for d in docs if d["metadata"]["name"] == "playback-order")["spec"]["lifecycle"]
        == "production"
    )


def test_round_trip_export_then_import_into_a_fresh_tenant_gives_the_same_capabilities(world_a, tmp_path):
    with tenant_context(world_a.tenant):
        import_paths([copy_examples(tmp_path)])
    _hand_made(world_a)
    with tenant_context(world_a.tenant):
        exported = export_catalog()
        archived = set(Capability.objects.filter(archived=True).values_list("slug", flat=True))
    fresh = make_tenant("fresh")
    with tenant_context(fresh):
        report = import_uploads([("catalog-info.yaml", exported.encode())])
    assert report.ok and report.applied and not report.warnings, report.render_text()
    original = {slug: v for slug, v in capability_state(world_a.tenant).items() if slug not in archived}
    assert capability_state(fresh) == original
    with tenant_context(fresh):
        assert sorted(Team.objects.values_list("slug", "name")) == sorted(
            (slug, name) for slug, name in _teams(world_a)
        )
        assert Capability.objects.get(slug="different-namespace").source_namespace == "alternative"


def _teams(world):
    with tenant_context(world.tenant):
        return list(Team.objects.values_list("slug", "name"))


def test_re_importing_an_export_into_the_same_tenant_changes_nothing(world_a, tmp_path):
    with tenant_context(world_a.tenant):
        import_paths([copy_examples(tmp_path)])
    _hand_made(world_a)
    state = capability_state(world_a.tenant)
    with tenant_context(world_a.tenant):
        exported = export_catalog()
        first = import_uploads([("export.yaml", exported.encode())])
        second = import_uploads([("export.yaml", exported.encode())])
    # Hand-made capabilities are adopted once (they gain a Backstage identity); nothing else moves.
    assert {c.ref for c in first.changes if c.action == "update"} == {
        "component:default/vault", "component:default/old-thing",
    }  # fmt: skip
    assert {c.action for c in second.changes} == {"unchanged"}
    assert capability_state(world_a.tenant) == state


def test_tags_become_valid_backstage_tags():
    assert export_tag("vault_v2") == "vault-v2" and export_tag("a--b_") == "a-b" and export_tag("_") is None


# --- commands -----------------------------------------------------------------------------------------------


def test_import_command_dry_run_then_real_then_refusal(world_a, tmp_path):
    folder = copy_examples(tmp_path)
    out = StringIO()
    call_command("import_backstage", "--tenant", world_a.tenant.slug, "--dry-run", str(folder), stdout=out)
    assert "Dry run, nothing written: capabilities: 21 new" in out.getvalue()
    with tenant_context(world_a.tenant):
        assert not Capability.objects.exists()
    out = StringIO()
    call_command("import_backstage", "--tenant", world_a.tenant.slug, str(folder), stdout=out)
    assert "Imported: capabilities: 21 new" in out.getvalue()
    broken = copy_examples(tmp_path / "again", without_invalid=False)
    before = snapshot(world_a.tenant)
    out = StringIO()
    with pytest.raises(CommandError, match="Import refused: 2 errors"):
        call_command("import_backstage", "--tenant", world_a.tenant.slug, str(broken), stdout=out)
    assert f"{INVALID}, document 1: metadata.name:" in out.getvalue()
    assert snapshot(world_a.tenant) == before


def test_import_command_json_output_and_unknown_tenant(world_a, tmp_path):
    out = StringIO()
    call_command(
        "import_backstage", "--tenant", world_a.tenant.slug, "--json", "--dry-run",
        str(copy_examples(tmp_path)), stdout=out,
    )  # fmt: skip
    assert '"dry_run": true' in out.getvalue()
    with pytest.raises(CommandError, match="No tenant"):
        call_command("import_backstage", "--tenant", "nope", str(tmp_path))


def test_export_command_writes_yaml(world_a, tmp_path):
    make_capability(world_a.tenant, world_a.team, name="Queue")
    out = StringIO()
    call_command("export_backstage", "--tenant", world_a.tenant.slug, stdout=out)
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(out.getvalue())]
    assert names == [world_a.team.slug, "queue"]
    target = tmp_path / "out.yaml"
    call_command("export_backstage", "--tenant", world_a.tenant.slug, "--output", str(target))
    assert target.read_text() == out.getvalue()
