"""Repository -> team mappings from Backstage descriptors (`catalog-info.yaml`).

The catalog's Backstage import keeps no annotations, so mappings come from an upload of the descriptor
files themselves. Each `Component` with a `github.com/project-slug: owner/name` annotation maps that
repository to the team named by `spec.owner` (`group:default/payments`, `group:payments` or `payments`:
the group name is the team slug). Files are read by the catalog's bounded YAML reader (safe loader, size
and alias-bomb limits).

All or nothing: any error (unreadable YAML, unknown team, a team the uploader does not maintain, one
repository given two teams) refuses the whole upload. Components without the annotation, owners that are
not groups and repositories mapped already are skipped and reported.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError

from catalog.backstage.parser import read_uploads
from catalog.insights.delivery import services
from catalog.insights.delivery.services import ImportReport
from portal.plugins.api import Membership, Team, is_tenant_admin, maintained_team_ids

ANNOTATION = "github.com/project-slug"


def _team_slug(owner: object) -> str | None:
    """`group:default/payments` -> `payments`; None for a user or anything that is not a group name."""
    if not isinstance(owner, str) or not owner.strip():
        return None
    text = owner.strip().lower()
    kind, _, rest = text.rpartition(":")
    if kind and kind != "group":
        return None
    return rest.rpartition("/")[2] or None


def _where(doc) -> str:
    return f"{doc.file} document {doc.index}"


def repo_mappings_from_backstage(
    *, files: Sequence[tuple[str, bytes]], membership: Membership
) -> ImportReport:
    """Read the uploads, check everything, then create the mappings in one transaction (or none)."""
    report = ImportReport()
    batch = read_uploads(files)
    report.errors += [f"{p.file}: {p.message}" for p in batch.errors]
    found: list[tuple[str, str, str]] = []  # (repository, team slug, where)
    for doc in batch.documents:
        data = doc.data
        if not isinstance(data, dict) or str(data.get("kind", "")).lower() != "component":
            continue
        metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        name = str(metadata.get("name") or _where(doc))[:100]
        annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
        slug = annotations.get(ANNOTATION)
        if slug is None:
            report.skipped.append((name, f"no {ANNOTATION} annotation"))
            continue
        try:
            repository = services.normalise_repository(str(slug))
        except ValidationError:
            report.errors.append(
                f"{_where(doc)} ({name}): {ANNOTATION} {str(slug)[:100]!r} is not owner/name"
            )
            continue
        spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
        team_slug = _team_slug(spec.get("owner"))
        if team_slug is None:
            report.skipped.append((repository, f"owner {str(spec.get('owner'))[:100]!r} is not a group"))
            continue
        found.append((repository, team_slug, f"{_where(doc)} ({name})"))
    teams = {t.slug: t for t in Team.objects.filter(slug__in={s for _, s, _ in found})}
    allowed = None if is_tenant_admin(membership) else maintained_team_ids(membership)
    chosen: dict[str, Team] = {}
    for repository, team_slug, where in found:
        team = teams.get(team_slug)
        if team is None:
            report.errors.append(f"{where}: no team {team_slug!r} in this tenant")
        elif allowed is not None and team.pk not in allowed:
            report.errors.append(f"{where}: you do not maintain team {team_slug!r}")
        elif repository in chosen and chosen[repository].pk != team.pk:
            report.errors.append(
                f"{where}: {repository} is given to {chosen[repository].slug} and {team_slug}"
            )
        elif repository in chosen:
            report.skipped.append((repository, "listed twice"))
        else:
            chosen[repository] = team
    if not batch.documents and not batch.errors:
        report.errors.append("No YAML documents in the upload.")
    if report.errors:
        report.created.clear()
        return report
    return services.repo_mappings_import(wanted=list(chosen.items()), report=report)
