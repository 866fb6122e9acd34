"""Survey pages: results behind the threshold, the answer form, owner actions, escaping, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.insights.models import SurveyAnswer, SurveyRound
from portal.tenancy.context import tenant_context
from tests.insights.surveys.factories import answer, extra_answerers, make_survey_world, open_round

pytestmark = pytest.mark.django_db
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def sw(world_a):
    return make_survey_world(world_a)


def base(sw) -> str:
    return f"/t/{sw.world.tenant.slug}/insights/surveys/{sw.capability.slug}/"


def test_answer_form_is_accessible_and_saves_then_updates(sw, login):
    round = open_round(sw)
    client = login(sw.users[0])
    url = f"{base(sw)}{round.pk}/answer/"
    page = client.get(url).content.decode()
    assert "<fieldset" in page and "<legend>How likely are you to recommend Kafka Topics" in page
    assert (
        page.count('type="radio"') == 11
        and "0 - not at all likely" in page
        and "10 - extremely likely" in page
    )
    for question in ("How is your experience with Kafka Topics?", "What do you like?", "What do you dislike?",
                     "What should we improve?"):  # fmt: skip
        assert question in page
    response = client.post(url, {"score": "4", "likes": "speed"})
    assert response.status_code == 302
    response = client.post(url, {"score": "8", "likes": "more speed"})
    assert response.status_code == 302
    with tenant_context(sw.world.tenant):
        assert list(SurveyAnswer.objects.values_list("score", "likes")) == [(8, "more speed")]
    assert 'value="8" id="id_score_8" required checked' in client.get(url).content.decode()
    bad = client.post(url, {"score": "11"})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
    with tenant_context(sw.world.tenant):
        assert SurveyAnswer.objects.get().score == 8


def test_answering_a_closed_round_is_refused_with_a_clear_message(sw, login):
    round = open_round(sw)
    answer(sw, round, sw.users[0], 6)
    client = login(sw.world.maintainer)
    assert client.post(f"{base(sw)}{round.pk}/close/").status_code == 302
    client = login(sw.users[0])
    response = client.post(f"{base(sw)}{round.pk}/answer/", {"score": "10"})
    assert response.status_code == 409 and "closed" in response.content.decode()
    with tenant_context(sw.world.tenant):
        assert SurveyAnswer.objects.get().score == 6


def test_fewer_than_five_answers_show_nothing_but_n(sw, login):
    round = open_round(sw)
    secret = "only-four-people-said-this"
    for i, user in enumerate(sw.users):
        answer(sw, round, user, 10 - i, likes=secret)
    answer(sw, round, sw.outsider, 0, likes=secret)
    for url in (f"{base(sw)}{round.pk}/", base(sw)):
        page = login(sw.world.viewer).get(url).content.decode()
        assert "not enough answers yet (n &lt; 5)" in page.lower()
        assert secret not in page and "NPS 5" not in page
    page = login(sw.world.viewer).get(f"{base(sw)}{round.pk}/").content.decode()
    assert "Answers per score" not in page
    answer(sw, round, sw.world.member, 9, likes=secret)  # the fifth
    page = login(sw.world.viewer).get(f"{base(sw)}{round.pk}/").content.decode()
    assert secret in page and "Answers per score" in page and "n = 5" in page
    for user in (*sw.users, sw.outsider, sw.world.member):
        assert user.username not in page


def test_answers_are_escaped(sw, login):
    round = open_round(sw)
    for user in (*sw.users, *extra_answerers(sw, 2)):
        answer(sw, round, user, 9, experience=XSS, likes=XSS, dislikes=XSS, improve=XSS)
    page = login(sw.world.member).get(f"{base(sw)}{round.pk}/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_owner_forms_and_non_owners(sw, login):
    owner = login(sw.world.maintainer)
    page = owner.get(base(sw)).content.decode()
    assert "Open a round" in page
    closes = (timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = owner.post(f"{base(sw)}open/", {"title": "Autumn", "closes_at": closes})
    assert response.status_code == 302
    again = owner.post(f"{base(sw)}open/", {"title": "Again", "closes_at": closes})
    assert again.status_code == 409 and "already has an open survey round" in again.content.decode()
    bad = owner.post(f"{base(sw)}open/", {"title": "", "closes_at": closes})
    assert bad.status_code == 400
    with tenant_context(sw.world.tenant):
        round = SurveyRound.objects.get()
    for user in (sw.world.member, sw.users[0], sw.world.viewer):
        client = login(user)
        assert "Open a round" not in client.get(base(sw)).content.decode()
        assert client.post(f"{base(sw)}open/", {"title": "Mine", "closes_at": closes}).status_code == 403
        assert client.post(f"{base(sw)}{round.pk}/close/").status_code == 403
        assert client.post(f"{base(sw)}{round.pk}/remind/").status_code == 403
    owner = login(sw.world.maintainer)
    assert owner.post(f"{base(sw)}{round.pk}/remind/").status_code == 302
    detail = owner.get(f"{base(sw)}{round.pk}/").content.decode()
    assert "Reminder sent" in detail and "Remind those who have not answered" not in detail
    assert owner.post(f"{base(sw)}{round.pk}/close/").status_code == 302
    assert owner.post(f"{base(sw)}{round.pk}/close/").status_code == 409
    with tenant_context(sw.world.tenant):
        assert SurveyRound.objects.count() == 1 and SurveyRound.objects.get().closed_at is not None


def test_viewers_read_results_but_cannot_answer(sw, login):
    round = open_round(sw)
    client = login(sw.world.viewer)
    assert client.get(f"{base(sw)}{round.pk}/").status_code == 200
    assert client.get(f"{base(sw)}{round.pk}/answer/").status_code == 403
    assert client.post(f"{base(sw)}{round.pk}/answer/", {"score": "9"}).status_code == 403


def test_other_tenants_and_other_capabilities_are_404(sw, world_b, login):
    round = open_round(sw)
    client = login(world_b.admin)
    assert client.get(f"{base(sw)}{round.pk}/").status_code == 404
    other = make_survey_world(world_b, slug="dns")
    mine = login(sw.world.admin)
    assert mine.get(f"/t/{world_b.tenant.slug}/insights/surveys/dns/").status_code == 404
    other_round = open_round(other)
    assert mine.get(f"{base(sw)}{other_round.pk}/").status_code == 404
    assert mine.post(f"{base(sw)}{other_round.pk}/answer/", {"score": "1"}).status_code == 404


def test_capability_page_panel(sw, login):
    round = open_round(sw)
    client = login(sw.users[0])
    page = client.get(f"/t/{sw.world.tenant.slug}/catalog/{sw.capability.slug}/").content.decode()
    assert 'data-panel="value"' in page  # the Value panel's body loads after the page (htmx)
    page = client.get(
        f"/t/{sw.world.tenant.slug}/insights/value/{sw.capability.slug}/panel/"
    ).content.decode()
    assert f"/{round.pk}/answer/" in page
    assert "Answer it" in page


def _grow(sw, round, n: int) -> None:
    with tenant_context(sw.world.tenant):
        start = SurveyAnswer.objects.count()
    for i, user in enumerate(extra_answerers(sw, n)):
        answer(sw, round, user, (start + i) % 11, likes=f"like {i}", improve=f"improve {i}")


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_answers_and_rounds(sw, login):
    first = open_round(sw, title="First")
    _grow(sw, first, 6)
    client = login(sw.world.maintainer)
    detail, listing = f"{base(sw)}{first.pk}/", base(sw)
    _count(client, detail)  # warm-up: a session's first request does one-off work
    small = (_count(client, detail), _count(client, listing))
    _grow(sw, first, 30)
    with tenant_context(sw.world.tenant):
        SurveyRound.objects.filter(pk=first.pk).update(closed_at=timezone.now())
    for k in range(3):
        later = open_round(sw, title=f"Later {k}")
        _grow(sw, later, 5)
        with tenant_context(sw.world.tenant):
            SurveyRound.objects.filter(pk=later.pk).update(closed_at=timezone.now())
    large = (_count(client, detail), _count(client, listing))
    assert small == large, (small, large)
    assert max(large) <= 25
