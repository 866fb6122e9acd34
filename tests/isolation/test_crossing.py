"""Ways to cross from one tenant into another that are not a URL: the session's tenant, a token used by
someone logged in elsewhere, the admin, and state left behind by one request for the next.

The matrix (test_matrix.py) proves that tenant A's credentials never reach tenant B's objects; these tests
prove that the tenant a request runs in is always the one its credential names.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from portal.accounts.models import Team
from portal.api_router import build_router
from portal.tenancy.admin import TenantScopedAdmin
from portal.tenancy.context import current_scope, tenant_context
from portal.tenancy.models import Tenant, TenantOwnedModel
from tests.isolation.test_matrix import MARKER, PUBLIC_PREFIXES, classify, mark_tenant
from tests.isolation.urlvalues import candidates, fill
from tests.isolation.urlwalk import Endpoint, all_endpoints
from tests.isolation.worlds import Worlds, build_worlds

pytestmark = pytest.mark.django_db
PASSWORD = "agora-demo"


@pytest.fixture
def worlds() -> Worlds:
    return build_worlds()


def team_slugs(tenant: Tenant) -> set[str]:
    with tenant_context(tenant):
        return set(Team.objects.values_list("slug", flat=True))


def listed_teams(client: Client, **headers: str) -> set[str]:
    response = client.get("/api/v1/teams/", headers=headers)
    assert response.status_code == 200, response.content
    return {t["slug"] for t in response.json()["results"]}


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_every_api_route_of_the_router_is_mounted_under_api_v1():
    """The matrix walks the resolver; a router URL mounted elsewhere (or not at all) would escape it."""
    _pages, api, _unknown = classify(all_endpoints())
    mounted = {e.name for e in api}
    routed = {p.name for p in build_router().urls if p.name and "format" not in str(p.pattern)}
    assert routed and routed <= mounted, f"router URLs the matrix does not see: {sorted(routed - mounted)}"


def test_a_member_of_both_tenants_reads_exactly_the_tenant_last_visited(worlds):
    a_only, b_only = team_slugs(worlds.a) - team_slugs(worlds.b), team_slugs(worlds.b) - team_slugs(worlds.a)
    assert a_only and b_only
    sam = login("sam")  # member of acme and globex
    assert sam.get(f"/t/{worlds.a.slug}/").status_code == 200
    seen = listed_teams(sam)
    assert seen == team_slugs(worlds.a)
    assert sam.get("/api/v1/teams/me/").json()["tenant"] == worlds.a.slug
    # Switching tenants in the browser switches the API with it, with nothing of A left behind.
    assert sam.get(f"/t/{worlds.b.slug}/").status_code == 200
    assert listed_teams(sam) == team_slugs(worlds.b)
    assert sam.get(f"/api/v1/teams/{sorted(a_only)[0]}/").status_code == 404
    # An explicit header picks one of the user's own tenants, and only those.
    assert listed_teams(sam, **{"X-Agora-Tenant": worlds.a.slug}) == team_slugs(worlds.a)


def test_visiting_a_foreign_tenant_does_not_switch_the_session(worlds):
    alice = login("alice")  # acme only
    assert alice.get(f"/t/{worlds.a.slug}/").status_code == 200
    assert alice.get(f"/t/{worlds.b.slug}/").status_code == 404
    assert alice.get(f"/t/{worlds.b.slug}/catalog/").status_code == 404
    assert listed_teams(alice) == team_slugs(worlds.a)
    assert alice.get("/api/v1/teams/", headers={"X-Agora-Tenant": worlds.b.slug}).status_code == 404


def test_a_token_of_tenant_a_reads_tenant_a_even_inside_a_session_of_tenant_b(worlds):
    token = worlds.tokens["alice"]
    for username in ("gina", "sam"):  # gina: globex only; sam: both
        browser = login(username)
        assert browser.get(f"/t/{worlds.b.slug}/").status_code == 200
        auth = {"Authorization": f"Bearer {token}"}
        assert listed_teams(browser, **auth) == team_slugs(worlds.a)
        me = browser.get("/api/v1/teams/me/", headers=auth).json()
        assert (me["username"], me["tenant"]) == ("alice", worlds.a.slug)
        # The tenant header of the session does not widen a token either.
        assert listed_teams(browser, **auth, **{"X-Agora-Tenant": worlds.b.slug}) == team_slugs(worlds.a)
        # And the session is untouched by the token: without it, B again.
        assert listed_teams(browser) == team_slugs(worlds.b)


def test_no_request_leaves_a_tenant_behind_for_the_next_one(worlds):
    """Token authentication sets the tenant without a `with` block; the middleware must undo it."""
    assert current_scope().tenant is None
    api = Client(headers={"Authorization": f"Bearer {worlds.tokens['alice']}"})
    assert api.get("/api/v1/teams/").status_code == 200
    assert current_scope().tenant is None and current_scope().user_id is None
    assert login("alice").get(f"/t/{worlds.a.slug}/").status_code == 200
    assert current_scope().tenant is None
    # An anonymous request right after sees no tenant data at all.
    assert Client().get("/api/v1/teams/").status_code in (401, 403)


def test_every_tenant_owned_model_in_the_admin_is_tenant_scoped():
    loose = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if issubclass(model, TenantOwnedModel) and not isinstance(model_admin, TenantScopedAdmin)
    ]
    assert loose == [], f"admin classes of tenant-owned models must subclass TenantScopedAdmin: {loose}"


def test_the_admin_of_tenant_a_never_shows_tenant_b(worlds):
    """alice is staff and admin of acme: every admin page of B's rows answers like a missing row."""
    mark_tenant(worlds.b)
    alice = login("alice")
    assert alice.get(f"/t/{worlds.a.slug}/").status_code == 200  # the admin works on the session's tenant
    registered = [m for m in admin.site._registry if issubclass(m, TenantOwnedModel)]
    assert registered
    failures, tried = [], 0
    for model in registered:
        info = (model._meta.app_label, model._meta.model_name)
        changelist = alice.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert changelist.status_code == 200, f"{info}: positive control, the admin must open for A's admin"
        if f"{MARKER}-" in changelist.content.decode().lower():
            failures.append(f"{info}: changelist shows B's rows")
        with tenant_context(worlds.b):
            b_pks = list(model.objects.order_by("pk").values_list("pk", flat=True)[:2])
        with tenant_context(worlds.a):
            b_pks = [pk for pk in b_pks if not model.objects.filter(pk=pk).exists()]
        tried += len(b_pks)
        content_type = ContentType.objects.get_for_model(model)
        for pk in b_pks:
            # "View on site" loads the row through the model's base manager, which is not tenant-scoped.
            shortcut = alice.get(reverse("admin:view_on_site", args=[content_type.pk, pk]))
            missing = alice.get(reverse("admin:view_on_site", args=[content_type.pk, 987654321]))
            if (shortcut.status_code, shortcut.get("Location")) != (
                missing.status_code,
                missing.get("Location"),
            ):
                failures.append(f"view on site of B's {info} {pk} gave {shortcut.status_code}")
            for view in ("change", "history", "delete"):
                url = reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[pk])
                for method in ("get", "post"):
                    response = getattr(alice, method)(url)
                    body = response.content.decode().lower()
                    if response.status_code not in (302, 404) or f"{MARKER}-" in body:
                        failures.append(f"{method.upper()} {url} gave {response.status_code}")
    assert tried >= len(registered), "B needs rows in every admin-registered model"
    assert failures == [], "\n".join(failures)


