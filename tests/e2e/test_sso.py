"""Single sign-on end to end: Chromium, Agora's live server, and a real OpenID Connect provider process.

Tenants alpha and beta each have their own client at the provider; gamma's client gets its ID tokens
altered after signing (what an attacker in the path would do); delta's gets, from its second login on, the
first ID token it was issued (validly signed, minted for another login). The provider reads its accounts
(and their groups) from a file at every login, so a test changes someone's groups between two logins.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from portal.accounts.models import AuditEntry, Team, TeamMembership
from portal.sso import services as sso
from portal.sso.models import SsoIdentity, SsoTeamGrant
from portal.tenancy.context import tenant_context, user_context
from portal.tenancy.models import Membership, Role
from tests.e2e.oidc_provider import npm_install, start_provider
from tests.factories import make_team, make_tenant

pytestmark = pytest.mark.postgres
User = get_user_model()
TENANTS = {"alpha": {}, "beta": {}, "gamma": {"tamper": True}, "delta": {"replay": True}}
ISSUER: list[str] = []  # the running provider's issuer, set by the `oidc` fixture


@pytest.fixture(scope="session")
def oidc(live_server, tmp_path_factory):
    node = npm_install()
    process, provider = start_provider(
        node=node, base_url=live_server.url, tenants=TENANTS, workdir=tmp_path_factory.mktemp("oidc")
    )
    ISSUER[:] = [provider.issuer]
    yield provider
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def tenants(oidc, transactional_db, settings):
    """alpha, beta, gamma with SSO on (domains <slug>.test); alpha maps `platform` to its team."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # the provider runs on loopback: allowlisted
    settings.SSO_ALLOW_HTTP = True
    made = {}
    for slug in TENANTS:
        tenant = make_tenant(slug, name=f"{slug.title()} Corp")
        team = make_team(tenant, f"{slug}-platform")
        with tenant_context(tenant):
            sso.sso_provider_save(
                actor=None, display_name=f"{slug.title()} IdP", issuer_url=oidc.issuer,
                client_id=f"agora-{slug}", client_secret=f"secret-{slug}", email_domains=[f"{slug}.test"],
                scopes="openid profile email groups", enabled=True,
            )  # fmt: skip
            sso.sso_mapping_add(actor=None, idp_group="platform", team=team, team_role="maintainer")
            sso.sso_mapping_add(actor=None, idp_group="agora-admins", tenant_role=Role.ADMIN)
        made[slug] = tenant
    oidc.set_accounts(
        {
            "dana": {"email": "dana@alpha.test", "name": "Dana Alpha", "groups": ["platform"]},
            "gus": {"email": "gus@gamma.test", "name": "Gus Gamma", "groups": []},
            "dora": {"email": "dora@delta.test", "name": "Dora Delta", "groups": []},
        }
    )
    return made


def sso_login(page, slug: str, login: str, issuer: str) -> None:
    """Continue with <slug>'s IdP from the login page; at the provider: sign in and consent if asked."""
    page.goto(f"/accounts/login/?tenant={slug}")
    # To the provider's prompt, or straight back to us when the provider's session already knows the user.
    with page.expect_navigation(url=lambda url: "/accounts/login/" not in url):
        page.get_by_role("button", name=f"Continue with {slug.title()} IdP").click()
    for _ in range(3):  # the provider's login prompt, then its consent prompt (each at most once)
        if not page.url.startswith(issuer):
            break
        if page.locator("input[name=login]").count():
            page.fill("input[name=login]", login)
            page.fill("input[name=password]", "any")
            button = page.get_by_role("button", name="Sign-in", exact=True)
        else:
            button = page.get_by_role("button", name="Continue", exact=True)
        with page.expect_navigation():
            button.click()
        page.wait_for_load_state()


def memberships_of(user, tenant) -> tuple[str | None, dict[str, str]]:
    with tenant_context(tenant), user_context(user.pk):
        membership = Membership.objects.filter(user=user).first()
        teams = dict(TeamMembership.objects.filter(user=user).values_list("team__slug", "role"))
    return (membership.role if membership else None), teams


def test_first_login_provisions_the_user_and_maps_groups_then_a_removed_group_removes_the_team(
    page, tenants, oidc
):
    sso_login(page, "alpha", "dana", ISSUER[0])
    expect(page).to_have_url(f"{page.url.split('/t/')[0]}/t/alpha/")
    dana = User.objects.get(email="dana@alpha.test")
    assert not dana.has_usable_password()
    assert memberships_of(dana, tenants["alpha"]) == (Role.MEMBER, {"alpha-platform": "maintainer"})
    assert SocialAccount.objects.get(user=dana).provider == "alpha"  # bound to alpha's provider id

    # The IdP drops the group; at the next login the team membership that came from it goes.
    oidc.set_accounts({"dana": {"email": "dana@alpha.test", "name": "Dana Alpha", "groups": []}})
    page.get_by_role("button", name=f"Log out {dana.username}").click()
    sso_login(page, "alpha", "dana", ISSUER[0])
    expect(page).to_have_url(f"{page.url.split('/t/')[0]}/t/alpha/")
    assert memberships_of(dana, tenants["alpha"]) == (Role.MEMBER, {})
    with tenant_context(tenants["alpha"]):
        assert not SsoTeamGrant.objects.exists()
        assert SsoIdentity.objects.get(user=dana).last_sync_at is not None
        actions = list(AuditEntry.objects.order_by("at", "id").values_list("action", flat=True))
    assert actions.count("sso.login") == 2
    assert "team_member.add" in actions and "team_member.remove" in actions


