"""Reads of the delivery concern's pages and API, each a constant number of queries.

Who may do what: ingest sources (their keys and URLs) are for tenant admins only; everybody in the tenant
reads the repository -> team mappings, tenant admins change any of them and team maintainers those of
their own teams.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from catalog.insights.models import IngestSource, RepoMapping
from portal.plugins.api import Membership, Team, is_tenant_admin, maintained_team_ids


def sources() -> QuerySet[IngestSource]:
    return IngestSource.objects.select_related("created_by", "tenant").order_by("name", "pk")


def source(pk: int) -> IngestSource | None:
    return sources().filter(pk=pk).first()


def ingest_url(request: HttpRequest | None, source: IngestSource) -> str:
    """Where the sender posts; absolute when a request tells the host (the pages and the API)."""
    path = reverse(
        "insights_public:delivery-ingest", kwargs={"tenant": source.tenant.slug, "key": source.key}
    )
    return request.build_absolute_uri(path) if request is not None else path


def repo_mappings() -> QuerySet[RepoMapping]:
    return RepoMapping.objects.select_related("team").order_by("repository", "pk")


def mappable_teams(membership: Membership | None) -> QuerySet[Team]:
    """Teams this member may map repositories to: all for tenant admins, their maintained teams otherwise."""
    teams = Team.objects.order_by("name", "pk")
    if is_tenant_admin(membership):
        return teams
    return teams.filter(pk__in=maintained_team_ids(membership))


def allowed_team_ids(membership: Membership | None) -> set[int] | None:
    """The teams whose mappings this member may change; None means all of them (a tenant admin)."""
    return None if is_tenant_admin(membership) else maintained_team_ids(membership)
