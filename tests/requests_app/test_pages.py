"""Board pages: filters and htmx fragments, votes, triage, comments, forms, rate limits, XSS, query counts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import services as catalog_services
from portal.plugins.api import plugins
from portal.tenancy.context import tenant_context
from requests_app import services
from requests_app.models import Comment, FeatureRequest, RequestTag, StatusChange, Vote
from tests.catalog.factories import make_capability
from tests.factories import add_member, make_team, make_user
from tests.requests_app.factories import make_request, membership, vote

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
BOARD = "/t/alpha/requests/"


def url(path: str = "") -> str:
    return f"{BOARD}{path}"


def fetch(world, number: int) -> FeatureRequest:
    with tenant_context(world.tenant):
        return FeatureRequest.objects.select_related("capability").get(number=number)


def count(world, model, **filters) -> int:
    with tenant_context(world.tenant):
        return model.objects.filter(**filters).count()


@pytest.fixture
def board(world_a):
    """Kafka Topics (owned by world_a.team: its maintainer triages) with three requests, and one general."""
    kafka = make_capability(world_a.tenant, world_a.team, name="Kafka Topics", tags=["kafka"])
    other_team = make_team(world_a.tenant, "dns-team")
    dns = make_capability(world_a.tenant, other_team, name="Global DNS")
    make_request(
        world_a.tenant, world_a.member, title="Validate schemas in the topic form",
        body="A bad **Avro** schema is caught a day later.", capability=kafka, tags=["schemas"],
    )  # fmt: skip
    make_request(world_a.tenant, world_a.maintainer, title="Naming convention for topics", capability=kafka)
    make_request(world_a.tenant, world_a.admin, title="Wildcard records for previews", capability=dns)
    make_request(world_a.tenant, world_a.member, title="One status page for everything", tags=["incidents"])
    vote(world_a.tenant, world_a.admin, fetch(world_a, 1))
    vote(world_a.tenant, world_a.maintainer, fetch(world_a, 1))
    return world_a


def cards(html: str) -> list[str]:
    return re.findall(r'<li class="card request-card" id="request-(\d+)"', html)


# --- the board --------------------------------------------------------------------------------------------
def test_board_shows_cards_with_vote_status_capability_tags_comments_and_author(board, login):
    page = login(board.member).get(url()).content.decode()
    assert cards(page) == ["1", "4", "3", "2"]  # top: most voted first, then newest
    assert 'href="/t/alpha/requests/1/"' in page and "Validate schemas in the topic form" in page
    assert 'class="badge req-status req-status-new"' in page
    assert "Kafka Topics" in page and "#schemas" in page and "by alpha-member" in page
    assert "0 comments" in page
    assert 'id="vote-count-1" aria-live="polite"' in page and "<strong>3</strong> votes" in page
    assert 'name="action" value="unvote"' in page  # the member filed #1, so votes for it
    assert f'action="{url("2/vote/")}"' in page


def test_board_filters_and_sorts_keep_their_state_in_the_query(board, login):
    client = login(board.member)

    def numbers(**params) -> list[str]:
        return cards(client.get(url(), params).content.decode())

    assert numbers(capability="kafka-topics") == ["1", "2"]
    assert numbers(tag="incidents") == ["4"]
    assert numbers(team="dns-team") == ["3"]
    assert numbers(mine="1") == ["1", "4"]
    assert numbers(voted="1") == ["1", "4"]  # authors vote for what they file
    assert numbers(q="schemas") == ["1"]
    assert numbers(sort="newest") == ["4", "3", "2", "1"]
    with tenant_context(board.tenant):
        services.request_set_status(
            membership=membership(board.tenant, board.maintainer), feature_request=fetch(board, 2),
            status="declined",
        )  # fmt: skip
    assert numbers(status="closed") == ["2"]
    assert "2" not in numbers(status="open")
    assert numbers(status="declined") == ["2"]
    page = client.get(url(), {"capability": "kafka-topics", "mine": "1", "sort": "newest"}).content.decode()
    assert '<option value="kafka-topics" selected>' in page
    assert '<option value="newest" selected>' in page
    assert 'name="mine" value="1" checked' in page


def test_htmx_gets_only_the_results_and_a_clean_pushed_url(board, login):
    client = login(board.member)
    full = client.get(url(), {"q": "schemas"})
    part = client.get(
        url(),
        {"q": "schemas", "tag": "", "team": "", "sort": "top", "capability": ""},
        headers={"HX-Request": "true", "HX-Target": "request-results"},
    )
    assert "<html" in full.content.decode() and "<html" not in part.content.decode()
    assert part.content.decode().strip().startswith('<section id="request-results"')
    assert "Validate schemas" in part.content.decode()
    assert part["HX-Push-Url"] == "/t/alpha/requests/?q=schemas"
    assert "HX-Request" in part["Vary"] and "HX-Target" in full["Vary"]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "drop table", "page": "-3"},
        {"page": "zzz", "status": "nonsense", "mine": "maybe"},
        {"q": "x" * 5000},
        {"q": "'\"<>&|!:*()"},
        {"capability": "\x00"},
    ],
)
def test_bad_board_input_is_ignored_never_500(board, login, params):
    response = login(board.member).get(url(), params)
    assert response.status_code == 200


def test_board_paginates(board, login):
    for n in range(30):
        make_request(board.tenant, board.member, title=f"Paged request number {n}")
    client = login(board.member)
    first = client.get(url(), {"sort": "newest"}).content.decode()
    # No total (no COUNT(*) over the board): "Next" while one more row exists beyond the page.
    assert len(cards(first)) == 25 and "Page 1<" in first and "more on the next page" in first
    assert 'href="?sort=newest&amp;page=2"' in first
    second = client.get(url(), {"sort": "newest", "page": "2"}).content.decode()
    assert len(cards(second)) == 9 and "Open requests 26\u201334." in second and ">Next<" not in second
    assert 'href="?sort=newest">Previous' not in second and 'page=1">Previous' in second
    beyond = client.get(url(), {"sort": "newest", "page": "3"}).content.decode()
    assert len(cards(beyond)) == 0 and "No more results on page 3" in beyond


# --- votes ------------------------------------------------------------------------------------------------
def test_vote_and_unvote_as_plain_form_posts_redirect_back(board, login):
    client = login(board.member)
    back = "/t/alpha/requests/?tag=schemas"
    response = client.post(url("2/vote/"), {"action": "vote", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert fetch(board, 2).vote_count == 2
    assert "You voted for #2." in client.get(back).content.decode()
    response = client.post(url("2/vote/"), {"action": "unvote", "next": "https://evil.example.com/"})
    assert response.status_code == 302 and response["Location"] == url("2/")  # never off-site
    assert fetch(board, 2).vote_count == 1
    # explicit, not a toggle: voting twice keeps one vote
    client.post(url("2/vote/"), {"action": "vote"})
    client.post(url("2/vote/"), {"action": "vote"})
    assert fetch(board, 2).vote_count == 2


def test_vote_with_htmx_swaps_the_button_and_updates_the_count_in_place(board, login):
    client = login(board.member)
    response = client.post(url("3/vote/"), {"action": "vote", "next": BOARD}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.startswith('<form class="vote-form" id="vote-form-3"')
    assert 'aria-pressed="true"' in body and 'name="action" value="unvote"' in body
    assert '<span id="vote-count-3" hx-swap-oob="innerHTML"><strong>2</strong> votes</span>' in body
    assert f'name="next" value="{BOARD}"' in body  # a later plain post still returns to the board
    body = client.post(url("3/vote/"), {"action": "unvote"}, headers=HTMX).content.decode()
    assert "<strong>1</strong> vote<" in body and 'aria-pressed="false"' in body


def test_viewer_sees_counts_but_cannot_vote(board, login):
    client = login(board.viewer)
    page = client.get(url()).content.decode()
    assert "vote-count-1" in page and "vote-form" not in page
    assert "Request a feature" not in page
    assert client.post(url("1/vote/"), {"action": "vote"}).status_code == 403
    assert client.post(url("1/vote/"), {"action": "vote"}, headers=HTMX).status_code == 403
    assert client.get(url("new/")).status_code == 403
    assert fetch(board, 1).vote_count == 3


def test_vote_on_a_closed_request_is_refused_inline(board, login):
    with tenant_context(board.tenant):
        services.request_set_status(
            membership=membership(board.tenant, board.maintainer), feature_request=fetch(board, 2),
            status="declined",
        )  # fmt: skip
    client = login(board.member)
    assert "Voting closed" in client.get(url("2/")).content.decode()
    plain = client.post(url("2/vote/"), {"action": "vote"})
    assert plain.status_code == 400 and "Voting is closed" in plain.content.decode()
    htmx = client.post(url("2/vote/"), {"action": "vote"}, headers=HTMX)
    assert htmx.status_code == 422 and "Voting is closed" in htmx.content.decode()
    assert client.post(url("2/vote/"), {"action": "flip"}).status_code == 400
    assert fetch(board, 2).vote_count == 1


# --- triage -----------------------------------------------------------------------------------------------
def test_status_change_with_a_note_shows_in_the_history(board, login):
    client = login(board.maintainer)
    response = client.post(url("1/status/"), {"status": "planned", "note": "Next **quarter**."})
    assert response.status_code == 302 and response["Location"] == url("1/")
    page = client.get(url("1/")).content.decode()
    assert "#1 is now planned" in page  # the message
    assert 'class="badge req-status req-status-planned">Planned</span>' in page
    assert "<strong>quarter</strong>" in page and "by alpha-maintainer" in page
    # htmx: the refreshed request comes back in place, with the message
    htmx = client.post(url("1/status/"), {"status": "in_progress", "note": ""}, headers=HTMX)
    body = htmx.content.decode()
    assert htmx.status_code == 200 and body.strip().startswith(
        '<article class="feature-request" id="request-page"'
    )
    assert "#1 is now in progress" in body and "In progress" in body
    # a member of the tenant reads the history too
    assert "Next <strong>quarter</strong>." in login(board.member).get(url("1/")).content.decode()


def test_an_illegal_transition_shows_the_reason_and_changes_nothing(board, login):
    client = login(board.maintainer)
    for status, reason in [
        ("duplicate", "merge it into the request it duplicates"),
        ("new", "already new"),
        ("zzz", "Unknown status"),
    ]:
        response = client.post(url("1/status/"), {"status": status, "note": "x"})
        assert response.status_code == 400, status
        assert reason in response.content.decode()
        assert client.post(url("1/status/"), {"status": status}, headers=HTMX).status_code == 422
    client.post(url("1/status/"), {"status": "shipped"})
    response = client.post(url("1/status/"), {"status": "planned"})
    assert response.status_code == 400 and "can move to: in progress" in response.content.decode()
    assert fetch(board, 1).status == "shipped"
    assert count(board, StatusChange, request__number=1) == 1


def test_only_triagers_see_and_use_the_triage_forms(board, login):
    member = login(board.member)
    page = member.get(url("1/")).content.decode()
    assert "Triage" not in page and "Demand by team" not in page and "Official response" not in page
    assert member.post(url("1/status/"), {"status": "planned"}).status_code == 403
    assert member.post(url("2/merge/"), {"into": "1"}).status_code == 403
    assert member.post(url("1/votes/record/"), {"username": "alpha-viewer"}).status_code == 403
    # the maintainer of Kafka's team triages Kafka requests, not DNS ones; the tenant admin triages all
    maintainer = login(board.maintainer)
    assert "Change status" in maintainer.get(url("1/")).content.decode()
    assert maintainer.post(url("3/status/"), {"status": "planned"}).status_code == 403
    assert login(board.admin).post(url("3/status/"), {"status": "planned"}).status_code == 302
    assert fetch(board, 1).status == "new" and fetch(board, 3).status == "planned"


def test_demand_by_team_is_shown_to_triagers(board, login):
    page = login(board.maintainer).get(url("1/")).content.decode()
    demand = page[page.index('id="h-demand"') :]
    assert "Alpha Team" in demand  # member and maintainer are in alpha-team
    assert "In no team" in demand  # the admin is in no team


def test_merge_closes_the_duplicate_and_moves_its_votes(board, login):
    vote(board.tenant, board.admin, fetch(board, 2))
    client = login(board.maintainer)
    bad = client.post(url("2/merge/"), {"into": "#999"})
    assert bad.status_code == 400 and "There is no request #999." in bad.content.decode()
    assert client.post(url("2/merge/"), {"into": "banana"}, headers=HTMX).status_code == 422
    assert client.post(url("2/merge/"), {"into": "2"}).status_code == 400  # into itself
    response = client.post(url("2/merge/"), {"into": "#1", "note": "Same ask."})
    assert response.status_code == 302
    source, target = fetch(board, 2), fetch(board, 1)
    assert source.status == "duplicate" and target.vote_count == 3  # admin and maintainer had voted for both
    page = client.get(url("2/")).content.decode()
    assert "Duplicate of" in page and 'href="/t/alpha/requests/1/"' in page
    target_page = client.get(url("1/")).content.decode()
    assert "Duplicates merged in" in target_page and "#2 Naming convention for topics" in target_page
    assert "was merged in" in target_page and "Same ask." in target_page
    assert "Merge into another request" not in page  # a duplicate cannot be merged again


def test_record_a_vote_for_someone(board, login):
    client = login(board.maintainer)
    bad = client.post(url("1/votes/record/"), {"username": "nobody-here"})
    assert bad.status_code == 400 and "is not a member of this tenant" in bad.content.decode()
    viewer = client.post(url("1/votes/record/"), {"username": "alpha-viewer"}, headers=HTMX)
    assert viewer.status_code == 422 and "is a viewer" in viewer.content.decode()
    response = client.post(url("2/votes/record/"), {"username": "alpha-member", "note": "quarterly review"})
    assert response.status_code == 302
    assert fetch(board, 2).vote_count == 2
    page = client.get(url("2/")).content.decode()
    assert "Recorded a vote for alpha-member." in page
    voters = page[page.index('id="h-voters"') :]
    assert "alpha-member" in voters and "recorded by alpha-maintainer: quarterly review" in voters
    member_view = login(board.member).get(url("2/")).content.decode()
    assert "recorded by alpha-maintainer" in member_view and "quarterly review" not in member_view


# --- comments ---------------------------------------------------------------------------------------------
def post_comment(client, number: int, body: str, **flags):
    return client.post(url(f"{number}/comments/"), {"body": body, **{k: "on" for k, v in flags.items() if v}})


def test_comments_official_responses_and_internal_notes(board, login):
    maintainer = login(board.maintainer)
    assert post_comment(maintainer, 1, "We will look at it.", official=True).status_code == 302
    assert post_comment(maintainer, 1, "Capacity says no until Q3.", internal=True).status_code == 302
    both = post_comment(maintainer, 1, "Both?", official=True, internal=True)
    assert both.status_code == 400 and "not both" in both.content.decode()
    page = maintainer.get(url("1/")).content.decode()
    assert "Official response" in page and "We will look at it." in page
    assert "Internal note" in page and "Capacity says no until Q3." in page
    member = login(board.member)
    assert post_comment(member, 1, "Me too, please.").status_code == 302
    page = member.get(url("1/")).content.decode()
    assert "We will look at it." in page and "Me too, please." in page
    assert "Capacity says no" not in page and "Internal note" not in page
    assert 'name="official"' not in page and 'name="internal"' not in page
    # a member forging the flags still posts a plain comment
    assert post_comment(member, 1, "Forged", official=True, internal=True).status_code == 302
    with tenant_context(board.tenant):
        forged = Comment.objects.get(body="Forged")
    assert not forged.official and not forged.internal
    assert fetch(board, 1).comment_count == 3  # internal notes are not counted on the board
    # the internal note does not exist for the member, even by its address
    with tenant_context(board.tenant):
        note = Comment.objects.get(internal=True)
    assert member.get(url(f"1/comments/{note.pk}/edit/")).status_code == 404
    assert member.post(url(f"1/comments/{note.pk}/delete/")).status_code == 404


def test_comment_with_htmx_swaps_the_comment_section(board, login):
    client = login(board.member)
    response = client.post(url("1/comments/"), {"body": "Inline!"}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and body.strip().startswith(
        '<section class="card comments" id="comments"'
    )
    assert "Inline!" in body and "Comment posted." in body
    empty = client.post(url("1/comments/"), {"body": "   "}, headers=HTMX)
    assert empty.status_code == 422 and "This field is required" in empty.content.decode()
    assert client.post(url("1/comments/"), {"body": ""}).status_code == 400
    assert login(board.viewer).post(url("1/comments/"), {"body": "hi"}).status_code == 403


def test_edit_own_comment_but_not_others(board, login):
    member = login(board.member)
    post_comment(member, 1, "Frist!")
    with tenant_context(board.tenant):
        comment = Comment.objects.get(body="Frist!")
    edit = url(f"1/comments/{comment.pk}/edit/")
    page = member.get(edit)
    assert page.status_code == 200 and "Frist!" in page.content.decode()
    assert (
        member.get(edit, headers=HTMX).content.decode().strip().startswith('<article class="comment editing"')
    )
    assert member.post(edit, {"body": ""}).status_code == 400
    response = member.post(edit, {"body": "First!", "next": url("1/")})
    assert response.status_code == 302 and response["Location"] == url(f"1/#comment-{comment.pk}")
    htmx = member.post(edit, {"body": "First, edited."}, headers=HTMX)
    assert (
        htmx.status_code == 200
        and "First, edited." in htmx.content.decode()
        and "(edited)" in htmx.content.decode()
    )
    other = login(board.maintainer)
    assert other.get(edit).status_code == 403
    assert other.post(edit, {"body": "Hijacked"}).status_code == 403
    with tenant_context(board.tenant):
        assert Comment.objects.get(pk=comment.pk).body == "First, edited."
    # a comment is only addressed under its own request
    assert member.get(url(f"2/comments/{comment.pk}/edit/")).status_code == 404
    assert member.get(url("1/comments/987654/edit/")).status_code == 404


def test_soft_delete_leaves_a_trace(board, login):
    member = login(board.member)
    post_comment(member, 1, "Oops, wrong request.")
    post_comment(login(board.admin), 1, "Admin says hi.")
    with tenant_context(board.tenant):
        mine = Comment.objects.get(body="Oops, wrong request.")
        theirs = Comment.objects.get(body="Admin says hi.")
    member = login(board.member)
    assert member.post(url(f"1/comments/{theirs.pk}/delete/")).status_code == 403
    response = member.post(url(f"1/comments/{mine.pk}/delete/"), {"next": url("1/")})
    assert response.status_code == 302
    page = member.get(url("1/")).content.decode()
    assert "Oops, wrong request." not in page
    assert "Comment deleted by alpha-member on" in page
    again = member.post(url(f"1/comments/{mine.pk}/delete/"), headers=HTMX)
    assert again.status_code in (403, 422)  # already deleted: nothing left to do
    # a maintainer of the owning team deletes anyone's, in place with htmx
    htmx = login(board.maintainer).post(url(f"1/comments/{theirs.pk}/delete/"), headers=HTMX)
    assert htmx.status_code == 200 and "Comment deleted by alpha-maintainer" in htmx.content.decode()
    assert "Admin says hi." not in htmx.content.decode()


def test_comments_of_merged_duplicates_are_labelled(board, login):
    post_comment(login(board.admin), 2, "Said on the duplicate.")
    client = login(board.maintainer)
    client.post(url("2/merge/"), {"into": "1"})
    page = login(board.member).get(url("1/")).content.decode()
    assert "Said on the duplicate." in page
    assert 'From <a href="/t/alpha/requests/2/">#2</a>' in page


# --- filing and editing -----------------------------------------------------------------------------------
def test_create_page_preselects_the_capability_and_files_a_request(board, login):
    client = login(board.member)
    page = client.get(url("new/"), {"capability": "kafka-topics"}).content.decode()
    assert '<option value="kafka-topics" selected>' in page
    assert 'hx-get="/t/alpha/requests/similar/"' in page and 'hx-trigger="input changed delay:300ms"' in page
    response = client.post(
        url("new/"),
        {
            "title": "Compacted topics by default",
            "body": "Please.",
            "capability": "kafka-topics",
            "tags": "Retention, ops",
        },
    )
    assert response.status_code == 302 and response["Location"] == url("5/")
    created = fetch(board, 5)
    assert created.capability.slug == "kafka-topics" and created.vote_count == 1
    with tenant_context(board.tenant):
        assert sorted(RequestTag.objects.filter(request=created).values_list("name", flat=True)) == [
            "ops",
            "retention",
        ]
    assert "Filed as #5" in client.get(url("5/")).content.decode()
    htmx = client.post(url("new/"), {"title": "Another topic wish", "body": ""}, headers=HTMX)
    assert htmx.status_code == 204 and htmx["HX-Redirect"] == url("6/")


def test_create_form_errors_are_inline_and_write_nothing(board, login):
    client = login(board.member)
    before = count(board, FeatureRequest)
    plain = client.post(url("new/"), {"title": "abc", "capability": "kafka-topics"})
    assert plain.status_code == 400 and "at least 5 characters" in plain.content.decode()
    htmx = client.post(url("new/"), {"title": "", "capability": "no-such"}, headers=HTMX)
    body = htmx.content.decode()
    assert htmx.status_code == 422 and body.strip().startswith('<form id="request-form"')
    assert "This field is required" in body and "Select a valid choice" in body
    tags = client.post(url("new/"), {"title": "Many tags here", "tags": ",".join(f"t{i}" for i in range(12))})
    assert tags.status_code == 400 and "At most 10 tags" in tags.content.decode()
    # The refused title still feeds the similar requests, without its NUL (PostgreSQL refuses it: once a 500).
    nul = client.post(url("new/"), {"title": "Validate\x00 schemas please"})
    assert nul.status_code == 400 and "Null characters are not allowed" in nul.content.decode()
    assert "#1 Validate schemas in the topic form" in nul.content.decode()
    assert count(board, FeatureRequest) == before


def test_similar_requests_are_suggested(board, login):
    client = login(board.member)
    body = client.get(url("similar/"), {"title": "schema validation in topic requests"}).content.decode()
    assert "Similar requests — vote instead?" in body and "#1 Validate schemas in the topic form" in body
    assert "<html" not in body
    assert client.get(url("similar/"), {"title": "zz"}).content.decode().strip() == ""
    assert client.get(url("similar/"), {"title": "x" * 10_000}).status_code == 200
    assert client.get(url("similar/")).status_code == 200


def test_rate_limit_on_new_requests_answers_429_and_writes_nothing(board, login, monkeypatch):
    monkeypatch.setitem(plugins()["requests_app"].settings, "requests_per_hour", 1)
    client = login(board.member)
    assert client.post(url("new/"), {"title": "First of the hour"}).status_code == 302
    before = count(board, FeatureRequest)
    response = client.post(url("new/"), {"title": "Second of the hour", "body": "Kept in the form"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    body = response.content.decode()
    assert "You reached the limit of 1 new requests per hour" in body and "Kept in the form" in body
    assert client.post(url("new/"), {"title": "Third one"}, headers=HTMX).status_code == 429
    assert count(board, FeatureRequest) == before


def test_rate_limits_on_votes_and_comments(board, login, monkeypatch):
    monkeypatch.setitem(plugins()["requests_app"].settings, "votes_per_hour", 1)
    monkeypatch.setitem(plugins()["requests_app"].settings, "comments_per_hour", 1)
    client = login(board.member)
    assert client.post(url("2/vote/"), {"action": "vote"}).status_code == 302
    limited = client.post(url("3/vote/"), {"action": "vote"}, headers=HTMX)
    assert limited.status_code == 429 and "Retry-After" in limited
    assert fetch(board, 3).vote_count == 1
    assert post_comment(client, 1, "one").status_code == 302
    limited = post_comment(client, 1, "two")
    assert limited.status_code == 429 and "limit of 1 comments per hour" in limited.content.decode()
    assert count(board, Comment) == 1


def test_author_edits_own_open_request_others_cannot(board, login):
    member = login(board.member)
    page = member.get(url("1/edit/")).content.decode()
    assert 'value="Validate schemas in the topic form"' in page and 'value="schemas"' in page
    response = member.post(
        url("1/edit/"),
        {
            "title": "Validate Avro schemas in the topic form",
            "body": "x",
            "capability": "kafka-topics",
            "tags": "schemas, avro",
        },
    )
    assert response.status_code == 302 and response["Location"] == url("1/")
    assert fetch(board, 1).title == "Validate Avro schemas in the topic form"
    assert member.post(url("1/edit/"), {"title": "no"}).status_code == 400
    assert member.post(url("1/edit/"), {"title": "no"}, headers=HTMX).status_code == 422
    assert 'href="/t/alpha/requests/2/edit/"' not in member.get(url("2/")).content.decode()
    assert member.get(url("2/edit/")).status_code == 403
    assert member.post(url("2/edit/"), {"title": "Hijacked title"}).status_code == 403
    assert login(board.maintainer).get(url("1/edit/")).status_code == 200  # triagers edit too


def test_missing_and_invisible_requests_are_404(world_a, login):
    insiders = make_team(world_a.tenant, "insiders")
    with tenant_context(world_a.tenant):
        hidden = catalog_services.capability_create(
            owner_team=insiders, name="Hidden Beta", visibility="teams", visible_to_teams=[insiders]
        )
    make_request(world_a.tenant, world_a.admin, title="Secret beta wish", capability=hidden)
    client = login(world_a.member)
    for path in ("1/", "1/edit/", "987/"):
        assert client.get(url(path)).status_code == 404, path
    for path in ("1/vote/", "1/status/", "1/merge/", "1/comments/", "1/votes/record/"):
        assert client.post(url(path), {"action": "vote", "body": "x"}).status_code == 404, path
    assert "Secret beta wish" not in client.get(url()).content.decode()
    assert (
        "Secret beta wish" not in client.get(url("similar/"), {"title": "secret beta wish"}).content.decode()
    )
    assert login(world_a.admin).get(url("1/")).status_code == 200


# --- roadmap and panel ------------------------------------------------------------------------------------
def test_roadmap_has_three_columns_most_voted_first(board, login):
    maintainer = membership(board.tenant, board.maintainer)
    admin = membership(board.tenant, board.admin)
    with tenant_context(board.tenant):
        services.request_set_status(membership=maintainer, feature_request=fetch(board, 2), status="planned")
        services.request_set_status(membership=maintainer, feature_request=fetch(board, 1), status="planned")
        services.request_set_status(membership=admin, feature_request=fetch(board, 3), status="in_progress")
        services.request_set_status(membership=admin, feature_request=fetch(board, 4), status="shipped")
    page = login(board.member).get(url("roadmap/")).content.decode()
    planned = page[page.index('id="h-planned"') : page.index('id="h-in_progress"')]
    in_progress = page[page.index('id="h-in_progress"') : page.index('id="h-shipped"')]
    shipped = page[page.index('id="h-shipped"') :]
    assert cards(planned) == ["1", "2"] and cards(in_progress) == ["3"] and cards(shipped) == ["4"]
    filtered = login(board.member).get(url("roadmap/"), {"capability": "kafka-topics"}).content.decode()
    assert cards(filtered) == ["1", "2"]
    assert login(board.member).get(url("roadmap/"), {"capability": "nope"}).status_code == 200


def test_the_capability_page_shows_its_top_requests(board, login):
    page = login(board.member).get("/t/alpha/catalog/kafka-topics/").content.decode()
    panel = page[page.index('data-panel="requests"') :]
    assert "Top feature requests" in panel
    assert panel.index("Validate schemas in the topic form") < panel.index("Naming convention for topics")
    assert "<strong>3</strong>" in panel
    assert 'href="/t/alpha/requests/?capability=kafka-topics&amp;status=open">All 2 open requests' in panel
    assert 'href="/t/alpha/requests/new/?capability=kafka-topics">Request a feature' in panel
    viewer = login(board.viewer).get("/t/alpha/catalog/kafka-topics/").content.decode()
    assert "Top feature requests" in viewer and "/requests/new/?capability" not in viewer


def test_shipped_requests_say_where_they_shipped(board, login):
    with tenant_context(board.tenant):
        services.requests_ship(
            numbers=[1], capability_id=fetch(board, 1).capability_id, shipped_in="Kafka Topics 2.3.0",
            url="/t/alpha/catalog/releases/1/", actor_id=None,
        )  # fmt: skip
    page = login(board.member).get(url("1/")).content.decode()
    assert 'Shipped in <a href="/t/alpha/catalog/releases/1/">Kafka Topics 2.3.0</a>' in page
    assert "You voted; voting closed" in page


# --- XSS --------------------------------------------------------------------------------------------------
XSS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>",
    '"><svg onload=alert(1)>',
]


class _Elements(HTMLParser):
    """Every element and attribute the browser would build from the page (escaped text stays text)."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        self.in_script = tag == "script"
        if tag in ("svg", "iframe", "object", "embed"):  # an <img> is allowed Markdown; its handlers are not
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value}>")

    def handle_data(self, data):
        if self.in_script and "alert" in data:
            self.problems.append("a script with the payload")


