"""Search on the embedded SQLite default matches words in any order and field, with a bounded typo
tolerance; PostgreSQL keeps its ranked full-text (tests/catalog/test_search.py)."""

from __future__ import annotations

import pytest

from catalog import search, selectors
from catalog.models import Capability
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.catalog.factories import make_capability

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(world_a):
    t, team = world_a.tenant, world_a.team
    make_capability(t, team, name="Kubernetes Clusters", summary="Managed clusters with a quota per team",
                    description="Namespaces are created on request.", tags=["compute"])  # fmt: skip
    make_capability(t, team, name="Kafka Topics", summary="Self-service event streaming", tags=["messaging"])
    make_capability(t, team, name="Namespaces Registry", summary="Names of things")
    return world_a


def words(world, text: str) -> list[str]:
    """The SQLite path, called directly so it is tested on either database."""
    with tenant_context(world.tenant):
        return [c.name for c in search.apply_words(Capability.objects.all(), text)]


def test_every_word_anywhere_in_any_order(corpus):
    assert words(corpus, "namespaces quota") == ["Kubernetes Clusters"]
    assert words(corpus, "quota namespaces") == ["Kubernetes Clusters"]
    assert words(corpus, "namespaces") == ["Namespaces Registry", "Kubernetes Clusters"]  # name first
    assert words(corpus, "namespaces kafka") == []


def test_one_typo_in_a_long_word_is_forgiven(corpus):
    assert words(corpus, "kafak") == ["Kafka Topics"]  # swapped letters
    assert words(corpus, "namespcaes quota") == ["Kubernetes Clusters"]
    assert words(corpus, "clusers") == ["Kubernetes Clusters"]  # a missing letter
    assert words(corpus, "kfka") == []  # short words must be exact: too many near misses otherwise
    assert words(corpus, "kaffkaa") == []  # two edits away


def test_odd_input_is_harmless(corpus):
    assert words(corpus, "&|!:*()") == []
    assert words(corpus, "'); drop table catalog_capability; --") == []


def test_the_default_database_path_uses_words(corpus, settings):
    with tenant_context(corpus.tenant):
        member = Membership.objects.get(user=corpus.member)
        found = [c.name for c in selectors.capability_list(member, q="namespaces quota")]
    assert "Kubernetes Clusters" in found  # SQLite: words; PostgreSQL: its ranked full text


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [("kafka", "kafak", True), ("quota", "quotas", True), ("quota", "qota", True), ("quota", "quote", True),
     ("quota", "queta1", False), ("abcde", "badce", False)],
)  # fmt: skip
def test_within_one_edit(a, b, close):
    assert search.within_one_edit(a, b) is close
