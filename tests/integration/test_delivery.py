"""Done-means of issue 5, against a real worker, Redis, SMTP server and HTTP receivers."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlsplit

import pytest
from django.test import Client

from portal.notifications import services
from portal.notifications.engine.publish import notification_publish
from portal.notifications.models import ChannelPreference, Delivery, Subscription
from portal.tenancy.context import tenant_context
from tests.factories import add_member, make_team, make_tenant, make_user
from tests.integration.conftest import wait_for
from tests.integration.population import populate

pytestmark = pytest.mark.django_db(transaction=True)


def publish(tenant, key: str, **extra):
    with tenant_context(tenant):
        return notification_publish(
            key=key,
            topic_kind="capability",
            topic_id=extra.pop("topic_id", 1),
            category=extra.pop("category", "release"),
            title=extra.pop("title", "Kafka 3.7 released"),
            body_markdown=extra.pop("body_markdown", "Faster **consumers**."),
            url="/t/acme/catalog/kafka/",
            topic_label="Kafka",
        )


def states(tenant, **filters) -> dict[str, int]:
    with tenant_context(tenant):
        rows = Delivery.objects.filter(**filters).values_list("state", flat=True)
        out: dict[str, int] = {}
        for state in rows:
            out[state] = out.get(state, 0) + 1
        return out


def test_release_to_1000_subscribers_sends_1000_emails_with_rfc8058_headers(worker_factory, smtp):
    tenant = make_tenant("acme")
    user_ids = populate(tenant, 1000)
    with tenant_context(tenant):
        ChannelPreference.objects.bulk_create(
            [
                ChannelPreference(tenant_id=tenant.pk, user_id=u, channel="inbox", frequency="off")
                for u in user_ids
            ]
        )
    worker_factory()
    publish(tenant, "release:1")
    wait_for(lambda: states(tenant).get("sent", 0) == 1000, 120, "1000 sent deliveries")
    wait_for(lambda: len(smtp.messages) >= 1000, 30, "1000 messages at the SMTP server")
    messages = smtp.parsed()
    assert len(messages) == 1000
    assert len({m["Message-ID"] for m in messages}) == 1000
    assert sorted(m["To"] for m in messages) == sorted(f"fan{i}@example.com" for i in range(1000))
    for m in messages:
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert m["Auto-Submitted"] == "auto-generated"
        assert m["List-Id"].endswith("<capability-1.acme.127.0.0.1>")
        https, mailto = (part.strip().strip("<>") for part in m["List-Unsubscribe"].split(","))
        assert https.startswith("http") and mailto.startswith("mailto:")
        assert m.is_multipart() and {p.get_content_type() for p in m.walk()} >= {"text/plain", "text/html"}

    # One-click: a cookie-less POST (CSRF enforced, as for any stranger) unsubscribes at once...
    first = messages[0]
    url = first["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    recipient = int(first["To"].removeprefix("fan").split("@")[0])
    stranger = Client(enforce_csrf_checks=True)
    # ...while a GET (link scanners) of another recipient's link changes nothing.
    other_url = messages[1]["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    assert stranger.get(urlsplit(other_url).path).status_code == 200
    response = stranger.post(
        urlsplit(url).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    with tenant_context(tenant):
        muted = Subscription.objects.filter(active=False, topic_kind="capability", topic_id=1)
        assert list(muted.values_list("user_id", flat=True)) == [user_ids[recipient]]
    # The next release reaches everyone but the one who unsubscribed.
    smtp.clear()
    publish(tenant, "release:2", title="Kafka 3.8")
    wait_for(lambda: states(tenant).get("sent", 0) == 1999, 120, "second release sent")
    assert f"fan{recipient}@example.com" not in {m["To"] for m in smtp.parsed()}


def test_slack_teams_and_webhook_receivers_get_well_formed_signed_payloads(worker_factory, receivers, smtp):
    tenant = make_tenant("acme")
    maintainer = make_user("maint")
    add_member(tenant, maintainer)
    team = make_team(tenant, "platform", maintainers=[maintainer])
    with tenant_context(tenant):
        slack, _ = services.endpoint_create(
            team=team, kind="slack", name="slack", url=receivers.url("/slack")
        )
        teams, _ = services.endpoint_create(
            team=team, kind="teams", name="teams", url=receivers.url("/teams")
        )
        hook, secret = services.endpoint_create(
            team=team, kind="webhook", name="hook", url=receivers.url("/hook")
        )
        for endpoint in (slack, teams, hook):
            services.route_add(endpoint=endpoint, topic_kind="capability", topic_id=1)
    worker_factory()
    publish(tenant, "release:1", body_markdown="x" * 40_000 + " <b>&</b> [docs](https://docs.example.com)")
    wait_for(lambda: all(receivers.to(p) for p in ("/slack", "/teams", "/hook")), 60, "three receivers")

    [slack_hit] = receivers.to("/slack")
    body = slack_hit.json()
    assert body["text"] and body["blocks"][0]["type"] == "header"
    assert body["blocks"][0]["text"] == {"type": "plain_text", "text": "Kafka 3.7 released", "emoji": True}
    section = body["blocks"][1]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert len(section["text"]["text"]) <= 3000
    assert body["blocks"][-1]["elements"][0]["url"].endswith("/t/acme/catalog/kafka/")

    [teams_hit] = receivers.to("/teams")
    assert len(teams_hit.body) < 28 * 1024
    message = teams_hit.json()
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["body"][0] == {**card["body"][0], "type": "TextBlock", "text": "Kafka 3.7 released"}
    assert "truncated" in card["body"][-1]["text"]
    assert card["actions"][0]["type"] == "Action.OpenUrl"

    [hook_hit] = receivers.to("/hook")
    expected = "sha256=" + hmac.new(secret.encode(), hook_hit.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hook_hit.headers["X-Agora-Signature"], expected)
    payload = json.loads(hook_hit.body)
    assert hook_hit.headers["X-Agora-Delivery"] == payload["delivery_id"]
    assert payload["notification"]["title"] == "Kafka 3.7 released" and payload["tenant"] == "acme"
    wait_for(lambda: states(tenant, endpoint__isnull=False) == {"sent": 3}, 20, "endpoint deliveries sent")


def test_a_receiver_answering_500_then_200_gets_the_message_once(worker_factory, receivers, smtp):
    tenant = make_tenant("acme")
    team = make_team(tenant, "platform")
    with tenant_context(tenant):
        hook, _ = services.endpoint_create(
            team=team, kind="webhook", name="hook", url=receivers.url("/flaky")
        )
        services.route_add(endpoint=hook, topic_kind="tenant", topic_id=None)
    receivers.script["/flaky"] = [(500, {})]
    worker_factory()
    publish(tenant, "release:1")
    wait_for(lambda: states(tenant, endpoint=hook) == {"sent": 1}, 60, "webhook delivered after a 500")
    hits = receivers.to("/flaky")
    assert len(hits) == 2  # one 500, then the one 200 it keeps
    assert hits[0].headers["X-Agora-Delivery"] == hits[1].headers["X-Agora-Delivery"]
    assert hits[0].body == hits[1].body
    with tenant_context(tenant):
        delivery = Delivery.objects.get(endpoint=hook)
        assert delivery.attempts == 2


def test_429_retry_after_is_respected(worker_factory, receivers, smtp):
    tenant = make_tenant("acme")
    team = make_team(tenant, "platform")
    with tenant_context(tenant):
        hook, _ = services.endpoint_create(team=team, kind="slack", name="slack", url=receivers.url("/busy"))
        services.route_add(endpoint=hook, topic_kind="capability", topic_id=1)
    receivers.script["/busy"] = [(429, {"Retry-After": "2"})]
    worker_factory()
    publish(tenant, "release:1")
    wait_for(lambda: states(tenant, endpoint=hook) == {"sent": 1}, 60, "slack delivered after a 429")
    first, second = receivers.to("/busy")
    assert second.at - first.at >= 2.0


def test_a_gone_endpoint_is_disabled_and_its_owners_are_told(worker_factory, receivers, smtp):
    tenant = make_tenant("acme")
    owner = make_user("owner")
    add_member(tenant, owner)
    team = make_team(tenant, "platform", maintainers=[owner])
    with tenant_context(tenant):
        hook, _ = services.endpoint_create(team=team, kind="slack", name="gone", url=receivers.url("/gone"))
        services.route_add(endpoint=hook, topic_kind="capability", topic_id=1)
    receivers.script["/gone"] = [(410, {})]
    worker_factory()
    publish(tenant, "release:1")
    wait_for(lambda: states(tenant, endpoint=hook) == {"failed": 1}, 60, "delivery failed")
    with tenant_context(tenant):
        wait_for(lambda: states(tenant, recipient=owner, channel="inbox") == {"sent": 1}, 30, "owner told")
        hook.refresh_from_db()
        assert not hook.enabled and "410" in hook.disabled_reason
