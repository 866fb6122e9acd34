"""`/api/v1/insights/adoptions/`, `/adoption-rules/`, `/adoption-summaries/`: rights, 400s, filters,
query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.insights.adoption import services
from catalog.insights.models import AdoptionChange, AdoptionRule
from portal.accounts import services as account_services
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.factories import make_team, make_world

pytestmark = pytest.mark.django_db
BASE = "/api/v1/insights/adoptions/"


def api(aw, user) -> Client:
    with tenant_context(aw.tenant):
        token = account_services.api_token_create(membership=aw.membership(user), name="t").text
    return Client(headers={"Authorization": f"Bearer {token}"})


def stored(aw) -> int:
    with tenant_context(aw.tenant):
        return AdoptionChange.objects.count()


def test_record_list_filter_and_history(aw):
    client = api(aw, aw.world.maintainer)
    at = (timezone.now() - timedelta(days=9)).isoformat()
    created = client.post(
        BASE, {"capability": "k8s", "team": aw.team.slug, "state": "evaluating", "effective_at": at},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["capability"] == "k8s" and body["team"] == aw.team.slug and body["state"] == "evaluating"
    second = client.post(
        BASE,
        {"capability": "k8s", "team": aw.team.slug, "state": "onboarded"},
        content_type="application/json",
    )
    assert second.status_code == 201 and second.json()["id"] == body["id"]
    other_cap = make_capability(aw.tenant, aw.owner_team, name="Other", slug="other")
    api(aw, aw.owner).post(
        BASE, {"capability": other_cap.slug, "team": aw.other_team.slug, "state": "onboarded"},
        content_type="application/json",
    )  # fmt: skip
    reader = api(aw, aw.world.viewer)
    assert len(reader.get(BASE).json()["results"]) == 2
    assert [r["team"] for r in reader.get(f"{BASE}?capability=k8s").json()["results"]] == [aw.team.slug]
    assert [r["capability"] for r in reader.get(f"{BASE}?team={aw.other_team.slug}").json()["results"]] == [
        "other"
    ]
    assert len(reader.get(f"{BASE}?state=onboarded&state=evaluating").json()["results"]) == 2
    assert reader.get(f"{BASE}?state=nonsense").status_code == 400
    history = reader.get(f"{BASE}{body['id']}/history/").json()
    assert [(h["from_state"], h["to_state"]) for h in history] == [
        ("", "evaluating"),
        ("evaluating", "onboarded"),
    ]
    assert history[0]["recorded_by"] == aw.world.maintainer.username


def test_bad_input_is_400_and_nothing_is_stored(aw):
    client = api(aw, aw.owner)
    future = (timezone.now() + timedelta(days=1)).isoformat()
    for data in (
        {"capability": "k8s", "team": aw.team.slug, "state": "offboarded"},
        {"capability": "k8s", "team": aw.team.slug, "state": "wrong"},
        {"capability": "k8s", "team": aw.team.slug, "state": "onboarded", "effective_at": future},
        {"capability": "k8s", "team": aw.owner_team.slug, "state": "onboarded"},  # not eligible
        {"capability": "nope", "team": aw.team.slug, "state": "onboarded"},
        {"capability": "k8s", "team": "nope\x00", "state": "onboarded"},
        {"capability": "k8s", "team": aw.team.slug, "state": "onboarded", "note": "x" * 301},
    ):
        response = client.post(BASE, data, content_type="application/json")
        assert response.status_code == 400, (data, response.json())
        assert response.json()["error"]["fields"]
    assert stored(aw) == 0


def test_refused_roles(aw):
    data = {"capability": "k8s", "team": aw.team.slug, "state": "onboarded"}
    for user in (aw.world.viewer, aw.world.member, aw.other_maintainer):
        assert api(aw, user).post(BASE, data, content_type="application/json").status_code == 403
    rule = {"eligibility": "all", "environment": "k8s"}
    for user in (aw.world.viewer, aw.world.member, aw.world.maintainer):
        response = api(aw, user).put(
            "/api/v1/insights/adoption-rules/k8s/", rule, content_type="application/json"
        )
        assert response.status_code == 403
    assert stored(aw) == 0
    with tenant_context(aw.tenant):
        assert not AdoptionRule.objects.exists()


def test_foreign_and_invisible_capabilities_are_404(aw):
    beta = make_world("beta")
    make_capability(beta.tenant, beta.team, name="Beta Cap", slug="beta-cap")
    make_capability(
        aw.tenant,
        aw.owner_team,
        name="Hidden",
        slug="hidden",
        visibility="teams",
        visible_to_teams=[aw.other_team],
    )
    client = api(aw, aw.world.admin)  # admins see hidden ones: use the member
    member = api(aw, aw.world.member)
    for slug in ("beta-cap", "hidden"):
        assert member.get(f"/api/v1/insights/adoption-rules/{slug}/").status_code == 404
        assert member.get(f"/api/v1/insights/adoption-summaries/{slug}/").status_code == 404
        response = member.post(
            BASE,
            {"capability": slug, "team": aw.team.slug, "state": "onboarded"},
            content_type="application/json",
        )
        assert response.status_code == 400  # no such capability for this caller
    assert client.get("/api/v1/insights/adoption-rules/beta-cap/").status_code == 404


def test_rules_and_summaries(aw):
    owner = api(aw, aw.owner)
    assert owner.get("/api/v1/insights/adoption-rules/k8s/").json() == {
        "capability": "k8s", "eligibility": "all", "teams": [], "environment": "", "repo_topic": "",
        "updated_at": None,
    }  # fmt: skip
    response = owner.put(
        "/api/v1/insights/adoption-rules/k8s/",
        {"eligibility": "listed", "teams": [aw.team.slug], "environment": "K8s-Shared", "repo_topic": "k8s"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["teams"] == [aw.team.slug]
    bad = owner.put(
        "/api/v1/insights/adoption-rules/k8s/",
        {"eligibility": "listed", "teams": []},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert owner.get("/api/v1/insights/adoption-rules/k8s/").json()["environment"] == "K8s-Shared"
    listed = owner.get("/api/v1/insights/adoption-rules/").json()["results"]
    assert [r["capability"] for r in listed] == ["k8s"]
    owner.post(
        BASE,
        {"capability": "k8s", "team": aw.team.slug, "state": "onboarded"},
        content_type="application/json",
    )
    summary = owner.get("/api/v1/insights/adoption-summaries/k8s/").json()
    assert (summary["eligible"], summary["onboarded"]) == (1, 1) and len(summary["weekly"]) == 52
    assert summary["weekly"][-1]["onboarded"] == 1
    assert [s["capability"] for s in owner.get("/api/v1/insights/adoption-summaries/").json()] == ["k8s"]


def test_list_queries_are_constant(aw):
    client = api(aw, aw.world.member)

    def grow(n):
        for _ in range(n):
            team = make_team(aw.tenant)
            cap = make_capability(aw.tenant, aw.owner_team)
            with tenant_context(aw.tenant):
                for c in (aw.capability, cap):
                    services.adoption_set(
                        membership=aw.membership(aw.world.admin), capability=c, team=team, state="onboarded"
                    )

    def count(url) -> int:
        client.get(url)  # warm: the token's first use of the day is written once
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    grow(2)
    small = [
        count(u) for u in (BASE, "/api/v1/insights/adoption-summaries/", "/api/v1/insights/adoption-rules/")
    ]
    grow(8)
    large = [
        count(u) for u in (BASE, "/api/v1/insights/adoption-summaries/", "/api/v1/insights/adoption-rules/")
    ]
    assert small == large and max(large) <= 15