def assert_clean(html: str) -> None:
    parser = _Elements()
    parser.feed(html)
    assert parser.problems == []


@pytest.mark.parametrize("payload", XSS)
def test_user_text_is_never_rendered_unsanitised(board, login, payload):
    client = login(board.member)
    assert (
        client.post(
            url("new/"), {"title": f"Evil {payload}", "body": f"Body {payload}", "tags": payload}
        ).status_code
        == 302
    )
    number = count(board, FeatureRequest)
    assert post_comment(client, number, f"Comment {payload}").status_code == 302
    maintainer = login(board.admin)
    maintainer.post(url(f"{number}/status/"), {"status": "planned", "note": f"Note {payload}"})
    client = login(board.member)
    for path in ("", f"{number}/", "roadmap/", "similar/?title=Evil", f"{number}/edit/"):
        html = client.get(url(path)).content.decode()
        assert "Evil" in html, path
        assert_clean(html)
    with tenant_context(board.tenant):
        comment = Comment.objects.get(body__startswith="Comment")
    assert_clean(client.get(url(f"{number}/comments/{comment.pk}/edit/")).content.decode())
    assert_clean(client.post(url(f"{number}/vote/"), {"action": "unvote"}, headers=HTMX).content.decode())


# --- queries ----------------------------------------------------------------------------------------------
def bulk_requests(world, n: int, start: int, capability, voters) -> None:
    """`n` requests with tags, votes and comments, inserted in bulk (the services would take minutes)."""
    with tenant_context(world.tenant):
        tenant_id = world.tenant.pk
        rows = FeatureRequest.objects.bulk_create(
            [
                FeatureRequest(
                    tenant_id=tenant_id,
                    number=start + i,
                    title=f"Bulk request {start + i}",
                    capability=capability if i % 2 else None,
                    author=voters[i % len(voters)],
                    status=["new", "planned", "declined"][i % 3],
                    vote_count=2,
                    comment_count=1,
                )
                for i in range(n)
            ]
        )
        RequestTag.objects.bulk_create(
            [
                RequestTag(tenant_id=tenant_id, request=r, name=f"tag-{(r.number + k) % 9}")
                for r in rows
                for k in range(2)
            ]
        )
        Vote.objects.bulk_create(
            [Vote(tenant_id=tenant_id, request=r, user=u) for r in rows for u in voters[:2]]
        )
        Comment.objects.bulk_create(
            [Comment(tenant_id=tenant_id, request=r, author=voters[0], body="bulk") for r in rows]
        )


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(ctx.captured_queries)


