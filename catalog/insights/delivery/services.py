"""Writes of the delivery concern's settings: ingest sources and repository -> team mappings.

Ingesting events is `recording`; these are the use cases of the pages and the API. Each runs in one
transaction and raises `ValidationError` (by field) on bad input, writing nothing.

A source's secret is generated here, returned once (creation, rotation) and stored only encrypted; the
key in its URL is public and random. Rotating the secret takes effect at once: a sender still signing with
the old one gets 401 until it is updated.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.insights.models import IngestSource, IngestSourceKind, RepoMapping
from portal.plugins.api import Team, encrypt_secret, event_emit

REPOSITORY_RE = re.compile(r"^[a-z0-9_.-]+(/[a-z0-9_.-]+)+$")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _environments(text: str) -> str:
    names = list(dict.fromkeys(e.strip().lower() for e in text.split(",") if e.strip()))
    if not names:
        raise ValidationError({"production_environments": "Name at least one production environment."})
    joined = ",".join(names)
    if len(joined) > 200 or any(len(n) > 100 for n in names):
        raise ValidationError({"production_environments": "At most 200 characters in all."})
    return joined


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "Give the source a name of at most 100 characters."})
    return name


@dataclass(frozen=True)
class IssuedSource:
    source: IngestSource
    secret: str  # shown once, never stored in clear


@transaction.atomic
def source_create(
    *, name: str, kind: str, production_environments: str = "production,prod", user=None
) -> IssuedSource:
    if kind not in IngestSourceKind.values:
        raise ValidationError({"kind": f"Must be one of: {', '.join(IngestSourceKind.values)}."})
    name = _name(name)
    if IngestSource.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "A source of that name exists already."})
    secret = new_secret()
    try:
        with transaction.atomic():
            source = IngestSource.objects.create(
                name=name,
                kind=kind,
                key=secrets.token_urlsafe(24),
                secret_encrypted=encrypt_secret(secret),
                production_environments=_environments(production_environments),
                created_by=user,
            )
    except IntegrityError as exc:  # a concurrent creation of the same name
        raise ValidationError({"name": "A source of that name exists already."}) from exc
    event_emit("insights.ingest_source_created", {"source_id": source.pk, "kind": kind})
    return IssuedSource(source=source, secret=secret)


@transaction.atomic
def source_rotate_secret(*, source: IngestSource) -> IssuedSource:
    secret = new_secret()
    IngestSource.objects.filter(pk=source.pk).update(secret_encrypted=encrypt_secret(secret))
    source.refresh_from_db()
    event_emit("insights.ingest_source_secret_rotated", {"source_id": source.pk})
    return IssuedSource(source=source, secret=secret)


@transaction.atomic
def source_update(
    *,
    source: IngestSource,
    name: str | None = None,
    production_environments: str | None = None,
    enabled: bool | None = None,
) -> IngestSource:
    """Rename, change which environments count as production (for events received from now on), enable or
    disable (a disabled source answers 404 and stores nothing; its past events stay)."""
    if name is not None:
        name = _name(name)
        if IngestSource.objects.filter(name__iexact=name).exclude(pk=source.pk).exists():
            raise ValidationError({"name": "A source of that name exists already."})
        source.name = name
    if production_environments is not None:
        source.production_environments = _environments(production_environments)
    if enabled is not None:
        source.enabled = enabled
    try:
        with transaction.atomic():
            source.save(update_fields=["name", "production_environments", "enabled"])
    except IntegrityError as exc:
        raise ValidationError({"name": "A source of that name exists already."}) from exc
    return source


def normalise_repository(text: str) -> str:
    """`Owner/Name` (or a GitHub URL of it) -> `owner/name`; ValidationError when it is not one."""
    value = (text or "").strip().lower().removesuffix(".git").rstrip("/")
    for prefix in ("https://github.com/", "http://github.com/", "github.com/"):
        value = value.removeprefix(prefix)
    if not REPOSITORY_RE.match(value) or len(value) > 200:
        raise ValidationError({"repository": "Must be owner/name, e.g. acme/payments-api."})
    return value


@transaction.atomic
def repo_mapping_add(*, repository: str, team: Team) -> RepoMapping:
    repository = normalise_repository(repository)
    if RepoMapping.objects.filter(repository=repository).exists():
        raise ValidationError({"repository": "This repository is mapped already; remove that mapping first."})
    try:
        with transaction.atomic():
            mapping = RepoMapping.objects.create(repository=repository, team=team)
    except IntegrityError as exc:
        raise ValidationError({"repository": "This repository is mapped already."}) from exc
    event_emit("insights.repo_mapped", {"repository": repository, "team_id": team.pk})
    return mapping


@transaction.atomic
def repo_mapping_remove(*, mapping: RepoMapping) -> None:
    event_emit("insights.repo_unmapped", {"repository": mapping.repository, "team_id": mapping.team_id})
    mapping.delete()


@dataclass
class ImportReport:
    created: list[tuple[str, str]] = field(default_factory=list)  # (repository, team slug)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (repository or entity, why)
    errors: list[str] = field(default_factory=list)


@transaction.atomic
def repo_mappings_import(*, wanted: list[tuple[str, Team]], report: ImportReport) -> ImportReport:
    """Create the mappings `wanted` (already checked by the caller), skipping repositories mapped already.

    All or nothing: called only when the report has no errors, in one transaction.
    """
    existing = dict(
        RepoMapping.objects.filter(repository__in=[r for r, _ in wanted]).values_list(
            "repository", "team__slug"
        )
    )
    new = []
    for repository, team in wanted:
        if repository in existing:
            same = existing[repository] == team.slug
            why = (
                "already mapped to this team"
                if same
                else f"already mapped to {existing[repository]}; left as it is"
            )
            report.skipped.append((repository, why))
            continue
        new.append(RepoMapping(repository=repository, team=team, tenant_id=team.tenant_id))
        report.created.append((repository, team.slug))
    RepoMapping.objects.bulk_create(new)
    if new:
        event_emit("insights.repos_imported", {"repositories": [m.repository for m in new][:500]})
    return report
