"""Shared helpers for the Backstage import/export tests.

`tests/catalog/data/backstage-examples/` is a verbatim copy of Backstage's example catalog (Apache-2.0;
provenance, LICENSE and NOTICE inside), so the tests run on a clean clone without ../shared.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from catalog.models import Capability, CapabilityDependency, CapabilityLink, CapabilityTag, Tag
from portal.plugins.api import Event, Team, TeamMembership, tenant_context

EXAMPLES = Path(__file__).parent / "data" / "backstage-examples"
INVALID = "packages/catalog-model/examples/components/invalid-component.yaml"
MODELS = (Capability, CapabilityLink, CapabilityTag, CapabilityDependency, Tag, Team, TeamMembership, Event)


def copy_examples(tmp_path: Path, *, without_invalid: bool = True) -> Path:
    target = tmp_path / "backstage-examples"
    shutil.copytree(EXAMPLES, target)
    if without_invalid:
        (target / INVALID).unlink()
    return target


def snapshot(tenant) -> str:
    """Every row the import could touch in `tenant`, as text: equal snapshots mean nothing was written."""
    with tenant_context(tenant):
        rows = {m.__name__: list(m.objects.order_by("pk").values()) for m in MODELS}
    return json.dumps(rows, default=str, sort_keys=True)


def capability_state(tenant) -> dict[str, dict]:
    """Capabilities by slug with everything an import maps, in a tenant-independent form."""
    with tenant_context(tenant):
        caps = Capability.objects.select_related("owner_team").prefetch_related(
            "tags", "links", "dependencies"
        )
        return {
            c.slug: {
                "name": c.name,
                "summary": c.summary,
                "description": c.description,
                "category": c.category,
                "lifecycle": c.lifecycle,
                "owner": c.owner_team.slug,
                "owner_name": c.owner_team.name,
                "tags": sorted(t.name for t in c.tags.all()),
                "links": sorted((x.kind, x.title, x.url) for x in c.links.all()),
                "dependencies": sorted(d.slug for d in c.dependencies.all()),
                "slo_target": str(c.slo_target) if c.slo_target is not None else None,
                "support_channel": c.support_channel,
                "contact_email": c.contact_email,
                "oncall_url": c.oncall_url,
            }
            for c in caps
        }
