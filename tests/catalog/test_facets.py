"""The catalog's facet counts: exact after every kind of write, per reader for restricted capabilities,
and the list's total taken from them (no COUNT(*) per page view)."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from catalog import facets, selectors, services
from catalog.models import Capability, FacetCount, Lifecycle, Status, Visibility
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.factories import make_team, make_user

TEAM = "team"


def counts_match_a_recount(tenant) -> dict:
    with tenant_context(tenant):
        stored, recounted = facets.stored(), facets.recount()
    assert stored == recounted
    return stored


def test_every_write_keeps_the_stored_counts_equal_to_a_recount(world_a):
    tenant = world_a.tenant
    other = make_team(tenant, "alpha-other")
    with tenant_context(tenant):
        kafka = services.capability_create(
            owner_team=world_a.team, name="Kafka", category="Data", tags=["queue", "kafka"]
        )
        services.capability_create(owner_team=world_a.team, name="Redis", category="Data", tags=["cache"])
    counts = counts_match_a_recount(tenant)
    assert counts[("total", "")] == 2 and counts[("category", "Data")] == 2
    assert counts[("tag", "queue")] == 1 and counts[(TEAM, str(world_a.team.pk))] == 2
    assert counts[("lifecycle", Lifecycle.GA)] == 2 and counts[("status", Status.OPERATIONAL)] == 2

    steps = [
        lambda c: services.capability_update(capability=c, category="Streaming", tags=["queue", "events"]),
        lambda c: services.capability_update(capability=c, lifecycle=Lifecycle.DEPRECATED),
        lambda c: services.capability_set_status(capability=c, status=Status.DEGRADED, message="lag"),
        lambda c: services.capability_transfer(capability=c, team=other, actor=None),
        lambda c: services.capability_update(
            capability=c, visibility=Visibility.TEAMS, visible_to_teams=[other]
        ),
        lambda c: services.capability_update(capability=c, visibility=Visibility.TENANT),
        lambda c: services.capability_archive(capability=c),
        lambda c: services.capability_archive(capability=c, archived=False),
        lambda c: services.capability_set_tags(capability=c, tags=[]),
    ]
    for step in steps:
        with tenant_context(tenant):
            step(Capability.objects.get(pk=kafka.pk))
        counts_match_a_recount(tenant)

    counts = counts_match_a_recount(tenant)
    assert counts[("category", "Streaming")] == 1 and counts[("category", "Data")] == 1
    assert ("tag", "queue") not in counts and ("tag", "kafka") not in counts
    assert counts[(TEAM, str(other.pk))] == 1 and counts[(TEAM, str(world_a.team.pk))] == 1
    assert counts[("status", Status.DEGRADED)] == 1 and counts[("lifecycle", Lifecycle.DEPRECATED)] == 1


def test_a_restricted_capability_counts_only_for_those_who_see_it_and_once(world_a):
    tenant = world_a.tenant
    outsider = make_user("alpha-outsider")
    with tenant_context(tenant):
        Membership.objects.create(user=outsider)
        beta = services.capability_create(
            owner_team=world_a.team, name="Beta thing", category="Secret", tags=["early"],
            visibility=Visibility.TEAMS, visible_to_teams=[world_a.team],
        )  # fmt: skip
        services.capability_create(owner_team=world_a.team, name="Open thing", category="Data")
    counts_match_a_recount(tenant)

    def seen_by(user):
        with tenant_context(tenant):
            found = selectors.facets(Membership.objects.get(user=user))
        return (
            found.total,
            {o.value: o.count for o in found.categories},
            {o.value: o.count for o in found.tags},
        )

    # The member is in the owner team and in the listed team: counted once, not twice.
    assert seen_by(world_a.member) == (2, {"Data": 1, "Secret": 1}, {"early": 1})
    assert seen_by(world_a.admin) == (2, {"Data": 1, "Secret": 1}, {"early": 1})
    assert seen_by(outsider) == (1, {"Data": 1}, {})
    with tenant_context(tenant):
        services.capability_archive(capability=beta)
    assert seen_by(world_a.member) == (1, {"Data": 1}, {})


def test_the_list_total_comes_from_the_counts_and_a_search_pages_without_one(world_a, login):
    with tenant_context(world_a.tenant):
        for i in range(3):
            services.capability_create(owner_team=world_a.team, name=f"Queue {i}", category="Data")
        services.capability_create(owner_team=world_a.team, name="Dns", category="Networking")
    client = login(world_a.member)
    base = f"/t/{world_a.tenant.slug}/catalog/"
    assert "4 capabilities." in client.get(base).content.decode()
    assert "3 capabilities match." in client.get(base + "?category=Data").content.decode()
    assert "0 capabilities match." in client.get(base + "?category=Nope").content.decode()
    searched = client.get(base + "?q=queue").content.decode()
    assert "3 capabilities match." in searched  # one page: its length is the total, no COUNT(*)
    combined = client.get(base + "?category=Data&lifecycle=ga").content.decode()
    assert "3 capabilities match." in combined
    past_end = client.get(base + "?q=queue&page=5").content.decode()
    assert "No more results on page 5" in past_end


def test_the_migration_counts_existing_capabilities_like_a_recount(world_a):
    with tenant_context(world_a.tenant):
        services.capability_create(owner_team=world_a.team, name="Kafka", category="Data", tags=["queue"])
        services.capability_create(
            owner_team=world_a.team, name="Hidden", category="Secret", visibility=Visibility.TEAMS,
            visible_to_teams=[world_a.team],
        )  # fmt: skip
        expected = facets.recount()
        FacetCount.objects.all().delete()
    migration = importlib.import_module("catalog.migrations.0006_facet_counts")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.count_existing(None, editor)
    with tenant_context(world_a.tenant):
        assert facets.stored() == expected
    assert ("category", "Secret") not in expected


@pytest.mark.parametrize("rows", [5, 60])
def test_the_catalog_page_reads_the_same_number_of_queries_whatever_the_catalog_size(world_a, login, rows):
    """Facets, total and page: a constant number of queries (no DISTINCT or COUNT over the catalog)."""
    from django.test.utils import CaptureQueriesContext

    with tenant_context(world_a.tenant):
        for i in range(rows):
            services.capability_create(owner_team=world_a.team, name=f"Cap {i}", category=f"C{i % 7}",
                                       tags=[f"t{i % 5}"])  # fmt: skip
    client = login(world_a.member)
    client.get(f"/t/{world_a.tenant.slug}/catalog/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/t/{world_a.tenant.slug}/catalog/")
    assert response.status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert not any("COUNT(" in q.upper() for q in sql)
    assert not any("DISTINCT" in q.upper() for q in sql)
    assert len(sql) == EXPECTED_CATALOG_PAGE_QUERIES


# 4 facet queries replaced 3 and the COUNT(*); the session is no longer saved again on every tenant page
# (its SAVEPOINT, UPDATE, RELEASE: 14 -> 11); the restricted capabilities and their tags are one query, and
# the tenant switcher reads the memberships the tenant middleware loaded (11 -> 9).
EXPECTED_CATALOG_PAGE_QUERIES = 9


def test_the_rebuild_command_checks_and_repairs_counts_changed_behind_the_services(world_a):
    from django.core.management import CommandError, call_command

    with tenant_context(world_a.tenant):
        services.capability_create(owner_team=world_a.team, name="Kafka", category="Data")
        Capability.objects.update(category="Streaming")  # a write past the services
    with pytest.raises(CommandError, match="alpha"):
        call_command("catalog_facets_rebuild", "--check")
    call_command("catalog_facets_rebuild", "--tenant", "alpha")
    call_command("catalog_facets_rebuild", "--check")
    with tenant_context(world_a.tenant):
        assert facets.stored()[("category", "Streaming")] == 1


def test_deleting_in_the_django_admin_keeps_the_counts_exact(world_a, rf):
    """The admin deletes rows past the services; its hooks recount the tenant in the same transaction."""
    from django.contrib.admin.sites import site

    capability_admin = site._registry[Capability]
    with tenant_context(world_a.tenant):
        kafka = services.capability_create(owner_team=world_a.team, name="Kafka", category="Data")
        services.capability_create(owner_team=world_a.team, name="Redis", category="Data")
        capability_admin.delete_model(rf.post("/"), kafka)
        assert facets.stored()[("category", "Data")] == 1
        capability_admin.delete_queryset(rf.post("/"), Capability.objects.all())
        assert facets.stored() == facets.recount() == {}