def test_a_manual_team_membership_survives_the_sync(page, tenants, oidc):
    """Only memberships the mapping created are removed: an admin's own additions stay."""
    sso_login(page, "alpha", "dana", ISSUER[0])
    dana = User.objects.get(email="dana@alpha.test")
    with tenant_context(tenants["alpha"]):
        other = Team.objects.create(slug="alpha-other", name="Other")
        TeamMembership.objects.create(team=other, user=dana, role="member")
    oidc.set_accounts({"dana": {"email": "dana@alpha.test", "name": "Dana Alpha", "groups": []}})
    page.get_by_role("button", name=f"Log out {dana.username}").click()
    sso_login(page, "alpha", "dana", ISSUER[0])
    assert memberships_of(dana, tenants["alpha"])[1] == {"alpha-other": "member"}


def test_an_id_token_altered_after_signing_is_refused(page, tenants):
    """gamma's tokens gain the group agora-admins in transit: the signature check refuses the login."""
    sso_login(page, "gamma", "gus", ISSUER[0])
    expect(page.get_by_role("heading", name="Single sign-on failed")).to_be_visible()
    assert not User.objects.filter(email="gus@gamma.test").exists()
    response = page.goto("/t/gamma/")
    assert "/accounts/login/" in page.url and response.status == 200  # not logged in


def test_a_signed_id_token_replayed_from_another_login_is_refused_by_its_nonce(page, tenants, caplog):
    """Each authorization request carries a fresh nonce; delta's second login receives the (valid, signed,
    unexpired) ID token of its first: its nonce is another flow's, so the login is refused."""
    issuer = ISSUER[0]
    nonces: list[str] = []
    page.on("request", lambda r: nonces.extend(parse_qs(urlsplit(r.url).query).get("nonce", []))
            if r.url.startswith(f"{issuer}/auth") else None)  # fmt: skip
    sso_login(page, "delta", "dora", issuer)
    dora = User.objects.get(email="dora@delta.test")
    assert page.goto("/t/delta/").status == 200 and "/accounts/login/" not in page.url  # nonce echoed: in

    page.goto("about:blank")  # no poll of the tenant page in flight can set a cookie again after the clear
    page.context.clear_cookies()  # logged out of Agora and of the provider
    sso_login(page, "delta", "dora", issuer)
    expect(page.get_by_role("heading", name="Single sign-on failed")).to_be_visible()
    assert "ID token nonce does not match this login" in caplog.text
    assert len(nonces) == 2 and nonces[0] != nonces[1] and all(len(n) >= 32 for n in nonces)
    response = page.goto("/t/delta/")
    assert "/accounts/login/" in page.url and response.status == 200  # not logged in
    assert SocialAccount.objects.filter(user=dora).count() == 1


def test_a_provider_of_tenant_a_never_logs_into_tenant_b(page, tenants):
    sso_login(page, "alpha", "dana", ISSUER[0])
    dana = User.objects.get(email="dana@alpha.test")
    assert page.goto("/t/beta/").status == 404
    assert memberships_of(dana, tenants["beta"]) == (None, {})


def test_a_login_started_for_a_cannot_complete_at_bs_callback(page, tenants, live_server):
    """The code and state of alpha's flow, replayed at beta's redirect URI: allauth's state is bound to the
    provider id (the tenant), so beta refuses it and nobody is logged in."""

    issuer = ISSUER[0]
    page.goto("/accounts/login/?tenant=alpha")
    with page.expect_navigation(url=f"{issuer}/**"):
        page.get_by_role("button", name="Continue with Alpha IdP").click()
    page.fill("input[name=login]", "dana")
    page.fill("input[name=password]", "any")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign-in", exact=True).click()
    # Consent through the context's own HTTP client (same cookies), following the provider's redirects by
    # hand until it sends the browser to alpha's callback; then deliver code and state to beta's instead.
    action = page.locator("form").first.get_attribute("action")
    answer = page.context.request.post(urljoin(page.url, action), form={"prompt": "consent"}, max_redirects=0)
    location = urljoin(issuer, answer.headers["location"])
    while location.startswith(issuer):
        location = urljoin(issuer, page.context.request.get(location, max_redirects=0).headers["location"])
    assert "/accounts/oidc/alpha/login/callback/" in location and "code=" in location
    page.goto(location.replace("/accounts/oidc/alpha/", "/accounts/oidc/beta/"))
    assert "/accounts/oidc/beta/login/callback/" in page.url
    expect(page.get_by_role("heading", name="Single sign-on failed")).to_be_visible()
    assert not User.objects.filter(email="dana@alpha.test").exists()


def test_passwords_off_hides_the_form_and_refuses_a_password_session(page, tenants):
    alice = User.objects.create_user("alpha-local", email="alpha-local@example.com", password="agora-demo")
    with tenant_context(tenants["alpha"]):
        Membership.objects.create(user=alice, role=Role.MEMBER)
        sso.sso_provider_save(
            actor=None, display_name="Alpha IdP", issuer_url=ISSUER[0],
            client_id="agora-alpha", email_domains=["alpha.test"], scopes="openid profile email groups",
            enabled=True, local_passwords_allowed=False,
        )  # fmt: skip
    page.goto("/accounts/login/?tenant=alpha")
    expect(page.get_by_role("button", name="Continue with Alpha IdP")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alpha-local")
    page.get_by_label("Password").fill("agora-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("single sign-on")
    assert page.goto("/t/alpha/") and "/accounts/login/" in page.url
