"""The adoption page, its htmx and plain-form writes, the capability-page panel, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.insights.adoption import services
from catalog.insights.models import Adoption, AdoptionChange, AdoptionRule
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.factories import make_team, make_world

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(aw, what="detail", slug=None):
    suffix = {"detail": "", "move": "move/", "rule": "rule/"}[what]
    return f"/t/{aw.tenant.slug}/insights/adoption/{slug or aw.capability.slug}/{suffix}"


def stored(aw) -> int:
    with tenant_context(aw.tenant):
        return AdoptionChange.objects.count()


def test_page_shows_summary_table_and_history(aw, login):
    with tenant_context(aw.tenant):
        services.adoption_set(
            membership=aw.membership(aw.owner), capability=aw.capability, team=aw.team, state="onboarded",
            effective_at=timezone.now() - timedelta(days=3), note="Went live",
        )  # fmt: skip
    response = login(aw.world.viewer).get(url(aw))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 of 2 eligible teams onboarded" in body and "Went live" in body
    assert "Record a move" not in body and "Eligibility and inference" not in body  # viewers read
    assert len(response.context["weekly"]) == 52 and response.context["weekly"][-1][1] == 1


def test_forms_offered_by_role(aw, login):
    body = login(aw.world.maintainer).get(url(aw)).content.decode()
    assert "Record a move" in body and "Eligibility and inference" not in body
    body = login(aw.owner).get(url(aw)).content.decode()
    assert "Record a move" in body and "Eligibility and inference" in body


def test_team_maintainer_records_a_move_with_htmx_and_plain_post(aw, login):
    client = login(aw.world.maintainer)
    response = client.post(url(aw, "move"), {"team": aw.team.slug, "state": "evaluating"}, headers=HTMX)
    assert response.status_code == 200 and 'id="adoption-body"' in response.content.decode()
    assert "<html" not in response.content.decode()
    response = client.post(
        url(aw, "move"), {"team": aw.team.slug, "state": "onboarded", "effective_at": "2020-01-01T10:00"}
    )  # before the evaluation: refused
    assert response.status_code == 400 and "previous move" in response.content.decode()
    response = client.post(url(aw, "move"), {"team": aw.team.slug, "state": "onboarded"})
    assert response.status_code == 302 and response["Location"] == url(aw)
    with tenant_context(aw.tenant):
        assert Adoption.objects.get().state == "onboarded"
    assert stored(aw) == 2


def test_bad_moves_answer_400_and_store_nothing(aw, login):
    client = login(aw.world.maintainer)
    future = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    for data in (
        {"team": aw.team.slug, "state": "offboarded"},  # not adopted yet
        {"team": aw.team.slug, "state": "dancing"},
        {"team": aw.team.slug, "state": "onboarded", "effective_at": future},
        {"team": aw.team.slug, "state": "onboarded", "effective_at": "yesterday"},
        {"team": aw.other_team.slug, "state": "onboarded"},  # not their team
        {"team": "no-such\x00team", "state": "onboarded"},
    ):
        response = client.post(url(aw, "move"), data, headers=HTMX)
        assert response.status_code == 400, data
    assert stored(aw) == 0


def test_who_may_post(aw, login):
    for user in (aw.world.viewer, aw.world.member):
        assert (
            login(user).post(url(aw, "move"), {"team": aw.team.slug, "state": "onboarded"}).status_code == 403
        )
        assert login(user).post(url(aw, "rule"), {"eligibility": "all"}).status_code == 403
    assert login(aw.world.maintainer).post(url(aw, "rule"), {"eligibility": "all"}).status_code == 403
    assert stored(aw) == 0
    response = login(aw.owner).post(
        url(aw, "rule"),
        {"eligibility": "listed", "teams": [aw.team.slug], "environment": "k8s-shared", "repo_topic": ""},
        headers=HTMX,
    )
    assert response.status_code == 200
    with tenant_context(aw.tenant):
        assert AdoptionRule.objects.get().environment == "k8s-shared"
    response = login(aw.owner).post(url(aw, "rule"), {"eligibility": "listed"})
    assert response.status_code == 400 and "at least one" in response.content.decode()


def test_foreign_or_invisible_capability_is_404(aw, login):
    beta = make_world("beta")
    foreign = make_capability(beta.tenant, beta.team, name="Beta Thing", slug="beta-thing")
    hidden = make_capability(
        aw.tenant,
        aw.owner_team,
        name="Hidden",
        slug="hidden",
        visibility="teams",
        visible_to_teams=[aw.other_team],
    )
    client = login(aw.world.maintainer)
    for slug in (foreign.slug, hidden.slug, "no-such-thing"):
        assert client.get(url(aw, slug=slug)).status_code == 404
        assert (
            client.post(url(aw, "move", slug), {"team": aw.team.slug, "state": "onboarded"}).status_code
            == 404
        )
    assert stored(aw) == 0


def test_capability_page_panel(aw, login):
    with tenant_context(aw.tenant):
        services.adoption_set(
            membership=aw.membership(aw.owner), capability=aw.capability, team=aw.team, state="onboarded"
        )
    client = login(aw.world.member)
    page = client.get(f"/t/{aw.tenant.slug}/catalog/{aw.capability.slug}/").content.decode()
    assert 'data-panel="value"' in page  # the Value panel's body loads after the page (htmx)
    body = client.get(f"/t/{aw.tenant.slug}/insights/value/{aw.capability.slug}/panel/").content.decode()
    assert "1 of 2 eligible teams onboarded" in body
    assert url(aw) in body


def test_page_queries_do_not_grow_with_teams_and_history(aw, login):
    client = login(aw.owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(aw)).status_code == 200
        return len(ctx.captured_queries)

    def grow(n):
        now = timezone.now()
        for i in range(n):
            team = make_team(aw.tenant)
            with tenant_context(aw.tenant):
                for state, days in (("evaluating", 30), ("onboarded", 20), ("offboarded", 10 - i % 5)):
                    services.adoption_set(
                        membership=aw.membership(aw.world.admin), capability=aw.capability, team=team,
                        state=state, effective_at=now - timedelta(days=days),
                    )  # fmt: skip

    grow(2)
    count()  # warm-up: a session's first request does one-off work (session, login bookkeeping)
    small = count()
    grow(10)
    assert count() == small <= 30
