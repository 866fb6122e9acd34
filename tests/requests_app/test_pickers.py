"""Suggestions for the triage forms: merge target and the colleague whose vote is recorded.

The fields stay text inputs (posting `#12` or a username works without JavaScript); htmx fills a
`<datalist>` and an `aria-live` count. Merge targets: only requests the maintainer may merge into (triage
rights on the target too), never the request itself, never a closed duplicate (its target instead).
Colleagues: members of this tenant who may vote, by username or name; never another tenant's people.
"""

from __future__ import annotations

import re

import pytest

from portal.tenancy.context import tenant_context
from portal.tenancy.models import Role
from requests_app import services
from tests.catalog.factories import make_capability
from tests.factories import add_member, make_team, make_user
from tests.requests_app.factories import make_request, membership

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def board(world_a):
    ours = make_capability(world_a.tenant, world_a.team, name="Kafka Topics", slug="kafka-topics")
    other = make_capability(world_a.tenant, make_team(world_a.tenant, "dns-team"), name="DNS", slug="dns")
    source = make_request(world_a.tenant, world_a.member, title="Kafka quota self-service", capability=ours)
    open_target = make_request(world_a.tenant, world_a.member, title="Kafka quota per team", capability=ours)
    merged = make_request(world_a.tenant, world_a.member, title="Kafka quota dashboard", capability=ours)
    theirs = make_request(world_a.tenant, world_a.member, title="Kafka quota for DNS", capability=other)
    with tenant_context(world_a.tenant):
        services.request_merge(
            membership=membership(world_a.tenant, world_a.admin), source=merged, target=open_target
        )
    return {"source": source, "open": open_target, "merged": merged, "theirs": theirs}


def numbers(html: str, datalist: str) -> list[str]:
    inner = re.search(rf'<datalist id="{datalist}">(.*?)</datalist>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]+)"', inner)


def targets_url(world, number: int) -> str:
    return f"/t/{world.tenant.slug}/requests/{number}/merge/targets/"


def test_the_request_page_offers_live_suggestions_on_both_triage_fields(world_a, board, login):
    page = login(world_a.maintainer).get(f"/t/alpha/requests/{board['source'].number}/").text
    assert (
        'list="merge-suggest-list"' in page
        and f'hx-get="{targets_url(world_a, board["source"].number)}"' in page
    )
    assert 'id="merge-suggest" class="picker-results" aria-live="polite"' in page
    assert 'list="colleague-suggest-list"' in page and 'id="colleague-suggest"' in page


def test_merge_targets_match_words_and_numbers_without_closed_duplicates_or_foreign_teams(
    world_a, board, login
):
    client = login(world_a.maintainer)
    source = board["source"]
    found = client.get(targets_url(world_a, source.number), {"into": "kafka quota"}, headers=HTMX)
    assert found.status_code == 200 and "<html" not in found.text
    # The duplicate is offered as its target (once); the DNS team's request is not mergeable for this
    # maintainer; the request itself is never offered.
    assert numbers(found.text, "merge-suggest-list") == [f"#{board['open'].number}"]
    assert "1 matching request" in found.text
    by_number = client.get(targets_url(world_a, source.number), {"into": f"#{board['merged'].number}"})
    assert numbers(by_number.text, "merge-suggest-list") == [f"#{board['open'].number}"]
    admin = login(world_a.admin).get(targets_url(world_a, source.number), {"into": "kafka quota"})
    assert sorted(numbers(admin.text, "merge-suggest-list")) == sorted(
        [f"#{board['open'].number}", f"#{board['theirs'].number}"]
    )
    none = login(world_a.maintainer).get(targets_url(world_a, source.number), {"into": "nothing like it"})
    assert numbers(none.text, "merge-suggest-list") == [] and "No request you may merge into" in none.text


def test_suggestions_are_for_triagers_only_and_requests_of_other_tenants_are_404(
    world_a, world_b, board, login
):
    url = targets_url(world_a, board["source"].number)
    assert login(world_a.member).get(url, {"into": "kafka"}).status_code == 403
    assert (
        login(world_a.member).get(f"/t/alpha/requests/{board['source'].number}/votes/colleagues/").status_code
        == 403
    )
    assert (
        login(world_b.admin).get(f"/t/beta/requests/{board['source'].number}/merge/targets/").status_code
        == 404
    )


def test_a_suggestion_posted_as_shown_merges(world_a, board, login):
    client = login(world_a.maintainer)
    posted = client.post(
        f"/t/alpha/requests/{board['source'].number}/merge/",
        {"into": f"#{board['open'].number} Kafka quota per team"},
    )
    assert posted.status_code == 302
    with tenant_context(world_a.tenant):
        board["source"].refresh_from_db()
    assert board["source"].duplicate_of_id == board["open"].pk


def test_colleagues_match_username_or_name_among_voting_members_of_this_tenant(
    world_a, world_b, board, login
):
    add_member(world_a.tenant, make_user("carol-c", first_name="Carol", last_name="Coder"))
    add_member(world_a.tenant, make_user("carl-viewer", first_name="Carl"), Role.VIEWER)
    add_member(world_b.tenant, make_user("caroline-b", first_name="Caroline"))
    url = f"/t/alpha/requests/{board['source'].number}/votes/colleagues/"
    client = login(world_a.maintainer)
    by_name = client.get(url, {"username": "coder"}, headers=HTMX)
    assert by_name.status_code == 200 and numbers(by_name.text, "colleague-suggest-list") == ["carol-c"]
    assert "Carol Coder" in by_name.text
    assert numbers(client.get(url, {"username": "car"}).text, "colleague-suggest-list") == ["carol-c"]
    assert numbers(client.get(url, {"username": "alpha-m"}).text, "colleague-suggest-list") == [
        "alpha-maintainer", "alpha-member"
    ]  # fmt: skip
