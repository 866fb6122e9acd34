"""The Backstage import use case: read -> validate every document -> plan -> (unless dry run) apply.

Nothing is written until every document has been parsed, validated and planned without error; the writes
then run in ONE transaction, so a failure at any point (even one only the database notices) leaves the
tenant exactly as it was. Capabilities are written through `catalog.services` (same validation, search
document and events as the pages); teams, Backstage identity fields and memberships are written here.
Callers must run inside the tenant context of the target tenant.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog import services
from catalog.backstage.parser import Batch, read_paths, read_uploads
from catalog.backstage.planner import Key, Plan, Planner
from catalog.backstage.report import ImportReport, Problem
from catalog.backstage.validation import Entity, validate_document
from catalog.models import Capability
from portal.plugins.api import Team, TeamMembership, TeamRole, event_emit, require_current_tenant

# Service error keys -> the Backstage field they come from.
_FIELDS = {"slug": "metadata.name", "name": "metadata.title", "links": "metadata.links",
           "tags": "metadata.tags", "dependencies": "spec.dependsOn", "owner_team": "spec.owner"}  # fmt: skip


class _ApplyFailed(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def import_batch(batch: Batch, *, dry_run: bool) -> ImportReport:
    require_current_tenant()
    report = ImportReport(dry_run=dry_run, files=batch.files, documents=len(batch.documents))
    for problem in batch.errors:
        report.add_error(problem)
    report.notes.extend(batch.notes)
    entities: list[Entity] = []
    errors: list[Problem] = []
    for doc in batch.documents:
        entity = validate_document(doc, errors, report.notes)
        if entity is not None:
            entities.append(entity)
    for problem in errors:
        report.add_error(problem)
    plan = Planner(entities, report, batch.location_outcomes).build()
    if plan is None or dry_run:
        return report
    try:
        _apply(plan, report)
    except _ApplyFailed as exc:
        report.add_error(exc.problem)
    except IntegrityError:  # a concurrent change took a slug or key the plan wanted; all rolled back
        report.add_error(Problem("import", None, "", "the catalog changed while importing; try again"))
    else:
        report.applied = True
    return report


def import_paths(paths: Sequence[str | os.PathLike], *, dry_run: bool = False) -> ImportReport:
    """Files and folders on disk (recursive); Location targets inside them are followed."""
    return import_batch(read_paths(paths), dry_run=dry_run)


def import_uploads(files: Sequence[tuple[str, bytes]], *, dry_run: bool = False) -> ImportReport:
    """Uploaded `(filename, content)` pairs."""
    return import_batch(read_uploads(files), dry_run=dry_run)


def _order(plan: Plan) -> list[Key]:
    """Dependencies first, so each capability is written with its final dependency list in one call."""
    remaining = {key: set(cp.dep_keys) for key, cp in plan.capabilities.items()}
    order: list[Key] = []
    while remaining:
        ready = [k for k, deps in remaining.items() if not deps - set(order)]
        if not ready:  # the planner refuses cycles; never loop forever regardless
            raise _ApplyFailed(Problem("import", None, "spec.dependsOn", "dependency cycle"))
        for k in ready:
            order.append(k)
            del remaining[k]
    return order


def _set_source(capability: Capability, entity: Entity, source_type: str) -> None:
    values = {"source_kind": entity.kind, "source_namespace": entity.namespace,
              "source_name": entity.name, "source_type": source_type}  # fmt: skip
    Capability.objects.filter(pk=capability.pk).update(**values)
    for name, value in values.items():
        setattr(capability, name, value)


@transaction.atomic
def _apply(plan: Plan, report: ImportReport) -> None:
    teams: dict[str, Team] = dict(plan.existing_teams)
    for slug, tp in plan.teams.items():
        if tp.existing is None:
            teams[slug] = Team.objects.create(slug=slug, name=tp.name, description=tp.description)
        elif tp.action == "update":
            tp.existing.name, tp.existing.description = tp.name, tp.description
            tp.existing.save(update_fields=["name", "description"])
    done: dict[Key, Capability] = {}
    others = Capability.objects.in_bulk({i for cp in plan.capabilities.values() for i in cp.dep_ids})
    for key in _order(plan):
        cp = plan.capabilities[key]
        deps = [done[k] for k in cp.dep_keys] + [others[i] for i in cp.dep_ids]
        links = [link.as_tuple() for link in cp.links]
        try:
            if cp.existing is None:
                capability = services.capability_create(
                    owner_team=teams[cp.owner_slug], slug=cp.slug, tags=cp.tags, links=links,
                    dependencies=deps, **cp.fields,
                )  # fmt: skip
                _set_source(capability, cp.entity, cp.source_type)
            else:
                capability = cp.existing
                relations = {"owner_team": teams[cp.owner_slug], "tags": cp.tags, "links": links,
                             "dependencies": deps}  # fmt: skip
                data = {f: cp.fields[f] for f in cp.changed if f in cp.fields}
                data |= {f: v for f, v in relations.items() if f in cp.changed}
                if data:
                    services.capability_update(capability=capability, **data)
                if {"source", "source_type"} & set(cp.changed):
                    _set_source(capability, cp.entity, cp.source_type)
        except ValidationError as exc:
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            name, texts = next(iter(messages.items()))
            raise _ApplyFailed(
                Problem(cp.entity.doc.file, cp.entity.doc.index, _FIELDS.get(name, name), " ".join(texts))
            ) from exc
        done[key] = capability
    for user_id, slug in plan.memberships:
        TeamMembership.objects.get_or_create(
            team=teams[slug], user_id=user_id, defaults={"role": TeamRole.MEMBER}
        )
    event_emit(
        "catalog.backstage_imported",
        {"counts": report.counts(), "capability_ids": sorted(c.pk for c in done.values())},
    )
