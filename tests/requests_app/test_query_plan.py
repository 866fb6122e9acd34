"""The board's "top" and "trending" sorts read their indexes in order instead of sorting every request."""

from __future__ import annotations

import pytest
from django.db import connection
from psycopg import sql

from portal.tenancy.context import tenant_context
from requests_app import selectors
from requests_app.models import FeatureRequest
from tests.requests_app.factories import membership

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

N = 3000


def fill(world) -> None:
    with tenant_context(world.tenant):
        FeatureRequest.objects.bulk_create(
            [
                FeatureRequest(
                    tenant=world.tenant, number=i, title=f"Bulk request {i}", vote_count=(i * 7919) % 500,
                    trend_score=float((i * 104729) % 1000),
                )
                for i in range(1, N + 1)
            ],
            batch_size=1000,
        )  # fmt: skip


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would gather them. ANALYZE is the table owner's right: step
    out of the application role for it (this is the test's own transaction), then back."""
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute("ANALYZE requests_app_featurerequest")
        if connection.app_user:
            cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(connection.app_user)))


@pytest.mark.parametrize("sort, index", [("top", "request_top_idx"), ("trending", "request_trending_idx")])
def test_the_sorted_board_page_is_an_index_scan(world_a, world_b, sort, index):
    fill(world_a)
    fill(world_b)  # another tenant's rows share the index; the tenant column leads it
    analyze()
    with tenant_context(world_a.tenant):
        page = selectors.request_list(membership(world_a.tenant, world_a.member), sort=sort)[:50]
        plan = page.explain()
        numbers = [r.number for r in page]
    assert index in plan, plan
    assert "Sort Key: featurerequest.vote_count" not in plan.replace('"', "").replace("requests_app_", "")
    key = "vote_count" if sort == "top" else "trend_score"
    with tenant_context(world_a.tenant):
        expected = list(
            FeatureRequest.objects.order_by(f"-{key}", "-id").values_list("number", flat=True)[:50]
        )
    assert numbers == expected