def test_board_query_count_does_not_grow_with_the_data(board, login):
    kafka = fetch(board, 1).capability
    voters = [board.member, board.maintainer, board.admin]
    bulk_requests(
        board, 90, 1000, kafka, voters
    )  # kafka page 2 has rows on both sides (an empty page prefetches nothing)
    client = login(board.member)
    paths = [
        url(), url("?sort=trending&status=open"), url("?tag=tag-1&voted=1"), url("?q=bulk+request"),
        url("?capability=kafka-topics&page=2"), url("roadmap/"), "/t/alpha/catalog/kafka-topics/",
    ]  # fmt: skip
    for path in paths:
        queries(client, path)  # warm-up
    small = {path: queries(client, path) for path in paths}
    bulk_requests(board, 410, 2000, kafka, voters)
    large = {path: queries(client, path) for path in paths}
    assert small == large, "query counts grew with the data"
    assert max(large.values()) <= 25, large


def test_out_of_range_numbers_are_404_not_500(board, login):
    client = login(board.maintainer)
    huge = "99999999999999999999"
    assert client.get(url(f"{huge}/")).status_code == 404
    assert client.post(url(f"{huge}/vote/"), {"action": "vote"}).status_code == 404
    assert client.get(url(f"1/comments/{huge}/edit/")).status_code == 404
    assert client.post(url("2/merge/"), {"into": "#999999999"}).status_code == 400
    assert client.get(url("similar/"), {"title": "\x00 nul"}).status_code == 200
    assert client.get(url("roadmap/"), {"capability": "\x00"}).status_code == 200
    assert client.get(url("new/"), {"capability": "\x00"}).status_code == 200
    response = client.post(url("1/vote/"), {"action": "vote", "next": "/t/alpha/\x00\r\nSet-Cookie: x=1"})
    assert response.status_code == 302 and response["Location"] == url("1/")


