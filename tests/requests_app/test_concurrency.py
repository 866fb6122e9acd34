"""Exact counts under real concurrency on PostgreSQL: threads with their own connections, started together."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from portal.tenancy.context import tenant_context
from requests_app import services
from requests_app.models import FeatureRequest, Vote
from tests.catalog.factories import make_capability
from tests.requests_app.factories import make_members, make_request, membership, vote

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Start every job at the same instant (a barrier), each in its own thread and connection."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(i: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(60)
            results[i] = job()
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def counts(world, feature_request) -> tuple[int, int]:
    with tenant_context(world.tenant):
        stored = FeatureRequest.objects.get(pk=feature_request.pk).vote_count
        return stored, Vote.objects.filter(request=feature_request).count()


def test_fifty_concurrent_votes_and_unvotes_leave_the_count_equal_to_the_rows(world_a):
    fr = make_request(world_a.tenant, world_a.member, title="Concurrent voting target")
    people = make_members(world_a.tenant, 50)
    for user in people[:25]:
        vote(world_a.tenant, user, fr)
    assert counts(world_a, fr) == (26, 26)
    memberships = [membership(world_a.tenant, u) for u in people]

    def job(i: int) -> Callable[[], bool]:
        def act() -> bool:
            with tenant_context(world_a.tenant):
                # The first 25 take their vote back, the other 25 vote: every call changes the count.
                action = services.vote_remove if i < 25 else services.vote_add
                return action(membership=memberships[i], feature_request=fr)

        return act

    results = run_together([job(i) for i in range(50)])
    assert results == [True] * 50, [r for r in results if r is not True][:3]
    assert counts(world_a, fr) == (26, 26)  # the author + the 25 new voters
    with tenant_context(world_a.tenant):
        voters = set(Vote.objects.filter(request=fr).values_list("user_id", flat=True))
    assert voters == {world_a.member.pk, *(u.pk for u in people[25:])}


def test_the_same_person_voting_twenty_times_at_once_counts_once(world_a):
    fr = make_request(world_a.tenant, world_a.member, title="Double click storm")
    m = membership(world_a.tenant, world_a.maintainer)

    def act() -> bool:
        with tenant_context(world_a.tenant):
            return services.vote_add(membership=m, feature_request=fr)

    results = run_together([act] * 20)
    assert results.count(True) == 1 and results.count(False) == 19
    assert counts(world_a, fr) == (2, 2)


def test_concurrent_filings_get_distinct_consecutive_numbers(world_a):
    people = make_members(world_a.tenant, 12)
    memberships = [membership(world_a.tenant, u) for u in people]

    def job(i: int) -> Callable[[], int]:
        def act() -> int:
            with tenant_context(world_a.tenant):
                return services.request_create(membership=memberships[i], title=f"Parallel idea {i}").number

        return act

    numbers = run_together([job(i) for i in range(12)])
    assert sorted(numbers) == list(range(1, 13))


def test_votes_racing_a_merge_end_up_counted_exactly_once_somewhere(world_a):
    capability = make_capability(world_a.tenant, world_a.team)
    source = make_request(world_a.tenant, world_a.member, capability=capability, title="Source of the merge")
    target = make_request(world_a.tenant, world_a.admin, capability=capability, title="Target of the merge")
    people = make_members(world_a.tenant, 20)
    memberships = [membership(world_a.tenant, u) for u in people]
    maintainer = membership(world_a.tenant, world_a.maintainer)

    def voter(i: int) -> Callable[[], object]:
        def act() -> object:
            with tenant_context(world_a.tenant):
                try:
                    return services.vote_add(membership=memberships[i], feature_request=source)
                except ValidationError:
                    return "closed"

        return act

    def merger() -> object:
        with tenant_context(world_a.tenant):
            return services.request_merge(membership=maintainer, source=source, target=target)

    results = run_together([voter(i) for i in range(20)] + [merger])
    assert not [r for r in results if isinstance(r, Exception)]
    accepted = results[:20].count(True)
    assert accepted + results[:20].count("closed") == 20
    # Every accepted vote was moved (or cast before the merge); refused ones were never written.
    assert counts(world_a, source) == (0, 0)
    assert counts(world_a, target) == (2 + accepted, 2 + accepted)
