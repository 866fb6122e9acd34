"""Tenant context, the scoped manager and the tenant middleware."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import Team
from portal.tenancy.context import NoTenantError, get_current_tenant, tenant_context
from tests.factories import add_member, make_team, make_tenant, make_user


def test_default_manager_refuses_to_run_without_a_tenant(db):
    with pytest.raises(NoTenantError):
        list(Team.objects.all())


def test_manager_sees_only_the_current_tenant_and_save_sets_the_tenant(db):
    a, b = make_tenant("a"), make_tenant("b")
    make_team(a, "alpha-team")
    make_team(b, "beta-team")
    with tenant_context(a):
        assert [t.slug for t in Team.objects.all()] == ["alpha-team"]
        team = Team.objects.create(name="New", slug="new")
        assert team.tenant_id == a.pk
    with tenant_context(b):
        assert [t.slug for t in Team.objects.all()] == ["beta-team"]
        assert not Team.objects.filter(slug="new").exists()


def test_contexts_nest_and_restore(db):
    a, b = make_tenant("a"), make_tenant("b")
    assert get_current_tenant() is None
    with tenant_context(a):
        with tenant_context(b):
            assert get_current_tenant() == b
        assert get_current_tenant() == a
    assert get_current_tenant() is None


def test_anonymous_user_is_sent_to_login_whether_or_not_the_tenant_exists(client, db):
    make_tenant("real")
    for path in ["/t/real/", "/t/imaginary/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_non_member_and_unknown_tenant_look_the_same(db, login):
    a, b = make_tenant("a"), make_tenant("secret-initech", name="Initech Secret Labs")
    user = make_user()
    add_member(a, user)
    client = login(user)
    assert client.get("/t/a/").status_code == 200
    foreign = client.get("/t/secret-initech/")
    unknown = client.get("/t/zzz/")
    assert foreign.status_code == unknown.status_code == 404
    assert b.name not in foreign.text

    # The friendly 404 page is the site's layout: per-request CSP nonces and masked CSRF tokens differ on
    # every response; apart from them the two answers are identical.
    def same(text: str) -> str:
        text = re.sub(r'nonce="[^"]*"', 'nonce=""', text)
        return re.sub(r"\b[A-Za-z0-9]{64}\b", "<csrf>", text)

    assert same(foreign.text.replace("secret-initech", "zzz")) == same(unknown.text)


def test_landing_redirects_to_the_only_tenant_or_offers_a_choice(db, login):
    a, b = make_tenant("a"), make_tenant("b")
    single, double = make_user(), make_user()
    add_member(a, single)
    add_member(a, double)
    add_member(b, double)
    assert login(single).get("/")["Location"] == "/t/a/"
    client = login(double)
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="/t/a/"' in page.text and 'href="/t/b/"' in page.text
    client.get("/t/b/")
    assert client.get("/")["Location"] == "/t/b/"  # the last tenant visited wins


def test_the_session_is_written_when_the_tenant_changes_not_on_every_tenant_page(db, login, settings):
    """A tenant page that changes nothing in the session sets no session cookie: no session write per
    request, and no late poll response can bring back a session cookie the browser has just cleared."""
    a, b = make_tenant("a"), make_tenant("b")
    user = make_user()
    add_member(a, user)
    add_member(b, user)
    client = login(user)
    cookie = settings.SESSION_COOKIE_NAME
    assert cookie in client.get("/t/a/").cookies  # first visit: the last tenant is recorded
    assert cookie not in client.get("/t/a/").cookies  # unchanged: not saved again
    assert cookie in client.get("/t/b/").cookies  # switched: recorded
    assert client.get("/")["Location"] == "/t/b/"


def test_tenant_switcher_lists_every_tenant_of_the_user_and_nothing_else(db, login):
    a, b = make_tenant("a"), make_tenant("b")
    c = make_tenant("c", name="Umbrella Hidden Corp")
    user = make_user()
    add_member(a, user)
    add_member(b, user, role="viewer")
    page = login(user).get("/t/a/").text
    assert 'href="/t/b/"' in page
    assert 'href="/t/c/"' not in page
    assert c.name not in page


def test_team_pages_are_scoped(world_a, world_b, login):
    client = login(world_a.member)
    assert client.get(f"/t/alpha/teams/{world_a.team.slug}/").status_code == 200
    assert client.get(f"/t/alpha/teams/{world_b.team.slug}/").status_code == 404
    listing = client.get("/t/alpha/teams/").text
    assert world_a.team.name in listing and world_b.team.name not in listing
