"""Search beyond the basics: weights, a stale-free stored document, hostile input, paging ranked results."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog import selectors, services
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.catalog.factories import make_capability

pytestmark = pytest.mark.django_db
API = "/api/v1/capabilities/"

# Input a search box receives from real people and from fuzzers: tsquery operators, quotes, accents,
# scripts without spaces, lone surrogates' neighbours, superscripts (isalnum() but not a tsquery word).
ODD_INPUT = [
    "²", "x² + y²", "ǅemal", "東京 データ", "naïve café", "straße", "ﬁle", "🙂", "kafka:*", "a & b | !c",
    "'quoted'", '"unterminated', "<->", "(((", "\\", "%_%", "--", "a" * 300, " ", "\t\n", "AND OR NOT",
]  # fmt: skip


def names(world, text: str, role: str = "member") -> list[str]:
    with tenant_context(world.tenant):
        membership = Membership.objects.get(user=getattr(world, role))
        return [c.name for c in selectors.capability_list(membership, q=text)]


@pytest.mark.parametrize("text", ODD_INPUT)
def test_odd_input_never_errors_on_page_or_api(world_a, login, text):
    make_capability(world_a.tenant, world_a.team, name="Kafka Topics", summary="streams", tags=["kafka"])
    page = login(world_a.member).get("/t/alpha/catalog/", {"q": text})
    assert page.status_code == 200
    api = Client(headers={"Authorization": f"Bearer {world_a.tokens['member']}"})
    assert api.get(API, {"search": text}).status_code == 200


def test_search_follows_updates_and_tag_changes(world_a):
    cap = make_capability(world_a.tenant, world_a.team, name="Object Storage", summary="Buckets")
    with tenant_context(world_a.tenant):
        services.capability_update(capability=cap, name="Blob Store", summary="S3 compatible")
        services.capability_set_tags(capability=cap, tags=["buckets", "archival"])
    assert names(world_a, "blob") == ["Blob Store"]
    assert names(world_a, "archival") == ["Blob Store"]
    assert names(world_a, "compatible") == ["Blob Store"]
    assert names(world_a, "object storage") == []


def test_archived_and_hidden_capabilities_never_match(world_a):
    from tests.factories import make_team

    hidden_team = make_team(world_a.tenant, "hidden-team")
    make_capability(
        world_a.tenant, hidden_team, name="Secret Ledger", visibility="teams", visible_to_teams=[hidden_team]
    )
    old = make_capability(world_a.tenant, world_a.team, name="Ledger Classic")
    with tenant_context(world_a.tenant):
        services.capability_archive(capability=old)
    assert names(world_a, "ledger") == []
    assert names(world_a, "ledger", role="admin") == ["Secret Ledger"]


def test_sqlite_fallback_and_postgres_both_search_tags_and_category(world_a):
    make_capability(world_a.tenant, world_a.team, name="Zones", category="Networking", tags=["dns"])
    make_capability(world_a.tenant, world_a.team, name="Queues", category="Messaging")
    assert names(world_a, "dns") == ["Zones"]
    assert names(world_a, "networking") == ["Zones"]


@pytest.mark.postgres
def test_postgres_weights_rank_name_then_summary_and_tags_then_description(world_a):
    t, team = world_a.tenant, world_a.team
    make_capability(t, team, name="Runbooks", summary="Where incidents get written down",
                    description="Mentions tracing once.")  # fmt: skip
    make_capability(t, team, name="Span Collector", summary="Distributed tracing for every service")
    make_capability(t, team, name="Tracing", summary="Jaeger as a service")
    assert names(world_a, "tracing") == ["Tracing", "Span Collector", "Runbooks"]


@pytest.mark.postgres
def test_postgres_typos_match_names_but_not_noise(world_a):
    t, team = world_a.tenant, world_a.team
    make_capability(t, team, name="Kubernetes Namespaces")
    make_capability(t, team, name="Global DNS")
    make_capability(t, team, name="Secrets Vault")
    assert names(world_a, "kubernetis")[:1] == ["Kubernetes Namespaces"]
    assert names(world_a, "namespces")[:1] == ["Kubernetes Namespaces"]
    assert names(world_a, "valut")[:1] == ["Secrets Vault"]
    assert "Global DNS" not in names(world_a, "kubernetis")


@pytest.mark.postgres
def test_postgres_ranked_search_pages_through_the_api_cursor_without_gaps(world_a):
    for i in range(7):
        make_capability(world_a.tenant, world_a.team, name=f"Tracing {i}", summary="tracing " * (i + 1))
    make_capability(world_a.tenant, world_a.team, name="Unrelated")
    api = Client(headers={"Authorization": f"Bearer {world_a.tokens['member']}"})
    seen, url, params = [], API, {"search": "tracing", "page_size": 2}
    while url:
        body = api.get(url, params).json()
        seen += [c["name"] for c in body["results"]]
        url, params = body["next"], None
    assert sorted(seen) == [f"Tracing {i}" for i in range(7)]
    assert len(seen) == len(set(seen)) == 7
