"""Atom feeds: valid Atom 1.0, stable entry ids, absolute links, private tokens that stay in their tenant."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from django.test import Client

from catalog import services as catalog_services
from catalog.releases import feedtokens, services
from catalog.releases.models import FeedToken
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.catalog.releases.factories import capability_of, make_release, requests_up_to
from tests.factories import make_team

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def cap(world_a):
    return capability_of(world_a, name="Kafka Topics", slug="kafka")


def token_for(world, user) -> str:
    with tenant_context(world.tenant):
        membership = Membership.objects.get(user=user)
        return feedtokens.text_of(feedtokens.feed_token_issue(membership=membership), world.tenant)


def feed_url(token: str, slug: str | None = None) -> str:
    return f"/pub/catalog/feeds/{token}/" + (f"{slug}/" if slug else "")


def parse(response) -> ET.Element:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


def entries(root: ET.Element) -> dict[str, ET.Element]:
    return {e.findtext(f"{ATOM}title"): e for e in root.findall(f"{ATOM}entry")}


def assert_valid_atom(root: ET.Element) -> None:
    """RFC 4287: feed and entries carry id, title, updated; feed has an author (or every entry has);
    entries have an alternate link; every link is absolute."""
    assert root.tag == f"{ATOM}feed"
    for element in [root, *root.findall(f"{ATOM}entry")]:
        for required in ("id", "title", "updated"):
            assert (element.findtext(f"{ATOM}{required}") or "").strip(), (element.tag, required)
        for link in element.findall(f"{ATOM}link"):
            parts = urlsplit(link.get("href"))
            assert parts.scheme in {"http", "https"} and parts.netloc, link.get("href")
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.findtext(f"{ATOM}id").startswith("urn:uuid:")
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
        assert entry.find(f"{ATOM}summary").get("type") == "html"


def test_tenant_feed_is_valid_atom_with_releases_and_status_updates(world_a, cap):
    requests_up_to(world_a, 7)
    make_release(world_a.tenant, cap, version="1.0", title="First", publish=True, ships_request_numbers=[7])
    make_release(world_a.tenant, cap, version="2.0", title="Unpublished draft")
    with tenant_context(world_a.tenant):
        services.status_update_post(capability=cap, status="degraded", message="Lag on **eu-1**")
    root = parse(
        Client().get(feed_url(token_for(world_a, world_a.viewer)))
    )  # anonymous: the token is the auth
    assert_valid_atom(root)
    found = entries(root)
    assert set(found) == {"Kafka Topics 1.0: First", "Kafka Topics: Degraded"}
    summary = found["Kafka Topics 1.0: First"].findtext(f"{ATOM}summary")
    assert "#7" in summary
    assert "<strong>eu-1</strong>" in found["Kafka Topics: Degraded"].findtext(f"{ATOM}summary")
    link = found["Kafka Topics 1.0: First"].find(f"{ATOM}link").get("href")
    assert urlsplit(link).path.startswith(f"/t/{world_a.tenant.slug}/catalog/releases/")


def test_entry_ids_are_stable_across_fetches_and_new_tokens(world_a, cap):
    make_release(world_a.tenant, cap, publish=True)
    with tenant_context(world_a.tenant):
        services.status_update_post(capability=cap, status="maintenance", message="Upgrade")
    first = parse(Client().get(feed_url(token_for(world_a, world_a.member))))
    again = parse(Client().get(feed_url(token_for(world_a, world_a.member))))  # a brand-new token
    other_user = parse(Client().get(feed_url(token_for(world_a, world_a.admin))))
    ids = [e.findtext(f"{ATOM}id") for e in first.findall(f"{ATOM}entry")]
    assert len(ids) == len(set(ids)) == 2
    for root in (again, other_user):
        assert [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")] == ids
        assert root.findtext(f"{ATOM}id") == first.findtext(f"{ATOM}id")


def test_capability_feed_has_only_that_capability(world_a, cap):
    dns = capability_of(world_a, name="Global DNS", slug="dns")
    make_release(world_a.tenant, cap, title="Kafka news", publish=True)
    make_release(world_a.tenant, dns, title="DNS news", publish=True)
    root = parse(Client().get(feed_url(token_for(world_a, world_a.member), "dns")))
    assert_valid_atom(root)
    titles = list(entries(root))
    assert len(titles) == 1 and titles[0].startswith("Global DNS ") and titles[0].endswith(": DNS news")
    assert root.findtext(f"{ATOM}title") == "Global DNS: releases and status"


def test_empty_feed_is_valid_and_cacheable(world_a, cap):
    client = Client()
    url = feed_url(token_for(world_a, world_a.member), "kafka")
    first = client.get(url)
    assert_valid_atom(parse(first))
    assert first["ETag"] and "private" in first["Cache-Control"]
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    assert client.post(url).status_code == 405


def test_feed_text_is_sanitised(world_a, cap):
    make_release(world_a.tenant, cap, publish=True, notes="<script>alert(1)</script>[x](javascript:alert(1))")
    root = parse(Client().get(feed_url(token_for(world_a, world_a.member))))
    summary = root.find(f"{ATOM}entry/{ATOM}summary").text
    assert "<script" not in summary and "javascript:" not in summary


def test_feeds_show_only_what_the_token_owner_may_see(world_a):
    insiders = make_team(world_a.tenant, "insiders")
    with tenant_context(world_a.tenant):
        hidden = catalog_services.capability_create(
            owner_team=insiders,
            name="Hidden Beta",
            slug="hidden",
            visibility="teams",
            visible_to_teams=[insiders],
        )
    make_release(world_a.tenant, hidden, title="Beta goodies", publish=True)
    member_feed = Client().get(feed_url(token_for(world_a, world_a.member)))
    assert b"Beta goodies" not in member_feed.content
    assert Client().get(feed_url(token_for(world_a, world_a.member), "hidden")).status_code == 404
    assert b"Beta goodies" in Client().get(feed_url(token_for(world_a, world_a.admin))).content


def test_a_token_of_tenant_a_never_reads_tenant_b(world_a, world_b, cap):
    b_cap = capability_of(world_b, name="Globex Secret Service", slug="secret")
    make_release(world_b.tenant, b_cap, title="Globex only", publish=True)
    a_token = token_for(world_a, world_a.admin)
    b_token = token_for(world_b, world_b.admin)
    assert b"Globex only" in Client().get(feed_url(b_token)).content  # positive control
    assert Client().get(feed_url(a_token, "secret")).status_code == 404  # B's slug through A's token
    forged = a_token.replace(f"{world_a.tenant.slug}.", f"{world_b.tenant.slug}.", 1)
    assert forged != a_token
    assert Client().get(feed_url(forged)).status_code == 404  # naming B breaks the signature
    key_a = a_token.split(".")[1]
    with tenant_context(world_a.tenant):
        assert FeedToken.objects.filter(key=key_a).exists()
    # B's slug with A's key, correctly signed (as if SECRET_KEY leaked): the key is unknown in B.
    resigned = feedtokens.token_text(tenant_slug=world_b.tenant.slug, key=key_a)
    assert Client().get(feed_url(resigned)).status_code == 404
    for junk in ("x", "a.b.c", "nope" * 100, a_token[:-2] + "zz"):
        assert Client().get(feed_url(junk)).status_code == 404, junk
    # A user logged in to B (session) still cannot use A's token to see B.
    browser = Client()
    browser.force_login(world_b.admin)
    browser.get(f"/t/{world_b.tenant.slug}/")
    assert b"Globex only" not in browser.get(feed_url(a_token)).content


def test_revoked_replaced_and_orphaned_tokens_stop_working(world_a, cap):
    old = token_for(world_a, world_a.member)
    new = token_for(world_a, world_a.member)  # issuing again replaces the old link
    assert Client().get(feed_url(old)).status_code == 404
    assert Client().get(feed_url(new)).status_code == 200
    with tenant_context(world_a.tenant):
        membership = Membership.objects.get(user=world_a.member)
        assert feedtokens.feed_token_revoke(membership=membership) == 1
    assert Client().get(feed_url(new)).status_code == 404
    viewer_token = token_for(world_a, world_a.viewer)
    world_a.viewer.is_active = False
    world_a.viewer.save()
    assert Client().get(feed_url(viewer_token)).status_code == 404
    admin_token = token_for(world_a, world_a.admin)
    with tenant_context(world_a.tenant):
        Membership.objects.filter(user=world_a.admin).delete()  # left the tenant
    assert Client().get(feed_url(admin_token)).status_code == 404


def test_feed_link_page_creates_shows_and_revokes_the_link(world_a, cap, client):
    client.force_login(world_a.viewer)  # read-only members may follow feeds too
    page = f"/t/{world_a.tenant.slug}/catalog/feeds/"
    assert b"Create my feed link" in client.get(page).content
    assert client.post(page, {"action": "issue"}).status_code == 302
    body = client.get(page + "?capability=kafka").content.decode()
    assert "/pub/catalog/feeds/" in body
    with tenant_context(world_a.tenant):
        token = FeedToken.objects.get(membership__user=world_a.viewer, revoked_at__isnull=True)
    text = feedtokens.text_of(token, world_a.tenant)
    assert f"http://testserver/pub/catalog/feeds/{text}/" in body
    assert f"http://testserver/pub/catalog/feeds/{text}/kafka/" in body
    assert Client().get(feed_url(text)).status_code == 200
    assert client.post(page, {"action": "revoke"}).status_code == 302
    assert Client().get(feed_url(text)).status_code == 404
    assert client.post(page, {"action": "bogus"}).status_code == 400
    assert client.get(page + "?capability=no-such").status_code == 200  # no link yet: nothing to show
