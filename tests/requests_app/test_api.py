"""`/api/v1/requests/`: the board through the API. Same services and permissions as the pages, 404 for what
the caller may not see, 400 with `fields` for bad input, 403 for a role that may not, 429 over the limits."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.plugins.api import plugins
from portal.tenancy.context import tenant_context
from requests_app import services
from requests_app.models import Comment, FeatureRequest, Vote
from tests.catalog.factories import make_capability
from tests.factories import make_team
from tests.requests_app.factories import make_members, make_request, membership, vote

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests/"
JSON = "application/json"


def api(world, role: str = "member") -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def fresh(world, number: int) -> FeatureRequest:
    with tenant_context(world.tenant):
        return FeatureRequest.objects.get(number=number)


def count_requests(world) -> int:
    with tenant_context(world.tenant):
        return FeatureRequest.objects.count()


def set_status(world, feature_request, status: str, note: str = "") -> None:
    with tenant_context(world.tenant):
        services.request_set_status(
            membership=membership(world.tenant, world.admin),
            feature_request=feature_request,
            status=status,
            note=note,
        )


def numbers(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["results"]]


@pytest.fixture
def kafka(world_a):
    return make_capability(world_a.tenant, world_a.team, name="Kafka Topics", slug="kafka-topics")


@pytest.fixture
def hidden(world_a):
    """A beta capability only its own team sees; the world's member and maintainer are not in that team."""
    secret_team = make_team(world_a.tenant, "secret-team")
    return make_capability(
        world_a.tenant,
        secret_team,
        name="Secret Beta",
        slug="secret-beta",
        visibility="teams",
        visible_to_teams=[secret_team],
    )


# -- filing, reading, editing ------------------------------------------------------------------------------


