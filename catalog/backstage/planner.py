"""From validated entities to a plan: what each entity becomes and whether that creates, updates or
leaves unchanged a row of the current tenant. Read-only: it queries, never writes (a dry run stops here).

Anything that would make the write fail is found here and reported as an error (conflicting duplicate
definitions, two groups mapping to one team, an owner that is neither a group nor a user, dependency cycles),
so that applying the plan can only fail on a genuine database problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from catalog.backstage import mapping, relations
from catalog.backstage.mapping import Link
from catalog.backstage.report import Change, ImportReport, Note, Problem
from catalog.backstage.validation import Entity, Ref
from catalog.models import Capability, Lifecycle
from catalog.services import MAX_DESCRIPTION, RESERVED_SLUGS
from portal.plugins.api import Team

CAPABILITY_KINDS = ("Component", "System")
# A conflicting second definition of these kinds would make the result depend on file order: refused.
WRITTEN_KINDS = {"Component", "System", "Group", "Domain", "API", "Resource"}
COMPARED = ("name", "summary", "description", "category", "lifecycle", "support_channel", "oncall_url",
            "contact_email", "slo_text", "slo_target")  # fmt: skip
Key = tuple[str, str, str]


@dataclass
class TeamPlan:
    slug: str
    name: str
    description: str
    existing: Team | None
    entity: Entity | None = None  # None: a placeholder for a dangling owner
    ref: str = ""  # the owner reference a placeholder stands for
    action: str = "create"
    changed: tuple[str, ...] = ()


@dataclass
class CapabilityPlan:
    entity: Entity
    fields: dict[str, Any]  # editable fields the YAML sets (absent keys stay as they are on update)
    owner_slug: str
    tags: list[str]
    links: list[Link]
    source_type: str
    slug: str = ""
    existing: Capability | None = None
    adopt: bool = False  # an Agora capability without Backstage identity, matched by slug
    dep_keys: list[Key] = field(default_factory=list)
    dep_ids: list[int] = field(default_factory=list)
    action: str = "create"
    changed: tuple[str, ...] = ()


@dataclass
class Plan:
    teams: dict[str, TeamPlan] = field(default_factory=dict)
    capabilities: dict[Key, CapabilityPlan] = field(default_factory=dict)
    memberships: list[tuple[int, str]] = field(default_factory=list)  # (user id, team slug)
    existing_teams: dict[str, Team] = field(default_factory=dict)


class Planner:
    def __init__(self, entities: list[Entity], report: ImportReport, location_outcomes: dict):
        self.report = report
        self.location_outcomes = location_outcomes
        self.plan = Plan()
        self.entities: list[Entity] = []
        self.by_key: dict[Key, Entity] = {}
        self.outcome: dict[int, Change] = {}
        self._dedupe(entities)

    # --- helpers -----------------------------------------------------------------------------------------
    def error(self, e: Entity, field_name: str, message: str) -> None:
        self.report.add_error(Problem(e.doc.file, e.doc.index, field_name, message))

    def note(self, e: Entity | None, message: str, level: str = "warning") -> None:
        if e is None:
            self.report.notes.append(Note(level, message))
        else:
            self.report.notes.append(Note(level, message, e.doc.file, e.doc.index, str(e.ref)))

    def set_outcome(self, e: Entity, target: str, action: str, detail: str = "", fields=()) -> None:
        self.outcome[id(e)] = Change(
            str(e.ref), e.kind, target, action, detail, tuple(fields), e.doc.file, e.doc.index
        )

    def of_kind(self, *kinds: str) -> list[Entity]:
        return [e for e in self.entities if e.kind in kinds]

    # --- steps ---------------------------------------------------------------------------------------------
    def _dedupe(self, entities: list[Entity]) -> None:
        for e in entities:
            first = self.by_key.get(e.key)
            if first is None:
                self.by_key[e.key] = e
                self.entities.append(e)
                continue
            where = f"{first.doc.file}, document {first.doc.index}"
            if first.doc.data == e.doc.data:
                self.note(e, f"defined again identically (first in {where}); used once", "info")
            elif e.kind in WRITTEN_KINDS:
                self.error(e, "metadata.name", f"{e.ref} is also defined, differently, in {where}")
                continue
            else:
                self.note(e, f"conflict: also defined, differently, in {where}; the first definition is used")
            self.set_outcome(e, "none", "skip", f"duplicate of {where}")
            self.entities.append(e)

    def _load_state(self) -> None:
        self.teams = {t.slug: t for t in Team.objects.all()}
        caps = list(Capability.objects.prefetch_related("tags", "links", "dependency_links"))
        self.caps_by_id = {c.pk: c for c in caps}
        self.by_slug = {c.slug: c for c in caps}
        self.by_source = {
            (c.source_kind.lower(), c.source_namespace.lower(), c.source_name.lower()): c
            for c in caps
            if c.source_name
        }

    def build(self) -> Plan | None:
        if not self.report.ok:
            return None
        self._load_state()
        self.plan.existing_teams = self.teams
        self._groups()
        domains = {e.key: (e.metadata.get("title") or e.name) for e in self.of_kind("Domain")}
        for e in self.of_kind("Domain"):
            self.set_outcome(e, "category", "info", f"category '{domains[e.key]}' for its systems")
        for e in self.of_kind(*CAPABILITY_KINDS):
            self._capability(e, domains)
        relations.attach_api_and_resource_links(self)
        relations.resolve_dependencies(self)
        self._match_and_slug()
        if not self.report.ok:
            return None
        relations.refuse_cycles(self)
        relations.plan_users(self)
        self._others()
        self.report.changes = [self.outcome[id(e)] for e in self.entities if id(e) in self.outcome]
        self.report.changes += [
            Change(tp.ref, "Group", "team", tp.action, f"{tp.slug} (placeholder team '{tp.name}')")
            for tp in self.plan.teams.values()
            if tp.entity is None
        ]
        self.report.links = sum(len(cp.links) for cp in self.plan.capabilities.values())
        self.report.memberships = len(self.plan.memberships)
        return self.plan if self.report.ok else None

    def _groups(self) -> None:
        for e in self.of_kind("Group"):
            if id(e) in self.outcome:
                continue
            slug = mapping.team_slug(e.namespace, e.name)
            if slug in self.plan.teams:
                other = self.plan.teams[slug].entity
                self.error(
                    e, "metadata.name", f"maps to team slug '{slug}' like {other.ref if other else ''}"
                )
                continue
            profile = e.spec.get("profile") or {}
            name = (profile.get("displayName") or e.metadata.get("title") or e.name).strip()[:200]
            tp = TeamPlan(slug, name, (e.metadata.get("description") or "").strip(), self.teams.get(slug), e)
            if tp.existing is not None:
                tp.changed = tuple(
                    f for f in ("name", "description") if getattr(tp.existing, f) != getattr(tp, f)
                )
                tp.action = "update" if tp.changed else "unchanged"
            self.plan.teams[slug] = tp
            self.set_outcome(e, "team", tp.action, slug, tp.changed)

    def owner_slug(self, e: Entity) -> str | None:
        ref: Ref = e.refs["owner"]
        if ref.kind not in ("group", "user"):
            self.error(e, "spec.owner", f"{ref} is neither a Group nor a User")
            return None
        is_user = ref.kind == "user"
        slug = mapping.team_slug(ref.namespace, ref.name, user=is_user)
        if ref.key in self.by_key and not is_user:
            return slug
        if is_user:
            self.note(
                e, f"owned by {ref}: Agora capabilities are owned by teams, so it goes to team '{slug}'"
            )
        if slug in self.teams or slug in self.plan.teams:
            if not is_user and slug in self.teams:
                self.note(e, f"owner {ref} is not in the import; it is the existing team '{slug}'", "info")
            return slug
        name = f"{ref.name} (user)" if is_user else ref.name
        self.plan.teams[slug] = TeamPlan(
            slug, name[:200],
            f"Placeholder created by the Backstage import: `{ref}` owns capabilities but is "
            f"{'a user, not a team' if is_user else 'not in the import'}. Import it or reassign them.",
            None, ref=str(ref),
        )  # fmt: skip
        if not is_user:
            self.note(
                e, f"dangling owner {ref}: not in the import nor a team here; placeholder team '{slug}'"
            )
        return slug

    def _agora_fields(self, e: Entity, fields: dict[str, Any]) -> None:
        """`agora/*` annotations carry what Backstage has no field for (export writes them)."""
        ann = e.annotations
        simple = {"agora/category": "category", "agora/support-channel": "support_channel",
                  "agora/slo-text": "slo_text"}  # fmt: skip
        for key, name in simple.items():
            if key in ann:
                fields[name] = ann[key].strip()[:200] if name != "slo_text" else ann[key]
        if "agora/oncall-url" in ann:
            if mapping.is_http_url(ann["agora/oncall-url"]):
                fields["oncall_url"] = ann["agora/oncall-url"]
            else:
                self.error(e, "metadata.annotations.agora/oncall-url", "must be a full http(s) URL")
        if "agora/contact-email" in ann:
            try:
                if len(ann["agora/contact-email"]) > 254:
                    raise ValidationError("too long")
                EmailValidator()(ann["agora/contact-email"])
                fields["contact_email"] = ann["agora/contact-email"]
            except ValidationError:
                self.error(e, "metadata.annotations.agora/contact-email", "not a valid email address")
        if "agora/slo-target" in ann:
            try:
                target = Decimal(ann["agora/slo-target"])
                if not Decimal(0) <= target <= Decimal(100):
                    raise InvalidOperation
                fields["slo_target"] = target.quantize(Decimal("0.001"))
            except InvalidOperation:
                self.error(e, "metadata.annotations.agora/slo-target", "must be a percentage 0-100")

    def _category(self, e: Entity, domains: dict[Key, str]) -> str | None:
        if e.kind == "System":
            domain = e.refs.get("domain")
            return domains.get(domain.key, domain.name) if domain else None
        system = e.refs.get("system")
        if system is None:
            return None
        if system.key in self.by_key and self.by_key[system.key].kind == "System":
            return self._category(self.by_key[system.key], domains)
        existing = self.by_source.get(system.key)
        return existing.category if existing is not None and existing.category else None

    def _capability(self, e: Entity, domains: dict[Key, str]) -> None:
        if id(e) in self.outcome:
            return
        meta, ann = e.metadata, e.annotations
        fields: dict[str, Any] = {"name": (meta.get("title") or e.name).strip()[:200] or e.name}
        if "agora/description" in ann:
            fields["summary"] = mapping.split_description(meta.get("description"))[0]
            fields["description"] = ann["agora/description"]
        else:
            fields["summary"], fields["description"] = mapping.split_description(meta.get("description"))
        if len(fields["description"]) > MAX_DESCRIPTION:
            self.error(e, "metadata.description", f"longer than {MAX_DESCRIPTION} characters")
        raw_lifecycle = e.spec.get("lifecycle")
        lifecycle = mapping.map_lifecycle(raw_lifecycle)
        if lifecycle:
            fields["lifecycle"] = lifecycle
        elif raw_lifecycle:
            self.note(e, f"lifecycle '{raw_lifecycle}' has no Agora equivalent; lifecycle left as it is")
        category = self._category(e, domains)
        if category is not None:
            fields["category"] = category[:100]
        self._agora_fields(e, fields)
        tags, tag_notes = mapping.agora_tags(meta.get("tags") or [])
        if tag_notes:
            self.note(e, "tags adapted to Agora: " + "; ".join(tag_notes), "info")
        links, refused = mapping.metadata_links(meta.get("links"))
        if refused:
            self.note(e, f"links refused (only http/https URLs): {', '.join(refused)}")
        extra, unmapped = mapping.annotation_links(ann)
        if unmapped:
            self.note(e, "annotations not mapped: " + "; ".join(unmapped), "info")
        owner = self.owner_slug(e)
        if owner is None:
            return
        self.plan.capabilities[e.key] = CapabilityPlan(
            e, fields, owner, tags, links + extra, (e.spec.get("type") or "")[:60]
        )

    def _match_and_slug(self) -> None:
        taken = set(self.by_slug) | RESERVED_SLUGS
        pending = []
        for key, cp in self.plan.capabilities.items():
            cp.existing = self.by_source.get(key)
            if cp.existing is not None:
                cp.slug = cp.existing.slug
            else:
                pending.append(cp)
        adopted: set[int] = set()
        for cp in pending:
            e = cp.entity
            wanted = mapping.name_slug(e.annotations.get("agora/slug", ""), 100) or mapping.name_slug(
                e.name, 100
            )
            candidate = self.by_slug.get(wanted)
            if candidate is not None and not candidate.source_name and candidate.pk not in adopted:
                cp.existing, cp.adopt, cp.slug = candidate, True, wanted
                adopted.add(candidate.pk)
                continue
            options = [wanted, f"{wanted}-{e.kind.lower()}"]
            if e.namespace != "default":
                options.append(f"{mapping.name_slug(e.namespace, 30)}-{wanted}")
            options += [f"{wanted[:95]}-{i}" for i in range(2, 1000)]
            cp.slug = next(s for s in options if s not in taken)
            taken.add(cp.slug)
        for cp in self.plan.capabilities.values():
            self._compare(cp)

    def _compare(self, cp: CapabilityPlan) -> None:
        e, c = cp.entity, cp.existing
        if c is None:
            cp.fields.setdefault("lifecycle", Lifecycle.GA)
            self.set_outcome(e, "capability", "create", cp.slug)
            return
        changed = [f for f in COMPARED if f in cp.fields and getattr(c, f) != cp.fields[f]]
        team = self.teams.get(cp.owner_slug)
        if team is None or team.pk != c.owner_team_id:
            changed.append("owner_team")
        if sorted(cp.tags) != sorted(t.name for t in c.tags.all()):
            changed.append("tags")
        if sorted(x.as_tuple() for x in cp.links) != sorted((x.kind, x.title, x.url) for x in c.links.all()):
            changed.append("links")
        dep_ids = set(cp.dep_ids)
        for key in cp.dep_keys:
            dep = self.plan.capabilities[key].existing
            dep_ids.add(dep.pk if dep is not None else -1)
        if dep_ids != {d.depends_on_id for d in c.dependency_links.all()}:
            changed.append("dependencies")
        if c.source_type != cp.source_type:
            changed.append("source_type")
        if cp.adopt or (c.source_kind, c.source_namespace, c.source_name) != (e.kind, e.namespace, e.name):
            changed.append("source")
        cp.changed = tuple(changed)
        cp.action = "update" if changed else "unchanged"
        detail = cp.slug + (
            " (an existing capability with this slug, now linked to Backstage)" if cp.adopt else ""
        )
        self.set_outcome(e, "capability", cp.action, detail, cp.changed)

    def _others(self) -> None:
        unknown: dict[str, int] = {}
        for e in self.entities:
            if id(e) in self.outcome:
                continue
            if e.kind == "Location":
                outcome = self.location_outcomes.get((e.doc.file, e.doc.index), "")
                self.set_outcome(e, "location", "info", outcome)
            elif not e.core:
                unknown[e.kind] = unknown.get(e.kind, 0) + 1
                self.set_outcome(e, "none", "skip", f"kind {e.kind} is not imported")
        for kind, n in sorted(unknown.items()):
            self.note(None, f"kind {kind} is not imported ({n} entit{'y' if n == 1 else 'ies'}); skipped")
