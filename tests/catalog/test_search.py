"""Ranked search: PostgreSQL full-text with weights and trigram typos; SQLite containment fallback."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog import selectors
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.catalog.factories import make_capability

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(world_a):
    t, team = world_a.tenant, world_a.team
    make_capability(t, team, name="Kafka Topics", summary="Self-service event streaming", tags=["messaging"])
    make_capability(t, team, name="Schema Registry", summary="Avro schemas",
                    description="Schemas for your Kafka topics live here.")  # fmt: skip
    make_capability(t, team, name="Global DNS", summary="Managed zones", tags=["networking"])
    make_capability(t, team, name="Secrets Vault", summary="Dynamic database credentials", tags=["security"])
    return world_a


def search(world, text: str) -> list[str]:
    with tenant_context(world.tenant):
        membership = Membership.objects.get(user=world.member)
        return [c.name for c in selectors.capability_list(membership, q=text)]


def test_name_matches_rank_above_description_matches(corpus):
    assert search(corpus, "kafka") == ["Kafka Topics", "Schema Registry"]


def test_tags_and_summary_are_searched(corpus):
    assert search(corpus, "networking") == ["Global DNS"]
    assert search(corpus, "credentials") == ["Secrets Vault"]


def test_no_match_and_odd_input_are_harmless(corpus):
    assert search(corpus, "zzzzqqq") == []
    assert search(corpus, "'); drop table catalog_capability; --") == []
    assert search(corpus, "&|!:*()") == []


@pytest.mark.postgres
def test_postgres_uses_the_stored_vector_stems_and_tolerates_typos(corpus):
    assert connection.vendor == "postgresql"
    assert search(corpus, "streams") == ["Kafka Topics"]  # stemming: streams ~ streaming
    assert search(corpus, "kafak")[:1] == ["Kafka Topics"]  # trigram similarity on the name
    assert search(corpus, "secrts vault")[:1] == ["Secrets Vault"]
    assert search(corpus, "kaf")[:1] == ["Kafka Topics"]  # prefix while typing


@pytest.mark.postgres
def test_postgres_has_the_gin_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'catalog_capability'")
        defs = " ".join(row[0] for row in cursor.fetchall())
    assert "USING gin (search_vector)" in defs and "gin_trgm_ops" in defs