def test_create_then_retrieve_by_number(world_a, kafka):
    client = api(world_a)
    created = client.post(
        URL,
        {"title": "  Validate schemas  ", "body": "Check **Avro**.", "capability": "kafka-topics",
         "tags": ["Schemas", "avro", "avro"]},
        content_type=JSON,
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"] == 1 and body["title"] == "Validate schemas"
    assert body["capability"] == "kafka-topics" and body["author"] == world_a.member.username
    assert body["tags"] == ["avro", "schemas"] and body["status"] == "new"
    # The author's own vote is counted and shown as theirs.
    assert body["vote_count"] == 1 and body["my_vote"] is True and body["trending"] > 0.9
    assert "<strong>Avro</strong>" in body["body_html"]
    assert body["url"] == f"/t/{world_a.tenant.slug}/requests/1/"
    assert body["duplicate_of"] is None and body["comment_count"] == 0

    second = client.post(URL, {"title": "Another request here"}, content_type=JSON).json()
    assert second["number"] == 2 and second["capability"] is None and second["tags"] == []

    got = api(world_a, "viewer").get(URL + "1/")
    assert got.status_code == 200
    assert got.json()["title"] == "Validate schemas" and got.json()["my_vote"] is False
    assert api(world_a, "viewer").get(URL + "3/").status_code == 404


def test_create_validation_is_400_with_fields_and_writes_nothing(world_a, kafka, hidden):
    client = api(world_a)
    short = client.post(URL, {"title": "Hi"}, content_type=JSON)
    assert short.status_code == 400 and "title" in short.json()["error"]["fields"]
    unknown = client.post(URL, {"title": "Valid title", "capability": "nope"}, content_type=JSON)
    assert unknown.status_code == 400 and "capability" in unknown.json()["error"]["fields"]
    # A capability the member cannot see is refused like one that does not exist.
    unseen = client.post(URL, {"title": "Valid title", "capability": "secret-beta"}, content_type=JSON)
    assert unseen.status_code == 400
    assert unseen.json()["error"]["fields"]["capability"] == ["There is no capability 'secret-beta'."]
    assert unknown.json()["error"]["fields"]["capability"] == ["There is no capability 'nope'."]
    long_body = client.post(URL, {"title": "Valid title", "body": "x" * 20_001}, content_type=JSON)
    assert long_body.status_code == 400 and "body" in long_body.json()["error"]["fields"]
    many_tags = client.post(
        URL, {"title": "Valid title", "tags": [f"t{i}" for i in range(11)]}, content_type=JSON
    )
    assert many_tags.status_code == 400 and "tags" in many_tags.json()["error"]["fields"]
    # PostgreSQL refuses a NUL character even in a lookup: a 400 like any unknown capability, not a 500.
    nul = client.post(URL, {"title": "Valid title", "capability": "kafka-topics\x00"}, content_type=JSON)
    assert nul.status_code == 400 and "capability" in nul.json()["error"]["fields"]
    assert count_requests(world_a) == 0


def test_author_edits_own_open_request_others_cannot(world_a, kafka):
    mine = make_request(world_a.tenant, world_a.member, title="Original title", tags=["a"])
    url = f"{URL}{mine.number}/"
    patched = api(world_a).patch(url, {"title": "Better title", "tags": ["b", "c"]}, content_type=JSON)
    assert patched.status_code == 200, patched.content
    assert patched.json()["title"] == "Better title" and patched.json()["tags"] == ["b", "c"]
    moved = api(world_a).patch(url, {"capability": "kafka-topics"}, content_type=JSON)
    assert moved.json()["capability"] == "kafka-topics" and moved.json()["title"] == "Better title"
    assert api(world_a).patch(url, {"capability": None}, content_type=JSON).json()["capability"] is None

    other = api(world_a, "maintainer").patch(url, {"title": "Hijacked title"}, content_type=JSON)
    assert other.status_code == 403  # no capability: only tenant admins triage it
    assert fresh(world_a, mine.number).title == "Better title"
    assert api(world_a, "admin").patch(url, {"body": "More."}, content_type=JSON).status_code == 200
    assert api(world_a).put(url, {"title": "Whole title"}, content_type=JSON).status_code == 405
    assert api(world_a).delete(url).status_code == 405
    assert count_requests(world_a) == 1


def test_list_filters(world_a, kafka, hidden):
    other_team = make_team(world_a.tenant, "other-team")
    helm = make_capability(world_a.tenant, other_team, name="Helm Charts", slug="helm-charts")
    k1 = make_request(
        world_a.tenant, world_a.member, title="Kafka schema checks", capability=kafka, tags=["schemas"]
    )
    k2 = make_request(world_a.tenant, world_a.admin, title="Kafka naming rules", capability=kafka)
    h1 = make_request(
        world_a.tenant, world_a.admin, title="Charts in OCI registry", capability=helm, tags=["oci"]
    )
    general = make_request(world_a.tenant, world_a.admin, title="One status page please")
    secret = make_request(world_a.tenant, world_a.admin, title="Secret thing wanted", capability=hidden)
    vote(world_a.tenant, world_a.member, h1)
    set_status(world_a, k2, "declined")
    client = api(world_a)

    everything = numbers(client.get(URL))
    assert set(everything) == {k1.number, k2.number, h1.number, general.number}  # not the hidden one
    assert secret.number in numbers(api(world_a, "admin").get(URL))
    assert set(numbers(client.get(URL, {"capability": "kafka-topics"}))) == {k1.number, k2.number}
    assert numbers(client.get(URL, {"capability": "secret-beta"})) == []
    assert numbers(client.get(URL, {"status": "declined"})) == [k2.number]
    assert k2.number not in numbers(client.get(URL, {"status": "open"}))
    assert numbers(client.get(URL, {"status": "closed"})) == [k2.number]
    assert numbers(client.get(URL, {"tag": "oci"})) == [h1.number]
    assert numbers(client.get(URL, {"team": "other-team"})) == [h1.number]
    assert numbers(client.get(URL, {"mine": "true"})) == [k1.number]
    assert set(numbers(client.get(URL, {"voted": "true"}))) == {k1.number, h1.number}
    assert numbers(client.get(URL, {"search": "registry"})) == [h1.number]
    assert numbers(client.get(URL, {"search": "secret"})) == []  # search never reaches the hidden one
    for bad in ({"status": "bogus"}, {"ordering": "random"}, {"mine": "perhaps"}):
        response = client.get(URL, bad)
        assert response.status_code == 400 and set(bad) <= set(response.json()["error"]["fields"]), bad


def test_list_orderings_and_cursor_pagination(world_a):
    voters = make_members(world_a.tenant, 3)
    first = make_request(world_a.tenant, world_a.admin, title="Oldest but most wanted")
    middle = make_request(world_a.tenant, world_a.admin, title="Middle request of three")
    last = make_request(world_a.tenant, world_a.admin, title="Newest request of three")
    for user in voters:
        vote(world_a.tenant, user, first)
    vote(world_a.tenant, voters[0], middle)
    # One recent burst of votes outweighs many older ones: trending puts `middle` first, top does not.
    recent = fresh(world_a, first.number).trend_score * 10
    with tenant_context(world_a.tenant):
        FeatureRequest.objects.filter(pk=middle.pk).update(trend_score=recent)
    client = api(world_a)
    assert numbers(client.get(URL)) == [first.number, middle.number, last.number]
    assert numbers(client.get(URL, {"ordering": "top"})) == [first.number, middle.number, last.number]
    assert numbers(client.get(URL, {"ordering": "newest"})) == [last.number, middle.number, first.number]
    assert numbers(client.get(URL, {"ordering": "trending"})) == [middle.number, first.number, last.number]
    with tenant_context(world_a.tenant):
        services.request_update(
            membership=membership(world_a.tenant, world_a.admin), feature_request=first, body="touched"
        )
    assert numbers(client.get(URL, {"ordering": "updated"}))[0] == first.number

    for i in range(4):
        make_request(world_a.tenant, world_a.admin, title=f"Filler request {i}")
    seen, url = [], URL + "?page_size=3&ordering=newest"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 3
        seen += [r["number"] for r in page["results"]]
        url = page["next"]
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 7


# -- votes ---------------------------------------------------------------------------------------------------


def test_vote_and_unvote_are_idempotent_and_counted_exactly(world_a):
    feature_request = make_request(world_a.tenant, world_a.admin, title="Vote on this one")
    url = f"{URL}{feature_request.number}/vote/"
    client = api(world_a)
    first = client.post(url)
    assert first.status_code == 201 and first.json()["vote_count"] == 2 and first.json()["my_vote"] is True
    again = client.post(url)
    assert again.status_code == 200 and again.json()["vote_count"] == 2
    assert client.delete(url).status_code == 204
    assert client.get(f"{URL}{feature_request.number}/").json()["vote_count"] == 1
    assert client.delete(url).status_code == 204
    body = client.get(f"{URL}{feature_request.number}/").json()
    assert body["vote_count"] == 1 and body["my_vote"] is False
    with tenant_context(world_a.tenant):
        assert Vote.objects.filter(request=feature_request).count() == 1


def test_voting_is_closed_on_a_shipped_request(world_a):
    feature_request = make_request(world_a.tenant, world_a.admin, title="Already shipped one")
    set_status(world_a, feature_request, "shipped")
    url = f"{URL}{feature_request.number}/vote/"
    response = api(world_a).post(url)
    assert response.status_code == 400
    assert "closed" in " ".join(response.json()["error"]["fields"]["vote"]).lower()
    assert api(world_a, "admin").delete(url).status_code == 400  # the author's vote stays
    assert fresh(world_a, feature_request.number).vote_count == 1


def test_viewers_read_but_never_write(world_a, kafka):
    feature_request = make_request(
        world_a.tenant, world_a.member, title="Readable by viewers", capability=kafka
    )
    viewer = api(world_a, "viewer")
    base = f"{URL}{feature_request.number}/"
    assert viewer.get(URL).status_code == 200 and viewer.get(base).status_code == 200
    assert viewer.get(base + "comments/").status_code == 200
    attempts = [
        viewer.post(URL, {"title": "Viewer wants this"}, content_type=JSON),
        viewer.patch(base, {"title": "Viewer edit here"}, content_type=JSON),
        viewer.post(base + "vote/"),
        viewer.delete(base + "vote/"),
        viewer.post(base + "comments/", {"body": "hello"}, content_type=JSON),
        viewer.post(base + "status/", {"status": "planned"}, content_type=JSON),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert attempts[0].json()["error"]["code"] == "permission_denied"
    assert count_requests(world_a) == 1
    with tenant_context(world_a.tenant):
        assert Vote.objects.count() == 1 and Comment.objects.count() == 0
    assert Client().get(URL).status_code in (401, 403)


def test_maintainers_record_votes_on_behalf(world_a, kafka):
    feature_request = make_request(
        world_a.tenant, world_a.admin, title="Heard in the meeting", capability=kafka
    )
    url = f"{URL}{feature_request.number}/votes/record/"
    client = api(world_a, "maintainer")
    body = {"username": world_a.member.username, "note": "Said so at the sync"}
    recorded = client.post(url, body, content_type=JSON)
    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["vote_count"] == 2 and recorded.json()["my_vote"] is False
    assert client.post(url, body, content_type=JSON).status_code == 200
    with tenant_context(world_a.tenant):
        vote_row = Vote.objects.get(request=feature_request, user=world_a.member)
        assert vote_row.recorded_by_id == world_a.maintainer.pk and vote_row.note == "Said so at the sync"
    assert api(world_a).post(url, body, content_type=JSON).status_code == 403
    for username in ("nobody-here", world_a.viewer.username):
        refused = client.post(url, {"username": username}, content_type=JSON)
        assert refused.status_code == 400 and "username" in refused.json()["error"]["fields"]
    assert fresh(world_a, feature_request.number).vote_count == 2


def test_demand_by_team_is_for_the_owning_team(world_a, kafka):
    feature_request = make_request(
        world_a.tenant, world_a.admin, title="Who wants this most", capability=kafka
    )
    vote(world_a.tenant, world_a.member, feature_request)
    vote(world_a.tenant, world_a.maintainer, feature_request)
    url = f"{URL}{feature_request.number}/demand/"
    response = api(world_a, "maintainer").get(url)
    assert response.status_code == 200
    assert response.json() == [
        {"team": world_a.team.slug, "team_name": world_a.team.name, "voters": 2},
        {"team": None, "team_name": None, "voters": 1},  # the tenant admin is in no team
    ]
    assert api(world_a, "admin").get(url).status_code == 200
    assert api(world_a, "member").get(url).status_code == 403
    assert api(world_a, "viewer").get(url).status_code == 403


# -- triage --------------------------------------------------------------------------------------------------


def test_status_transitions_and_history(world_a, kafka):
    feature_request = make_request(world_a.tenant, world_a.member, title="Move me along", capability=kafka)
    url = f"{URL}{feature_request.number}/status/"
    client = api(world_a, "maintainer")
    planned = client.post(url, {"status": "planned", "note": "Next **quarter**."}, content_type=JSON)
    assert planned.status_code == 200 and planned.json()["status"] == "planned"
    assert api(world_a).post(url, {"status": "in_progress"}, content_type=JSON).status_code == 403

    illegal = client.post(url, {"status": "new"}, content_type=JSON)
    assert illegal.status_code == 400
    message = " ".join(illegal.json()["error"]["fields"]["status"])
    assert "cannot move to new" in message and "in progress" in message
    duplicate = client.post(url, {"status": "duplicate"}, content_type=JSON)
    assert duplicate.status_code == 400 and "merge" in " ".join(duplicate.json()["error"]["fields"]["status"])
    assert client.post(url, {"status": "nonsense"}, content_type=JSON).status_code == 400
    assert fresh(world_a, feature_request.number).status == "planned"

    history = api(world_a, "viewer").get(f"{URL}{feature_request.number}/history/")
    assert history.status_code == 200
    entries = history.json()
    assert [(e["from_status"], e["to_status"]) for e in entries] == [("new", "planned")]
    assert entries[0]["actor"] == world_a.maintainer.username
    assert "<strong>quarter</strong>" in entries[0]["note_html"]


def test_merge_moves_votes_counting_each_person_once(world_a, kafka):
    alice, bob, carol = make_members(world_a.tenant, 3)
    source = make_request(world_a.tenant, world_a.member, title="Kafka quotas please", capability=kafka)
    target = make_request(world_a.tenant, world_a.admin, title="Kafka quota self service", capability=kafka)
    for user in (alice, bob):
        vote(world_a.tenant, user, source)
    for user in (bob, carol):
        vote(world_a.tenant, user, target)
    # source: member, alice, bob; target: admin, bob, carol -> five distinct people
    url = f"{URL}{source.number}/merge/"
    client = api(world_a, "maintainer")

    assert api(world_a).post(url, {"into": target.number}, content_type=JSON).status_code == 403
    unknown = client.post(url, {"into": 999}, content_type=JSON)
    assert unknown.status_code == 400 and "into" in unknown.json()["error"]["fields"]
    itself = client.post(url, {"into": source.number}, content_type=JSON)
    assert itself.status_code == 400 and "into" in itself.json()["error"]["fields"]

    merged = client.post(url, {"into": target.number, "note": "Same thing."}, content_type=JSON)
    assert merged.status_code == 200, merged.content
    assert merged.json()["number"] == target.number and merged.json()["vote_count"] == 5
    closed = client.get(f"{URL}{source.number}/").json()
    assert closed["status"] == "duplicate" and closed["duplicate_of"] == target.number
    assert closed["vote_count"] == 0
    with tenant_context(world_a.tenant):
        assert Vote.objects.filter(request=target).count() == 5
    assert api(world_a).post(f"{URL}{source.number}/vote/").status_code == 400
    history = client.get(f"{URL}{target.number}/history/").json()
    assert [(e["kind"], e["related"]) for e in history] == [("merged_in", source.number)]


def test_merge_into_a_request_the_caller_cannot_see_is_unknown(world_a, kafka, hidden):
    source = make_request(world_a.tenant, world_a.member, title="Visible duplicate", capability=kafka)
    unseen = make_request(world_a.tenant, world_a.admin, title="Hidden original", capability=hidden)
    response = api(world_a, "maintainer").post(
        f"{URL}{source.number}/merge/", {"into": unseen.number}, content_type=JSON
    )
    assert response.status_code == 400 and "into" in response.json()["error"]["fields"]
    assert fresh(world_a, source.number).status == "new"
    assert api(world_a, "maintainer").get(f"{URL}{unseen.number}/").status_code == 404


# -- comments ------------------------------------------------------------------------------------------------


def test_comments_internal_notes_edit_and_soft_delete(world_a, kafka):
    feature_request = make_request(world_a.tenant, world_a.admin, title="Discuss this one", capability=kafka)
    base = f"{URL}{feature_request.number}/comments/"
    member, maintainer = api(world_a), api(world_a, "maintainer")

    mine = member.post(base, {"body": "Same for *us*."}, content_type=JSON)
    assert mine.status_code == 201, mine.content
    assert mine.json()["author"] == world_a.member.username and "<em>us</em>" in mine.json()["body_html"]
    note = maintainer.post(base, {"body": "Capacity agreed.", "internal": True}, content_type=JSON)
    official = maintainer.post(base, {"body": "We will do it.", "official": True}, content_type=JSON)
    assert note.status_code == 201 and official.status_code == 201
    refused = member.post(base, {"body": "Sneaky note", "internal": True}, content_type=JSON)
    assert refused.status_code == 400 and "internal" in refused.json()["error"]["fields"]

    assert [c["id"] for c in member.get(base).json()] == [mine.json()["id"], official.json()["id"]]
    assert len(maintainer.get(base).json()) == 3
    assert member.get(f"{base}{note.json()['id']}/").status_code == 404
    assert member.patch(f"{base}{note.json()['id']}/", {"body": "x"}, content_type=JSON).status_code == 404
    assert maintainer.get(f"{base}{note.json()['id']}/").json()["internal"] is True
    assert fresh(world_a, feature_request.number).comment_count == 2  # internal notes are not counted

    own = f"{base}{mine.json()['id']}/"
    edited = member.patch(own, {"body": "Same for us, edited."}, content_type=JSON)
    assert edited.status_code == 200 and edited.json()["body"] == "Same for us, edited."
    assert edited.json()["edited_at"] is not None
    theirs = f"{base}{official.json()['id']}/"
    assert member.patch(theirs, {"body": "Rewritten"}, content_type=JSON).status_code == 403
    assert member.delete(theirs).status_code == 403
    assert maintainer.patch(own, {"body": "Rewritten"}, content_type=JSON).status_code == 403

    assert member.delete(own).status_code == 204
    trace = next(c for c in member.get(base).json() if c["id"] == mine.json()["id"])
    assert trace["body"] is None and trace["body_html"] is None
    assert trace["deleted_by"] == world_a.member.username and trace["deleted_at"] is not None
    assert fresh(world_a, feature_request.number).comment_count == 1
    with tenant_context(world_a.tenant):
        assert Comment.objects.get(pk=mine.json()["id"]).body == "Same for us, edited."  # soft: row kept
    # A maintainer of the owning team may delete anyone's comment.
    other = member.post(base, {"body": "Off topic"}, content_type=JSON).json()
    assert maintainer.delete(f"{base}{other['id']}/").status_code == 204


def test_a_comment_is_only_found_under_its_own_request(world_a):
    first = make_request(world_a.tenant, world_a.admin, title="First with comment")
    second = make_request(world_a.tenant, world_a.admin, title="Second without any")
    posted = api(world_a).post(f"{URL}{first.number}/comments/", {"body": "Hi"}, content_type=JSON).json()
    assert api(world_a).get(f"{URL}{first.number}/comments/{posted['id']}/").status_code == 200
    assert api(world_a).get(f"{URL}{second.number}/comments/{posted['id']}/").status_code == 404
    wrong = api(world_a).delete(f"{URL}{second.number}/comments/{posted['id']}/")
    assert wrong.status_code == 404
    with tenant_context(world_a.tenant):
        assert Comment.objects.get(pk=posted["id"]).deleted_at is None


# -- board-wide ----------------------------------------------------------------------------------------------


def test_similar_requests_for_duplicate_suggestions(world_a, hidden):
    kafka_one = make_request(world_a.tenant, world_a.admin, title="Kafka topic naming convention")
    # Best match on PostgreSQL (ranked full text), most voted on SQLite (substring match): first on both.
    for user in make_members(world_a.tenant, 2):
        vote(world_a.tenant, user, kafka_one)
    make_request(world_a.tenant, world_a.admin, title="Faster CI runners")
    make_request(world_a.tenant, world_a.admin, title="Kafka naming secret plan", capability=hidden)
    for i in range(6):
        make_request(world_a.tenant, world_a.admin, title=f"Kafka consumer lag alert {i}")
    response = api(world_a).get(URL + "similar/", {"title": "naming convention for kafka topics"})
    assert response.status_code == 200
    found = response.json()
    assert len(found) == 5 and found[0]["number"] == kafka_one.number
    assert set(found[0]) == {"number", "title", "status", "capability", "vote_count", "url"}
    assert all("secret" not in item["title"] for item in found)
    assert api(world_a).get(URL + "similar/", {"title": "zzzz qqqq"}).json() == []
    # A NUL character (PostgreSQL refuses it; this once answered 500) is dropped from the text being typed.
    with_nul = api(world_a).get(URL + "similar/", {"title": "naming convention\x00 for kafka topics"})
    assert with_nul.status_code == 200 and with_nul.json()[0]["number"] == kafka_one.number


def test_roadmap_columns(world_a, kafka):
    planned = make_request(world_a.tenant, world_a.admin, title="Planned request one", capability=kafka)
    doing = make_request(world_a.tenant, world_a.admin, title="In progress request")
    done = make_request(world_a.tenant, world_a.admin, title="Shipped request one")
    waiting = make_request(world_a.tenant, world_a.admin, title="New request waiting")
    set_status(world_a, planned, "planned")
    set_status(world_a, doing, "in_progress")
    set_status(world_a, done, "shipped")
    response = api(world_a, "viewer").get(URL + "roadmap/")
    assert response.status_code == 200
    board = {column: [r["number"] for r in rows] for column, rows in response.json().items()}
    assert board == {"planned": [planned.number], "in_progress": [doing.number], "shipped": [done.number]}
    assert all(waiting.number not in column for column in board.values())
    only_kafka = api(world_a).get(URL + "roadmap/", {"capability": "kafka-topics"}).json()
    assert [r["number"] for r in only_kafka["planned"]] == [planned.number] and only_kafka[
        "in_progress"
    ] == []
    assert api(world_a).get(URL + "roadmap/", {"capability": "nope"}).json()["planned"] == []
    bad = api(world_a).get(URL + "roadmap/", {"capability": "kafka-topics\x00"})
    assert bad.status_code == 400 and "capability" in bad.json()["error"]["fields"]


# -- abuse, safety, isolation --------------------------------------------------------------------------------


def test_rate_limit_refuses_the_third_request_with_retry_after(world_a, monkeypatch):
    monkeypatch.setitem(plugins()["requests_app"].settings, "requests_per_hour", 2)
    client = api(world_a)
    statuses = [
        client.post(URL, {"title": f"Rate limited request {i}"}, content_type=JSON).status_code
        for i in range(2)
    ]
    assert statuses == [201, 201]
    third = client.post(URL, {"title": "Rate limited request 3"}, content_type=JSON)
    assert third.status_code == 429
    assert 0 < int(third["Retry-After"]) <= 3600
    error = third.json()["error"]
    assert (
        error["status"] == 429
        and error["code"] == "throttled"
        and "2 new requests per hour" in error["detail"]
    )
    assert count_requests(world_a) == 2
    # The limit is per person: another member may still file.
    assert api(world_a, "admin").post(URL, {"title": "Admin files one"}, content_type=JSON).status_code == 201


def test_comment_and_vote_limits(world_a, monkeypatch):
    feature_request = make_request(world_a.tenant, world_a.admin, title="Limits on everything")
    monkeypatch.setitem(plugins()["requests_app"].settings, "comments_per_hour", 1)
    monkeypatch.setitem(plugins()["requests_app"].settings, "votes_per_hour", 1)
    base = f"{URL}{feature_request.number}/"
    client = api(world_a)
    assert client.post(base + "comments/", {"body": "one"}, content_type=JSON).status_code == 201
    assert client.post(base + "comments/", {"body": "two"}, content_type=JSON).status_code == 429
    assert client.post(base + "vote/").status_code == 201
    refused = client.delete(base + "vote/")
    assert refused.status_code == 429 and refused.has_header("Retry-After")
    with tenant_context(world_a.tenant):
        assert Comment.objects.count() == 1
        assert Vote.objects.filter(user=world_a.member).count() == 1


def test_markdown_is_sanitised(world_a):
    evil = "<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    created = api(world_a).post(URL, {"title": "Harmless title", "body": evil}, content_type=JSON)
    assert created.status_code == 201
    comment = api(world_a).post(f"{URL}1/comments/", {"body": evil}, content_type=JSON).json()
    listed = api(world_a).get(URL).json()["results"][0]
    for html in (created.json()["body_html"], listed["body_html"], comment["body_html"]):
        lowered = html.lower()
        assert "<script" not in lowered and "javascript:" not in lowered and "onerror" not in lowered, html
    assert created.json()["body"] == evil  # the source is kept as written; only the HTML is cleaned


def test_another_tenants_request_is_404(world_a, world_b):
    theirs = make_request(world_b.tenant, world_b.admin, title="Beta only request")
    with tenant_context(world_b.tenant):
        comment = services.comment_create(
            membership=membership(world_b.tenant, world_b.admin), feature_request=theirs, body="Beta talk"
        )
    client = api(world_a, "admin")
    base = f"{URL}{theirs.number}/"
    assert client.get(base).status_code == 404
    assert client.post(base + "vote/").status_code == 404
    assert client.get(base + "comments/").status_code == 404
    assert client.patch(base, {"title": "Overwritten title"}, content_type=JSON).status_code == 404
    assert client.get(URL).json()["results"] == []
    # Even under a request number of A's own, B's comment id is not found.
    mine = make_request(world_a.tenant, world_a.admin, title="Alpha request here")
    assert client.get(f"{URL}{mine.number}/comments/{comment.pk}/").status_code == 404
    assert client.delete(f"{URL}{mine.number}/comments/{comment.pk}/").status_code == 404
    with tenant_context(world_b.tenant):
        assert FeatureRequest.objects.get(pk=theirs.pk).title == "Beta only request"
        assert FeatureRequest.objects.get(pk=theirs.pk).vote_count == 1
        assert Comment.objects.get(pk=comment.pk).deleted_at is None


def test_a_request_on_a_capability_the_caller_cannot_see_is_404(world_a, hidden):
    secret = make_request(world_a.tenant, world_a.admin, title="Secret beta request", capability=hidden)
    base = f"{URL}{secret.number}/"
    for role in ("member", "maintainer"):
        client = api(world_a, role)
        assert client.get(base).status_code == 404
        assert client.post(base + "vote/").status_code == 404
        assert client.get(base + "history/").status_code == 404
    assert api(world_a, "admin").get(base).status_code == 200
    assert numbers(api(world_a).get(URL)) == []
    # Merged into a request everyone sees, it stays unnamed in that request's history for them.
    public = make_request(world_a.tenant, world_a.admin, title="Public original")
    merged = api(world_a, "admin").post(base + "merge/", {"into": public.number}, content_type=JSON)
    assert merged.status_code == 200
    history = f"{URL}{public.number}/history/"
    assert [e["related"] for e in api(world_a).get(history).json()] == [None]
    assert [e["related"] for e in api(world_a, "admin").get(history).json()] == [secret.number]


def test_the_list_costs_the_same_number_of_queries_whatever_its_size(world_a, kafka):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api(world_a).get(URL, {"page_size": 50}).status_code == 200
        return len(captured)

    def add_requests(n: int) -> None:
        for i in range(n):
            item = make_request(
                world_a.tenant,
                world_a.admin,
                title=f"Sized request {i}",
                capability=kafka,
                tags=["x", f"t{i}"],
            )
            vote(world_a.tenant, world_a.member, item)

    add_requests(2)
    queries_for_list()  # warm-up: a token records `last_used_at` at most once a minute
    small = queries_for_list()
    add_requests(8)
    assert queries_for_list() == small