def token_routes() -> list[Endpoint]:
    """Public routes whose credential is a token in the path (unsubscribe links, feed URLs)."""
    token_prefixes = tuple(p for p in PUBLIC_PREFIXES if "<" in p)
    return [e for e in all_endpoints() if e.route.startswith(token_prefixes) and "token" in e.kwargs]


def test_token_urls_refuse_junk_and_forged_tokens_alike(worlds):
    """No cookie protects these routes: a token that is not genuine must get nothing, and the same answer
    whatever else the URL names (B's slugs, missing ones). Genuine tokens are tested by their features."""
    routes = token_routes()
    assert routes, "expected the unsubscribe and feed routes"
    forged = [
        "x",
        "a" * 400,
        f"{worlds.b.slug}.key.signature",
        worlds.tokens["alice"],  # an API token is no feed or unsubscribe token
        worlds.tokens["alice"].replace(f"agora.{worlds.a.slug}.", f"{worlds.b.slug}."),
    ]
    failures = []
    for endpoint in routes:
        extra = [k for k in endpoint.kwargs if k != "token"]
        values = {k: (candidates(worlds.b, k, endpoint) or ["missing"])[0] for k in extra}
        for token in forged:
            url = fill(endpoint, worlds.a, {"token": token, **values})
            if url is None:
                continue
            for method in ("get", "post"):
                response = getattr(Client(), method)(url)
                if (
                    response.status_code not in (404, 405)
                    or f"{MARKER}-" in response.content.decode().lower()
                ):
                    failures.append(f"{method.upper()} {url} gave {response.status_code}")
    assert failures == [], "\n".join(failures)
