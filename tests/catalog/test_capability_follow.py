"""A capability page offers Follow and its Atom feed (announced in the head for feed readers), and what
a member follows from there shows on their notifications page under "What you follow"."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from catalog.releases import feedtokens
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.catalog.factories import make_capability

pytestmark = pytest.mark.django_db
ALTERNATE = re.compile(r'<link rel="alternate" type="application/atom\+xml" title="([^"]+)" href="([^"]+)">')


@pytest.fixture
def kafka(world_a):
    return make_capability(world_a.tenant, world_a.team, name="Kafka Topics", slug="kafka-topics")


def page_of(client, world) -> str:
    response = client.get(f"/t/{world.tenant.slug}/catalog/kafka-topics/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_has_a_follow_button_and_without_a_feed_link_points_to_the_feeds_page(
    world_a, kafka, client
):
    client.force_login(world_a.member)
    body = page_of(client, world_a)
    assert f'action="/t/{world_a.tenant.slug}/notifications/follow/"' in body
    assert '<input type="hidden" name="topic_kind" value="capability">' in body
    assert f'<input type="hidden" name="topic_id" value="{kafka.pk}">' in body
    assert 'aria-pressed="false">Follow' in body
    # No private feed link yet: none is invented, the feeds page (which creates one) is linked instead.
    assert ALTERNATE.search(body) is None
    assert f'href="/t/{world_a.tenant.slug}/catalog/feeds/?capability=kafka-topics">Get an Atom feed' in body
    with tenant_context(world_a.tenant):
        assert not feedtokens.FeedToken.objects.exists()


def test_with_a_feed_link_the_head_announces_the_capability_feed(world_a, kafka, client):
    with tenant_context(world_a.tenant):
        feedtokens.feed_token_issue(membership=Membership.objects.get(user=world_a.member))
    client.force_login(world_a.member)
    body = page_of(client, world_a)
    head = body.split("</head>")[0]
    found = ALTERNATE.search(head)
    assert found is not None, "no Atom autodiscovery link in the head"
    title, href = found.groups()
    assert title == "Kafka Topics: releases and status updates"
    assert href.startswith("http://testserver/") and href.endswith("/kafka-topics/")
    assert f'class="feed-link" href="{href}"' in body
    client.logout()  # feed readers have no session: the URL is the credential
    feed = client.get(href.removeprefix("http://testserver"))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(feed.content)
    assert "Kafka Topics" in root.findtext("{http://www.w3.org/2005/Atom}title")


def test_following_from_the_page_lists_the_capability_under_what_you_follow(world_a, kafka, client):
    client.force_login(world_a.member)
    response = client.post(
        f"/t/{world_a.tenant.slug}/notifications/follow/",
        {"topic_kind": "capability", "topic_id": kafka.pk, "topic_label": "Kafka Topics", "action": "follow"},
    )
    assert response.status_code == 303
    assert 'aria-pressed="true"' in page_of(client, world_a)
    preferences = client.get(f"/t/{world_a.tenant.slug}/notifications/").content.decode()
    follows = preferences.split("What you follow")[1]
    assert re.search(r"Kafka Topics <small class=\"muted\">Capability</small>", follows)
    assert "You follow nothing yet." not in follows