def _pile_onto(world, number: int, n: int, prefix: str) -> None:
    """`n` more voters, comments (public and one internal), history entries and merged duplicates (with
    their own comments) on one request."""
    target = fetch(world, number)
    people = [make_user(f"{prefix}{i}") for i in range(n)]
    for user in people:
        add_member(world.tenant, user)
    with tenant_context(world.tenant):
        tid = world.tenant.pk
        Vote.objects.bulk_create([Vote(tenant_id=tid, request=target, user=u) for u in people])
        Comment.objects.bulk_create(
            [Comment(tenant_id=tid, request=target, author=u, body=f"Me too, {u.username}") for u in people]
            + [Comment(tenant_id=tid, request=target, author=people[0], body="note", internal=True)] * 1
        )
        last = FeatureRequest.objects.order_by("-number").values_list("number", flat=True).first()
        duplicates = FeatureRequest.objects.bulk_create(
            [
                FeatureRequest(
                    tenant_id=tid, number=last + 1 + i, title=f"Duplicate {prefix} {i}", author=u,
                    capability=target.capability, status="duplicate", duplicate_of=target,
                )
                for i, u in enumerate(people)
            ]
        )  # fmt: skip
        Comment.objects.bulk_create(
            [Comment(tenant_id=tid, request=d, author=d.author, body="Same here") for d in duplicates]
        )
        StatusChange.objects.bulk_create(
            [
                StatusChange(tenant_id=tid, request=target, from_status="new", to_status="new", actor=u)
                for u in people
            ]
        )


def test_request_page_query_count_does_not_grow_with_votes_comments_and_history(board, login):
    client = login(board.maintainer)  # a triager: triage forms, demand by team and internal notes render too
    path = url("1/")
    queries(client, path)  # warm-up
    _pile_onto(board, 1, 3, "few")
    small = queries(client, path)
    _pile_onto(board, 1, 120, "many")
    large = queries(client, path)
    assert small == large, (small, large)
