"""Pages: preferences, follow button, inbox, team channels, and the cookie-less unsubscribe endpoint."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.notifications import services
from portal.notifications.models import ChannelEndpoint, ChannelPreference, InboxItem, Subscription
from portal.notifications.tokens import make_token, read_token
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.notifications.helpers import publish, subscribers

pytestmark = pytest.mark.django_db


def base(world) -> str:
    return f"/t/{world.tenant.slug}/notifications/"


def test_follow_button_htmx_and_plain_post(world_a, login):
    kafka = make_capability(world_a.tenant, world_a.team, name="Kafka")  # following needs a real one
    client = login(world_a.member)
    data = {
        "topic_kind": "capability",
        "topic_id": kafka.pk,
        "topic_label": "<b>Kafka</b>",
        "next": "/t/alpha/",
    }
    response = client.post(base(world_a) + "follow/", data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-pressed="true"' in html and "<b>Kafka</b>" not in html and "&lt;b&gt;Kafka&lt;/b&gt;" in html
    with tenant_context(world_a.tenant):
        assert Subscription.objects.get(user=world_a.member).topic_id == kafka.pk
    response = client.post(base(world_a) + "follow/", {**data, "action": "unfollow"})
    assert response.status_code == 303 and response["Location"] == "/t/alpha/"
    with tenant_context(world_a.tenant):
        assert not Subscription.objects.exists()
    bad = client.post(base(world_a) + "follow/", {**data, "topic_id": "-3"})
    assert bad.status_code == 400


def test_preferences_page_saves_channels_and_tenant_follow(world_a, login):
    client = login(world_a.viewer)
    assert client.get(base(world_a)).status_code == 200
    response = client.post(
        base(world_a),
        {"freq_email": "weekly", "freq_inbox": "off", "tenant_form": "1", "tenant_releases": "on"},
    )
    assert response.status_code == 303
    with tenant_context(world_a.tenant):
        prefs = dict(ChannelPreference.objects.values_list("channel", "frequency"))
        assert prefs == {"email": "weekly", "inbox": "off"}
        sub = Subscription.objects.get(topic_kind="tenant")
        assert sub.releases and not sub.status
    response = client.post(base(world_a), {"freq_inbox": "daily"})  # digests are for email only
    assert response.status_code == 400


def test_inbox_bell_and_mark_read(world_a, login, django_capture_on_commit_callbacks):
    subscribers(world_a.tenant, 0)
    with django_capture_on_commit_callbacks(execute=True):
        publish(world_a.tenant, recipient_user_ids=[world_a.member.pk], title="<script>alert(1)</script>")
    client = login(world_a.member)
    page = client.get(base(world_a) + "inbox/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert ">1<" in client.get(base(world_a) + "bell/").content.decode()
    with tenant_context(world_a.tenant):
        item = InboxItem.objects.get()
    # Another user's item answers 404.
    assert login(world_a.admin).post(base(world_a) + f"inbox/{item.pk}/read/").status_code == 404
    client = login(world_a.member)
    assert client.post(base(world_a) + f"inbox/{item.pk}/read/").status_code == 303
    assert "badge" not in client.get(base(world_a) + "bell/").content.decode()


def test_endpoint_pages_never_show_the_url_and_hide_foreign_teams(world_a, login, settings):
    settings.NOTIFY_WEBHOOK_ALLOW_HTTP = False
    client = login(world_a.maintainer)
    url = "https://hooks.slack.com/services/T000/B000/supersecretvalue"
    response = client.post(
        base(world_a) + "endpoints/", {"team": world_a.team.pk, "kind": "slack", "name": "alerts", "url": url}
    )
    assert response.status_code == 303
    with tenant_context(world_a.tenant):
        endpoint = ChannelEndpoint.objects.get()
        assert endpoint.url == url and "supersecret" not in endpoint.url_encrypted
    for page in (base(world_a) + "endpoints/", response["Location"]):
        body = client.get(page).content.decode()
        assert "supersecretvalue" not in body and "…alue" in body
    insecure = client.post(
        base(world_a) + "endpoints/",
        {"team": world_a.team.pk, "kind": "webhook", "name": "x", "url": "http://example.com/hook"},
    )
    assert insecure.status_code == 400
    webhook = client.post(
        base(world_a) + "endpoints/",
        {"team": world_a.team.pk, "kind": "webhook", "name": "ci", "url": "https://ci.example.com/hook"},
    )
    assert webhook.status_code == 200
    assert 'data-testid="signing-secret"' in webhook.content.decode()
    assert login(world_a.member).get(response["Location"]).status_code == 404  # not a maintainer


def test_unsubscribe_get_confirms_post_unsubscribes_without_cookies(world_a, world_b):
    [user] = subscribers(world_a.tenant, 1, topic_id=9)
    token = make_token(tenant_id=world_a.tenant.pk, user_id=user.pk, topic_kind="capability", topic_id=9)
    stranger = Client(enforce_csrf_checks=True)
    assert stranger.get(f"/u/{token}/").status_code == 200
    with tenant_context(world_a.tenant):
        assert Subscription.objects.get(user=user).active
    assert (
        stranger.post(
            f"/u/{token}/", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    with tenant_context(world_a.tenant):
        assert not Subscription.objects.get(user=user).active
    # A forged or altered token is refused and changes nothing anywhere.
    forged = make_token(tenant_id=world_b.tenant.pk, user_id=user.pk, topic_kind="capability", topic_id=9)
    tampered = forged[:-3] + ("AAA" if not forged.endswith("AAA") else "BBB")
    assert read_token(tampered) is None
    assert stranger.post(f"/u/{tampered}/").status_code == 404
    assert stranger.post("/u/garbage/").status_code == 404


def test_digest_token_turns_email_off(world_a):
    token = make_token(tenant_id=world_a.tenant.pk, user_id=world_a.member.pk, topic_kind="email", topic_id=0)
    assert Client().post(f"/u/{token}/").status_code == 200
    with tenant_context(world_a.tenant):
        assert ChannelPreference.objects.get(user=world_a.member, channel="email").frequency == "off"


def test_disabled_endpoint_state_is_visible(world_a, login):
    with tenant_context(world_a.tenant):
        endpoint, _ = services.endpoint_create(
            team=world_a.team,
            kind="teams",
            name="t",
            url="https://prod-00.westus.logic.azure.com/workflows/x",
        )
        services.endpoint_disable(endpoint=endpoint, reason="The endpoint answered 410: it no longer exists.")
    page = login(world_a.maintainer).get(base(world_a) + f"endpoints/{endpoint.pk}/").content.decode()
    assert "answered 410" in page and "Switch back on" in page
