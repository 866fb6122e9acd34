"""Votes are the board's most frequent write: `POST`/`DELETE /api/v1/requests/<n>/vote/` cost a constant,
small number of queries whatever the size of the board, answer from the row the locked write has (the same
body as reading the request again), and keep every rule: visibility (404 before the rate limit), one vote
per person, exact counts under concurrency."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.services import capability_archive
from portal.plugins.api import Role, plugins
from portal.tenancy.context import tenant_context
from requests_app.api.serializers import FeatureRequestSerializer
from requests_app.models import FeatureRequest, Vote
from requests_app.selectors import request_to_vote_on, visible_requests
from requests_app.services.votes import vote_cast
from tests.catalog.factories import make_capability
from tests.factories import add_member, make_team, make_user
from tests.requests_app.factories import make_members, make_request, membership, vote
from tests.requests_app.test_concurrency import run_together

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests/"

# Inside the test's transaction, the service's transaction is a savepoint (SAVEPOINT ... RELEASE, counted
# here); in production it is BEGIN ... COMMIT, which Django does not count. Without them: 8, 6, 6, 5.
# The visibility lookup is the locked read itself (`request_to_vote_on(lock=True)`): 10, 8, 8, 7 before.
VOTE_QUERIES = 9  # tenant, token, [locked read, insert, count update, follow], tags
VOTE_AGAIN_QUERIES = 7  # tenant, token, [locked read, insert that does nothing], tags
UNVOTE_QUERIES = 7  # tenant, token, [locked read, delete, count update]
UNVOTE_NONE_QUERIES = 6  # tenant, token, [locked read, delete that does nothing]


def api(world, role: str = "member") -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


@pytest.fixture
def kafka(world_a):
    return make_capability(world_a.tenant, world_a.team, name="Kafka Topics", slug="kafka-topics")


def stored(world, feature_request) -> tuple[int, int, float]:
    """(vote_count, vote rows, trend_score) as committed."""
    with tenant_context(world.tenant):
        row = FeatureRequest.objects.get(pk=feature_request.pk)
        return row.vote_count, Vote.objects.filter(request=feature_request).count(), row.trend_score


def test_vote_and_unvote_cost_a_constant_small_number_of_queries(world_a, kafka):
    client = api(world_a)
    assert client.post("/api/v1/inbox/read-all/").status_code == 200  # a token records its use once a minute

    def queries(method: str, number: int, expected_status: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(f"{URL}{number}/vote/")
        assert response.status_code == expected_status, response.content
        return len(captured)

    def one_round(number: int) -> tuple[int, int, int, int]:
        return (
            queries("post", number, 201),
            queries("post", number, 200),
            queries("delete", number, 204),
            queries("delete", number, 204),
        )

    def grow(n: int) -> None:
        people = make_members(world_a.tenant, 5)
        for i in range(n):
            item = make_request(
                world_a.tenant,
                world_a.admin,
                title=f"Grown request {i}",
                capability=kafka,
                tags=["x", f"t{i}"],
            )
            for user in people:
                vote(world_a.tenant, user, item)

    small = make_request(world_a.tenant, world_a.admin, title="Small board", capability=kafka, tags=["a"])
    expected = (VOTE_QUERIES, VOTE_AGAIN_QUERIES, UNVOTE_QUERIES, UNVOTE_NONE_QUERIES)
    assert one_round(small.number) == expected
    grow(10)
    big = make_request(world_a.tenant, world_a.admin, title="Bigger board", tags=["a", "b", "c"])
    for user in make_members(world_a.tenant, 20):
        vote(world_a.tenant, user, big)
    assert one_round(small.number) == expected
    assert one_round(big.number) == expected  # no capability, more votes and tags: the same


def test_the_vote_answer_is_the_request_as_read_again(world_a, kafka):
    feature_request = make_request(
        world_a.tenant, world_a.admin, title="Answer from the locked row", body="Needs **Avro**.",
        capability=kafka, tags=["schemas", "avro"],
    )  # fmt: skip
    for user in make_members(world_a.tenant, 3):
        vote(world_a.tenant, user, feature_request)
    client = api(world_a)
    detail = f"{URL}{feature_request.number}/"
    for expected_status in (201, 200):  # a new vote, then the same vote again
        response = client.post(detail + "vote/")
        assert response.status_code == expected_status
        answer, again = response.json(), client.get(detail).json()
        assert list(answer) == list(FeatureRequestSerializer.Meta.fields)
        assert answer["trending"] == pytest.approx(again.pop("trending"), abs=1e-3)  # computed at "now"
        answer.pop("trending")
        assert answer == again
        assert (
            answer["vote_count"] == 5 and answer["my_vote"] is True and answer["tags"] == ["avro", "schemas"]
        )
        assert answer["capability"] == "kafka-topics" and answer["author"] == world_a.admin.username
        assert answer["duplicate_of"] is None and "<strong>Avro</strong>" in answer["body_html"]
    count, rows, _ = stored(world_a, feature_request)
    assert count == rows == 5


def test_the_counts_a_vote_answers_are_the_stored_ones(world_a):
    feature_request = make_request(world_a.tenant, world_a.admin, title="Counts kept in step")
    voter = membership(world_a.tenant, world_a.member)
    with tenant_context(world_a.tenant):
        result = vote_cast(membership=voter, feature_request=feature_request)
        repeated = vote_cast(membership=voter, feature_request=feature_request)
    assert result.created is True and repeated.created is False
    for answered in (result.request, repeated.request):
        assert (answered.vote_count, answered.vote_count, answered.trend_score) == stored(
            world_a, feature_request
        )


def test_a_hidden_request_is_404_for_vote_and_unvote_before_the_rate_limit(world_a, world_b, monkeypatch):
    secret_team = make_team(world_a.tenant, "secret-team")
    hidden = make_capability(
        world_a.tenant, secret_team, name="Secret Beta", slug="secret-beta", visibility="teams",
        visible_to_teams=[secret_team],
    )  # fmt: skip
    secret = make_request(world_a.tenant, world_a.admin, title="Secret beta request", capability=hidden)
    visible = make_request(world_a.tenant, world_a.admin, title="Everyone sees this one")
    for i in range(2):
        make_request(world_b.tenant, world_b.admin, title=f"Beta filler request {i}")
    theirs = make_request(world_b.tenant, world_b.admin, title="Another tenant's request")
    assert theirs.number == 3  # a number tenant A never handed out: it must not reach B's request
    monkeypatch.setitem(plugins()["requests_app"].settings, "votes_per_hour", 1)
    client = api(world_a)
    for number in (secret.number, theirs.number, 9999):
        assert client.post(f"{URL}{number}/vote/").status_code == 404
        assert client.delete(f"{URL}{number}/vote/").status_code == 404
    # Nothing was written, and the 404s did not use up the limit: the one vote of the hour still counts.
    assert stored(world_a, secret)[:2] == (1, 1) and stored(world_b, theirs)[:2] == (1, 1)
    assert client.post(f"{URL}{visible.number}/vote/").status_code == 201
    assert client.delete(f"{URL}{visible.number}/vote/").status_code == 429
    assert api(world_a, "admin").post(f"{URL}{secret.number}/vote/").status_code == 200  # admins see it


def test_the_vote_target_follows_the_boards_visibility_rule_for_every_kind_of_reader(world_a):
    """`request_to_vote_on` decides one row with a shortcut; it must agree with `visible_requests` (the
    board's rule) for every reader and every kind of capability, archived and restricted ones included."""
    tenant = world_a.tenant
    owner_member, granted_member, outsider, viewer = (make_user(f"rule-{n}") for n in range(4))
    for user in (owner_member, granted_member, outsider):
        add_member(tenant, user)
    add_member(tenant, viewer, role=Role.VIEWER)
    owners = make_team(tenant, "rule-owners", members=[owner_member])
    granted = make_team(tenant, "rule-granted", members=[granted_member])
    open_to_all = make_capability(tenant, owners, name="Open To All", slug="open-to-all")
    restricted = make_capability(
        tenant, owners, name="Restricted", slug="restricted", visibility="teams", visible_to_teams=[granted]
    )
    nobody = make_team(tenant, "rule-nobody")
    restricted_archived = make_capability(
        tenant, owners, name="Restricted Old", slug="restricted-old", visibility="teams",
        visible_to_teams=[nobody],
    )  # fmt: skip
    requests = [
        make_request(tenant, world_a.admin, title="Filed against nothing"),
        make_request(tenant, world_a.admin, title="Filed against a tenant-wide one", capability=open_to_all),
        make_request(tenant, world_a.admin, title="Filed against a restricted one", capability=restricted),
        make_request(
            tenant, world_a.admin, title="Filed against an archived one", capability=restricted_archived
        ),
    ]
    with tenant_context(tenant):
        capability_archive(capability=restricted_archived)
    readers = [world_a.admin, world_a.member, owner_member, granted_member, outsider, viewer]
    seen = {}
    for user in readers:
        reader = membership(tenant, user)
        with tenant_context(tenant):
            for item in requests:
                board = visible_requests(reader).filter(number=item.number).exists()
                target = request_to_vote_on(reader, number=item.number)
                assert (target is not None) == board, (user.username, item.title)
                assert target is None or target.pk == item.pk
                with transaction.atomic():  # the vote services' locking read decides the same
                    locked = request_to_vote_on(reader, number=item.number, lock=True, for_answer=True)
                assert (locked is not None) == board and (locked is None or locked.pk == item.pk)
                seen[(user.username, item.number)] = board
        with tenant_context(tenant):
            assert request_to_vote_on(reader, number=9999) is None
    with tenant_context(tenant):
        assert request_to_vote_on(None, number=requests[0].number) is None
    # The matrix has both answers for restricted requests: the rule was exercised, not only its shortcut.
    assert seen[(outsider.username, requests[2].number)] is False
    assert seen[(granted_member.username, requests[2].number)] is True
    assert seen[(owner_member.username, requests[3].number)] is True
    assert seen[(granted_member.username, requests[3].number)] is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_each_answer_a_distinct_exact_count(world_a):
    """Under the row lock each vote knows the count it leaves: 30 people voting at once get 2..31, once
    each (the author's vote is the first)."""
    feature_request = make_request(world_a.tenant, world_a.admin, title="Concurrent answers")
    memberships = [membership(world_a.tenant, user) for user in make_members(world_a.tenant, 30)]

    def job(voter):
        def act() -> int:
            with tenant_context(world_a.tenant):
                return vote_cast(membership=voter, feature_request=feature_request).request.vote_count

        return act

    answered = run_together([job(m) for m in memberships])
    assert sorted(answered) == list(range(2, 32)), answered
    count, rows, _ = stored(world_a, feature_request)
    assert count == rows == 31
