"""Search through `SearchTerm` (PostgreSQL): the terms always equal the stored document's lexemes, a search
of plain words finds exactly what the full scan finds, and the term index is usable under row-level
security (the reason it exists: `@@` is not leakproof, so its GIN index is not)."""

from __future__ import annotations

import pytest
from django.db import connection
from psycopg import sql

from catalog import search, selectors, services
from catalog.models import Capability, SearchTerm
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.catalog.factories import make_capability
from tests.factories import make_team

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def terms_and_lexemes(capability: Capability) -> tuple[set[str], set[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(search_vector) FROM catalog_capability WHERE id = %s", [capability.pk]
        )
        lexemes = set(cursor.fetchone()[0])
    terms = set(SearchTerm.objects.filter(capability=capability).values_list("term", flat=True))
    return terms, lexemes


def test_terms_follow_the_document_through_create_update_and_tag_changes(world_a):
    cap = make_capability(world_a.tenant, world_a.team, name="Object Storage", summary="Buckets",
                          tags=["archival"])  # fmt: skip
    with tenant_context(world_a.tenant):
        terms, lexemes = terms_and_lexemes(cap)
        assert terms == lexemes and {"object", "storag", "bucket", "archiv"} <= terms
        services.capability_update(capability=cap, name="Blob Store", tags=["compatible"])
        terms, lexemes = terms_and_lexemes(cap)
        assert terms == lexemes and {"blob", "store", "compat"} <= terms
        assert not {"object", "archiv"} & terms
        assert SearchTerm.objects.filter(capability=cap).count() == len(terms)  # no duplicates


@pytest.fixture
def corpus(world_a, world_b):
    t, team = world_a.tenant, world_a.team
    for name, summary, tags in [
        ("Kafka Topics", "Self-service event streaming", ["messaging"]),
        ("Kafka Connect", "Connectors for your streams", ["messaging", "integration"]),
        ("Schema Registry", "Avro schemas for Kafka topics", []),
        ("Global DNS", "Managed zones and records", ["networking"]),
        ("Secrets Vault", "Dynamic database credentials", ["security"]),
        ("Postgres Clusters", "Managed PostgreSQL with backups", ["data"]),
        ("Airflow", "Batch workflows on a schedule", ["data"]),
        ("Kubernetes Namespaces", "Quota and policies per team", ["compute"]),
        ("Running Jobs 2024", "Cron replacement", ["compute"]),
        ("Café Booking", "Naïve scheduling for rooms", []),
    ]:
        make_capability(t, team, name=name, summary=summary, tags=tags)
    secret = make_team(t, "secret-team")
    make_capability(t, secret, name="Kafka Secret Mirror", summary="streams", visibility="teams",
                    visible_to_teams=[secret])  # fmt: skip
    make_capability(world_b.tenant, world_b.team, name="Kafka Elsewhere", summary="other tenant streams")
    return world_a


PLAIN = [
    "kafka", "kaf", "kafak", "kafka topics", "topics kafka", "streams", "stream", "the kafka", "managed",
    "secrts vault", "valut", "postgres", "running", "run", "2024", "café", "naive", "kubernetis", "data",
    "caf", "zzzz", "kafka zzzz", "for", "quota policies team", "avro kafka",
]  # fmt: skip


def found(membership, text: str) -> list[str]:
    return [c.name for c in selectors.capability_list(membership, q=text)]


@pytest.mark.parametrize("role", ["member", "admin"])
def test_plain_words_find_through_the_terms_exactly_what_the_full_scan_finds(corpus, monkeypatch, role):
    with tenant_context(corpus.tenant):
        membership = Membership.objects.get(user=getattr(corpus, role))
        by_terms = {text: found(membership, text) for text in PLAIN}
        used = {
            t for t in PLAIN if "catalog_searchterm" in str(selectors.capability_list(membership, q=t).query)
        }
        monkeypatch.setattr(search, "_matches_by_terms", lambda *args: None)
        full_scan = {text: found(membership, text) for text in PLAIN}
    assert by_terms == full_scan
    # The comparison means something: most texts took the term path, and they found things.
    assert used >= set(PLAIN) - {"the kafka", "for"}, set(PLAIN) - used
    assert by_terms["kafak"][0].startswith("Kafka") and "Kafka Elsewhere" not in by_terms["kafka"]
    assert by_terms["caf"] == ["Café Booking"]  # a prefix followed by a letter past "z"
    assert by_terms["running"] == by_terms["run"] == ["Running Jobs 2024"] and by_terms["zzzz"] == []
    assert ("Kafka Secret Mirror" in by_terms["kafka"]) == (role == "admin")


def test_search_syntax_and_stop_words_keep_the_full_scan(corpus):
    with tenant_context(corpus.tenant):
        membership = Membership.objects.get(user=corpus.member)
        for text in ['"kafka topics"', "kafka -connect", "kafka or dns", "for", "kafka-topics"]:
            query = str(selectors.capability_list(membership, q=text).query)
            assert "catalog_searchterm" not in query, text
        assert found(membership, '"kafka topics"') == ["Kafka Topics", "Schema Registry"]
        # Syntax is taken literally: an excluded word stays excluded, `or` widens.
        excluded = found(membership, "kafka -connect")
        assert "Kafka Connect" not in excluded and {"Kafka Topics", "Schema Registry"} <= set(excluded)
        assert {"Kafka Topics", "Kafka Connect", "Global DNS"} <= set(found(membership, "kafka or dns"))
        assert found(membership, "kafka -connect -schemas") == ["Kafka Topics"]
        assert found(membership, "for") == []  # a stop word: no full-text match, no name containing it


def test_the_term_index_is_used_under_row_level_security(world_a, world_b):
    """As the application role (policies apply): the candidates come from an index scan of
    search_term_idx, and the capabilities are read by primary key, not scanned."""
    for world in (world_a, world_b):
        with tenant_context(world.tenant):
            Capability.objects.bulk_create(
                [Capability(tenant=world.tenant, owner_team=world.team, name=f"Bulk {i} {w}",
                            slug=f"bulk-{i}", summary=f"Managed {w} for teams")
                 for i, w in enumerate(["kafka", "redis", "vault", "ingress", "tracing"] * 400)],
                batch_size=500,
            )  # fmt: skip
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE catalog_capability "
                    "SET search_vector = to_tsvector('english', name || ' ' || summary)"
                )
                cursor.execute(
                    "INSERT INTO catalog_searchterm (tenant_id, capability_id, term) SELECT tenant_id, id, "
                    "unnest(tsvector_to_array(search_vector)) FROM catalog_capability"
                )
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute("ANALYZE catalog_capability, catalog_searchterm, accounts_team")
        assert connection.app_user
        cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(connection.app_user)))
    with tenant_context(world_a.tenant):
        membership = Membership.objects.get(user=world_a.member)
        results = selectors.capability_list(membership, q="vault")
        plan = results[:50].explain()
        assert results.count() == 400
    assert "search_term_idx" in plan, plan
    assert "Seq Scan on catalog_capability" not in plan, plan
