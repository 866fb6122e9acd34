"""Exporting the current tenant's catalog as Backstage descriptor YAML (one multi-document stream).

- One `Group` per team: `metadata.name` is the team slug, `spec.profile.displayName` its name.
- One entity per capability that is not archived: its Backstage identity when it was imported (kind,
  namespace, name, `spec.type`), otherwise `Component` `default/<slug>` of type `service`.
- Owner: `group:default/<team slug>`; lifecycle: GA -> `production`, others by their Agora name;
  tags as Backstage tags; links in `metadata.links` with the Agora link kind in `type`; dependencies as
  `spec.dependsOn` entity references (a System's `dependsOn`/`lifecycle` are an Agora extension Backstage
  tolerates).
- What Backstage has no field for travels in `agora/*` annotations, which the importer reads back:
  `agora/slug`, `agora/description` (the Markdown description; `metadata.description` holds the summary),
  `agora/category`, `agora/support-channel`, `agora/oncall-url`, `agora/contact-email`, `agora/slo-text`,
  `agora/slo-target`.
- Not exported: status (live state), visibility grants (an Agora access rule), archived capabilities.

The output passes this package's validator, so export -> import into another tenant reproduces the
capabilities (tested as a round trip).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from django.db.models import Prefetch

from catalog.backstage.mapping import export_lifecycle, export_tag
from catalog.models import Capability, CapabilityLink, Tag
from portal.plugins.api import Team

API_VERSION = "backstage.io/v1alpha1"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so exported Markdown stays readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def entity_name(value: str, fallback: str) -> str:
    """A valid Backstage name (<= 63 characters, alphanumeric at both ends) from a slug."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", value)[:63]
    name = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", name)
    return name or fallback


def _identities(capabilities: list[Capability]) -> dict[int, tuple[str, str, str]]:
    out: dict[int, tuple[str, str, str]] = {}
    used: set[tuple[str, str, str]] = set()
    for c in sorted(capabilities, key=lambda c: (not c.source_name, c.slug)):  # imported identities first
        if c.source_name:
            ident = (c.source_kind or "Component", c.source_namespace or "default", c.source_name)
        else:
            base = entity_name(c.slug, f"capability-{c.pk}")
            ident, n = ("Component", "default", base), 2
            while (ident[0].lower(), ident[1], ident[2].lower()) in used:
                ident, n = ("Component", "default", f"{base[:58]}-{n}"), n + 1
        used.add((ident[0].lower(), ident[1], ident[2].lower()))
        out[c.pk] = ident
    return out


def _group(team: Team) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": entity_name(team.slug, f"team-{team.pk}")}
    if team.description:
        metadata["description"] = team.description
    return {
        "apiVersion": API_VERSION,
        "kind": "Group",
        "metadata": metadata,
        "spec": {"type": "team", "profile": {"displayName": team.name}, "children": []},
    }


def _annotations(c: Capability) -> dict[str, str]:
    values = {
        "agora/slug": c.slug,
        "agora/description": c.description,
        "agora/category": c.category,
        "agora/support-channel": c.support_channel,
        "agora/oncall-url": c.oncall_url,
        "agora/contact-email": c.contact_email,
        "agora/slo-text": c.slo_text,
        "agora/slo-target": "" if c.slo_target is None else format(c.slo_target.normalize(), "f"),
    }
    return {k: v for k, v in values.items() if v}


def _capability(c: Capability, ident: dict[int, tuple[str, str, str]]) -> dict[str, Any]:
    kind, namespace, name = ident[c.pk]
    metadata: dict[str, Any] = {"name": name}
    if namespace != "default":
        metadata["namespace"] = namespace
    if c.name != name:
        metadata["title"] = c.name
    if c.summary:
        metadata["description"] = c.summary
    tags = sorted({t for t in (export_tag(tag.name) for tag in c.tags.all()) if t})
    if tags:
        metadata["tags"] = tags
    links = [{"url": x.url, "title": x.title, "type": x.kind} for x in c.links.all()]
    if links:
        metadata["links"] = links
    metadata["annotations"] = _annotations(c)
    spec: dict[str, Any] = {}
    if kind == "Component" or c.source_type:
        spec["type"] = c.source_type or "service"
    spec["lifecycle"] = export_lifecycle(c.lifecycle)
    spec["owner"] = f"group:default/{entity_name(c.owner_team.slug, f'team-{c.owner_team_id}')}"
    deps = sorted(
        f"{ident[d.pk][0].lower()}:{ident[d.pk][1]}/{ident[d.pk][2]}"
        for d in c.dependencies.all()
        if d.pk in ident
    )
    if deps:
        spec["dependsOn"] = deps
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


def export_catalog() -> str:
    """The current tenant's teams and (non-archived) capabilities as multi-document Backstage YAML."""
    teams = list(Team.objects.order_by("slug"))
    capabilities = list(
        Capability.objects.filter(archived=False)
        .select_related("owner_team")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
            Prefetch("links", queryset=CapabilityLink.objects.order_by("kind", "title", "url")),
            Prefetch("dependencies", queryset=Capability.objects.filter(archived=False)),
        )
        .order_by("slug")
    )
    ident = _identities(capabilities)
    docs = [_group(t) for t in teams] + [_capability(c, ident) for c in capabilities]
    header = "# Backstage catalog exported from Agora. Import it with manage.py import_backstage.\n"
    if not docs:
        return header
    return header + yaml.dump_all(
        docs, Dumper=_Dumper, explicit_start=True, sort_keys=False, allow_unicode=True, width=100
    )
