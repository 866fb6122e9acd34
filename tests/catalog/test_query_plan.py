"""The catalog's list sorts (page and API) read an index in order and stop after a page, instead of sorting
every capability of the tenant (bench/catalog.py found a top-N heapsort of 20,000 rows on every request)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone
from psycopg import sql

from catalog import selectors
from catalog.models import Capability
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

N = 3000


def fill(world) -> None:
    now = timezone.now()
    with tenant_context(world.tenant):
        Capability.objects.bulk_create(
            [
                Capability(
                    tenant=world.tenant, owner_team=world.team, name=f"Bulk capability {(i * 7919) % N:05d}",
                    slug=f"bulk-{i}", description="A long description. " * 20,
                )
                for i in range(N)
            ],
            batch_size=1000,
        )  # fmt: skip
        # auto_now would give every row the same moment: spread them, so the order is a real one.
        for i, pk in enumerate(Capability.objects.order_by("pk").values_list("pk", flat=True)[:200]):
            Capability.objects.filter(pk=pk).update(updated_at=now - timezone.timedelta(minutes=i))


def analyze() -> None:
    """Fresh planner statistics (the table owner's right: step out of the application role, then back)."""
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute("ANALYZE catalog_capability, accounts_team, accounts_teammembership")
        if connection.app_user:
            cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(connection.app_user)))


@pytest.mark.parametrize(
    "sort, index", [("name", "capability_name_idx"), ("-updated", "capability_updated_idx")]
)
def test_the_sorted_catalog_list_is_an_index_scan(world_a, world_b, sort, index):
    fill(world_a)
    fill(world_b)  # another tenant's rows share the index; the tenant column leads it
    analyze()
    with tenant_context(world_a.tenant):
        member = Membership.objects.get(user=world_a.member)
        page = selectors.capability_list(member, sort=sort)[:50]
        plan = page.explain()
        names = [c.name for c in page]
        expected = list(
            Capability.objects.filter(archived=False)
            .order_by(*selectors.SORTS[sort])
            .values_list("name", flat=True)[:50]
        )
    assert index in plan, plan
    assert "top-N heapsort" not in plan and "\nSort " not in f"\n{plan.lstrip()}", plan
    assert names == expected
