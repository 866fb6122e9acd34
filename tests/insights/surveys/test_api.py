"""`/api/v1/insights/surveys/`: rounds, results behind the threshold, answering, owner actions, OpenAPI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.insights.models import SurveyAnswer, SurveyRound
from portal.tenancy.context import tenant_context
from tests.insights.surveys.factories import answer, extra_answerers, make_survey_world, open_round

pytestmark = pytest.mark.django_db
API = "/api/v1/insights/surveys/"


@pytest.fixture
def sw(world_a):
    return make_survey_world(world_a)


def api(world, role: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def test_create_list_close_remind(sw):
    owner = api(sw.world, "maintainer")
    closes = (timezone.now() + timedelta(days=7)).isoformat()
    created = owner.post(
        API, {"capability": "kafka", "title": "Q3", "closes_at": closes}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["is_open"] and body["invitation_count"] == 3 and body["answer_count"] == 0
    again = owner.post(
        API, {"capability": "kafka", "title": "Q4", "closes_at": closes}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    bad = owner.post(
        API, {"capability": "kafka", "title": "", "closes_at": "soon"}, content_type="application/json"
    )
    assert bad.status_code == 400 and {"title", "closes_at"} <= set(bad.json()["error"]["fields"])
    member = api(sw.world, "member")
    assert member.post(API, {"capability": "kafka", "title": "x", "closes_at": closes},
                       content_type="application/json").status_code == 403  # fmt: skip
    assert [r["id"] for r in api(sw.world, "viewer").get(f"{API}?capability=kafka").json()["results"]] == [
        body["id"]
    ]
    detail = f"{API}{body['id']}/"
    assert member.post(f"{detail}remind/").status_code == 403
    assert member.post(f"{detail}close/").status_code == 403
    reminded = owner.post(f"{detail}remind/").json()["reminder_sent_at"]
    assert reminded and owner.post(f"{detail}remind/").json()["reminder_sent_at"] == reminded
    closed = owner.post(f"{detail}close/")
    assert closed.status_code == 200 and not closed.json()["is_open"]
    assert owner.post(f"{detail}close/").status_code == 409
    with tenant_context(sw.world.tenant):
        assert SurveyRound.objects.count() == 1


def test_answer_once_update_in_place_my_answer_and_refused_after_close(sw):
    round = open_round(sw)
    client = api(sw.world, "member")
    url = f"{API}{round.pk}/"
    assert client.get(f"{url}my-answer/").json() == {"answered": False, "answer": None}
    first = client.post(f"{url}answer/", {"score": 3, "likes": "a"}, content_type="application/json")
    assert first.status_code == 201 and first.json()["score"] == 3
    second = client.post(f"{url}answer/", {"score": 9, "improve": "b"}, content_type="application/json")
    assert second.status_code == 200
    mine = client.get(f"{url}my-answer/").json()
    assert mine["answered"] and (mine["answer"]["score"], mine["answer"]["improve"]) == (9, "b")
    with tenant_context(sw.world.tenant):
        assert SurveyAnswer.objects.filter(round=round).count() == 1
    for bad in ({"score": 11}, {"score": "ten"}, {}, {"score": 5, "likes": "x" * 2001}):
        assert client.post(f"{url}answer/", bad, content_type="application/json").status_code == 400
    assert (
        api(sw.world, "viewer")
        .post(f"{url}answer/", {"score": 9}, content_type="application/json")
        .status_code
        == 403
    )
    api(sw.world, "admin").post(f"{url}close/")
    late = client.post(f"{url}answer/", {"score": 1}, content_type="application/json")
    assert late.status_code == 409 and "closed" in late.json()["error"]["detail"]
    with tenant_context(sw.world.tenant):
        assert SurveyAnswer.objects.get().score == 9


def test_results_honour_the_threshold_and_compute_nps(sw):
    round = open_round(sw)
    people = [*sw.users, sw.outsider]
    for user, score in zip(people, [10, 10, 9, 3], strict=True):
        answer(sw, round, user, score, likes=f"secret by {user.username}")
    client = api(sw.world, "viewer")
    few = client.get(f"{API}{round.pk}/results/").json()
    assert few["n"] == 4 and few["enough"] is False and few["message"] == "not enough answers yet (n < 5)"
    assert few["nps"] is None and few["distribution"] == [] and few["open_answers"] is None
    extra = extra_answerers(sw, 6)
    for user, score in zip(extra, [9, 8, 7, 6, 5, 10], strict=True):
        answer(sw, round, user, score)
    # 5 promoters (10,10,9,9,10), 2 passives, 3 detractors: the hand-computed case of test_stats.
    full = client.get(f"{API}{round.pk}/results/").json()
    assert (full["n"], full["nps"], full["interval_low"], full["interval_high"]) == (10, 20.0, -25.3, 65.3)
    assert full["distribution"] == [0, 0, 0, 1, 0, 1, 1, 1, 1, 2, 3]
    assert sorted(full["open_answers"]["likes"]) == sorted(f"secret by {u.username}" for u in people)
    assert "user" not in str(full.keys())


def test_trend_per_closed_round(sw):
    for title, scores in (("First", [10] * 5), ("Second", [0] * 3)):
        round = open_round(sw, title=title)
        for user, score in zip(extra_answerers(sw, len(scores)), scores, strict=True):
            answer(sw, round, user, score)
        with tenant_context(sw.world.tenant):
            SurveyRound.objects.filter(pk=round.pk).update(closed_at=timezone.now())
    points = api(sw.world, "viewer").get(f"{API}trend/?capability=kafka").json()
    assert [(p["title"], p["n"], p["nps"]) for p in points] == [("First", 5, 100.0), ("Second", 3, None)]
    assert api(sw.world, "viewer").get(f"{API}trend/?capability=nope").status_code == 404


def test_foreign_tenant_is_404(sw, world_b):
    round = open_round(sw)
    client = api(world_b, "admin")
    for path in ("", "results/", "my-answer/"):
        assert client.get(f"{API}{round.pk}/{path}").status_code == 404
    assert (
        client.post(f"{API}{round.pk}/answer/", {"score": 1}, content_type="application/json").status_code
        == 404
    )
    assert client.get(API).json()["results"] == []


def test_list_and_results_query_counts_are_constant(sw):
    client = api(sw.world, "viewer")
    first = open_round(sw)
    for user in extra_answerers(sw, 6):
        answer(sw, first, user, 7, likes="x")

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    count(API)  # warm-up: the first call of a token records its last use
    small = (count(API), count(f"{API}{first.pk}/results/"))
    for user in extra_answerers(sw, 20):
        answer(sw, first, user, 9, likes="y")
    with tenant_context(sw.world.tenant):
        SurveyRound.objects.filter(pk=first.pk).update(closed_at=timezone.now())
    for _ in range(3):
        later = open_round(sw)
        with tenant_context(sw.world.tenant):
            SurveyRound.objects.filter(pk=later.pk).update(closed_at=timezone.now())
    assert (count(API), count(f"{API}{first.pk}/results/")) == small


def test_openapi_lists_the_survey_routes(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for tail in (
        "",
        "trend/",
        *(f"{{surveyround_pk}}/{a}/" for a in ("answer", "my-answer", "results", "close", "remind")),
    ):
        assert f"{API}{tail}" in paths, tail
