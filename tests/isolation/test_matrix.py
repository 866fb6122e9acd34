"""The cross-tenant matrix: every page and API route, tried by tenant A's users on tenant B's objects.

For each URL pattern the kwargs are filled generically from the rows of every tenant-owned model
(`slug` from slug fields, `pk`/`id` from primary keys, `number` from number fields, `<model>_<field>` from
that model; see urlvalues.py), so endpoints added later are covered without edits. A positive control
keeps the matrix honest: with A's own values at least one candidate must resolve, otherwise the test says
it cannot exercise the pattern.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import pytest
from django.db import models
from django.test import Client

from portal.tenancy.context import tenant_context
from portal.tenancy.models import Tenant
from tests.isolation.urlvalues import (
    bogus,
    combos,
    fill,
    foreign_combos,
    object_kwargs,
    tenant_models,
)
from tests.isolation.urlwalk import Endpoint, all_endpoints
from tests.isolation.worlds import build_worlds

pytestmark = pytest.mark.django_db

# Routes that are deliberately outside any tenant; everything else must be under /t/<tenant>/ or /api/v1/.
# `u/<token>/` is the cookie-less one-click unsubscribe (tests/notifications/test_views.py covers it);
# `pub/catalog/feeds/<token>/` are token-authenticated Atom feeds (tests/catalog/releases/test_feeds.py).
# `pub/insights/ingest/<tenant>/<key>/`: signed webhooks (tests/insights/delivery/test_isolation.py).
# `invite/<str:token>/` accepts a signed invitation (tests/accounts/admin/test_invitations.py).
PUBLIC_PREFIXES = (
    "admin/",
    "accounts/login/",
    "accounts/logout/",
    "api/schema/",
    "api/docs/",
    "api/redoc/",
    "u/<str:token>/",
    "pub/catalog/feeds/<str:token>/",
    "pub/insights/ingest/",
    "invite/<str:token>/",
    # SSO flow before any tenant is entered; its tenant binding is tested in tests/e2e/test_sso.py.
    "accounts/sso/",
    "accounts/oidc/",
)
PUBLIC_ROUTES = {"", "healthz", "readyz", "metrics"}  # probes and /metrics: portal/ops, tests/ops
METHODS_HTML = ("get", "post")
HTMX = {"HX-Request": "true"}
METHODS_API = ("get", "put", "patch", "delete", "post")


def snapshot(tenant: Tenant) -> str:
    digest = hashlib.sha256()
    with tenant_context(tenant):
        for model in sorted(tenant_models(), key=lambda m: m._meta.label):
            rows = list(model.objects.order_by("pk").values())
            digest.update(json.dumps([model._meta.label, rows], default=str, sort_keys=True).encode())
    return digest.hexdigest()


def b_only_strings(a: Tenant, b: Tenant) -> set[str]:
    """Distinctive text of B (names, titles...) that never occurs in A: must never show up for A."""

    def texts(tenant: Tenant) -> set[str]:
        found: set[str] = set()
        with tenant_context(tenant):
            for model in tenant_models():
                fields = [
                    f.name
                    for f in model._meta.concrete_fields
                    if isinstance(f, models.CharField) and f.name in {"name", "title", "summary"}
                ]
                for field in fields:
                    # Phrases, not single words: a B tag like "database" may legitimately occur in A's prose.
                    found.update(
                        v for v in model.objects.values_list(field, flat=True) if v and " " in v.strip()
                    )
        return found

    return texts(b) - texts(a)


MARKER = "betasecret"
MARKED_FIELDS = {
    "name",
    "title",
    "summary",
    "description",
    "message",
    "notes",
    "topic_label",
    "status_message",
}
NOT_MARKED_APPS = {"events"}  # Event.name is the dispatch key of a handler, not display text


def mark_tenant(tenant: Tenant) -> int:
    """Prefix every display text of `tenant` (names, titles...) with MARKER; returns how many rows changed.

    Any response of another tenant containing the marker then shows a leak, even of a one-word name that
    both tenants happen to share (a tag "database").
    """
    changed = 0
    with tenant_context(tenant):
        for model in tenant_models():
            if model._meta.app_label in NOT_MARKED_APPS:
                continue
            fields = [
                f
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField)
                and f.name in MARKED_FIELDS
                and not f.choices
            ]
            for row in model.objects.values("pk", *[f.name for f in fields]) if fields else []:
                new = {f.name: f"{MARKER}-{row[f.name]}"[: f.max_length] for f in fields if row[f.name]}
                changed += model.objects.filter(pk=row["pk"]).update(**new) if new else 0
    return changed


def classify(endpoints: list[Endpoint]) -> tuple[list[Endpoint], list[Endpoint], list[str]]:
    tenant, api, unknown = [], [], []
    for e in endpoints:
        if e.area == "tenant":
            tenant.append(e)
        elif e.area == "api":
            if "format" not in e.kwargs:
                api.append(e)
        elif e.route not in PUBLIC_ROUTES and not e.route.startswith(PUBLIC_PREFIXES):
            unknown.append(e.route)
    return tenant, api, unknown


@pytest.fixture
def worlds():
    return build_worlds()


def test_every_url_is_tenant_scoped_or_explicitly_public():
    _tenant, _api, unknown = classify(all_endpoints())
    assert unknown == [], (
        "URLs outside /t/<tenant>/ and /api/v1/ that the isolation matrix does not know: "
        f"{unknown}. Put tenant data under /t/<tenant>/ or /api/v1/, or add a dedicated isolation test and "
        "list the route as public here."
    )


def test_pages_of_tenant_b_are_404_for_every_user_of_tenant_a(worlds):
    a, b = worlds.a, worlds.b
    endpoints, _api, _ = classify(all_endpoints())
    assert len(endpoints) >= 5
    before = snapshot(b)
    failures: list[str] = []
    admin, member = Client(), Client()
    assert admin.login(username="alice", password="agora-demo")
    assert member.login(username="carol", password="agora-demo")
    for endpoint in endpoints:
        if not endpoint.name:
            failures.append(f"{endpoint.route}: unnamed pattern, cannot be reversed")
            continue
        keys = object_kwargs(endpoint)
        # 1. Anything under /t/<B>/ is 404 for A's users, whatever the path.
        sample_b = next(iter(combos(b, endpoint, {})), {} if not keys else None)
        if sample_b is not None:
            url = fill(endpoint, b, sample_b)
            for client in (admin, member):
                for method in METHODS_HTML:
                    status = getattr(client, method)(url).status_code
                    if status != 404:
                        failures.append(f"{method.upper()} {url} (tenant B) gave {status}")
        if not keys:
            continue
        # 2. Positive control: A's own objects resolve under /t/<A>/.
        if not any(
            admin.get(fill(endpoint, a, values)).status_code != 404 for values in combos(a, endpoint, {})
        ):
            failures.append(
                f"{endpoint.route}: no value of A resolves; name the kwarg conventionally (slug, pk, number, "
                "<model>_slug...) or give the model demo rows"
            )
            continue
        # 3. B's objects under /t/<A>/ look exactly like objects that do not exist: 404 for the admin.
        for values in foreign_combos(a, b, endpoint, failures):
            url = fill(endpoint, a, values)
            missing = fill(endpoint, a, bogus(values))
            for client, who in ((admin, "admin"), (member, "member")):
                # htmx requests often take another branch of the view (a fragment): tried as well.
                for method, headers in [(m, {}) for m in METHODS_HTML] + [(m, HTMX) for m in METHODS_HTML]:
                    got = getattr(client, method)(url, headers=headers).status_code
                    want = getattr(client, method)(missing, headers=headers).status_code if missing else 404
                    if got != want or (who == "admin" and want != 405 and got != 404):
                        failures.append(
                            f"{who} {method.upper()} {url} {headers} gave {got}, a missing one gives {want}"
                        )
    assert failures == [], "\n".join(failures)
    assert snapshot(b) == before, "tenant B's data changed during the matrix"


def test_api_objects_of_tenant_b_are_404_with_tenant_a_tokens(worlds):
    a, b = worlds.a, worlds.b
    _pages, endpoints, _ = classify(all_endpoints())
    assert any(object_kwargs(e) for e in endpoints)
    before = snapshot(b)
    failures: list[str] = []
    for username in ("alice", "carol"):
        client = Client(headers={"Authorization": f"Bearer {worlds.tokens[username]}"})
        for endpoint in endpoints:
            keys = object_kwargs(endpoint)
            if not keys:
                continue
            if username == "alice" and not any(
                client.get(fill(endpoint, a, v)).status_code != 404 for v in combos(a, endpoint, {})
            ):
                failures.append(
                    f"{endpoint.route}: no value of A resolves through the API (positive control)"
                )
                continue
            for values in foreign_combos(a, b, endpoint, failures if username == "alice" else []):
                url = fill(endpoint, a, values)
                missing = fill(endpoint, a, bogus(values))
                for method in METHODS_API:
                    got = getattr(client, method)(url, content_type="application/json").status_code
                    want = (
                        getattr(client, method)(missing, content_type="application/json").status_code
                        if missing
                        else 404
                    )
                    if (
                        got != want
                        or (want != 405 and got not in (404, 403) if username == "carol" else False)
                        or (username == "alice" and want != 405 and got != 404)
                    ):
                        failures.append(f"{username} {method.upper()} {url} gave {got}, missing gives {want}")
    assert failures == [], "\n".join(failures)
    assert snapshot(b) == before, "tenant B's data changed through the API"


def test_lists_and_pages_of_tenant_a_never_show_tenant_b_text(worlds):
    a, b = worlds.a, worlds.b
    secrets = b_only_strings(a, b)
    assert len(secrets) >= 3, "tenant B needs distinctive demo text for this test to mean anything"
    assert mark_tenant(b) >= 10
    secrets.add(f"{MARKER}-")  # the hyphen tells marked data from the echo of the search term
    pages, api, _ = classify(all_endpoints())
    browser = Client()
    assert browser.login(username="alice", password="agora-demo")
    api_client = Client(headers={"Authorization": f"Bearer {worlds.tokens['alice']}"})
    leaks: dict[str, list[str]] = defaultdict(list)
    checked = 0
    for endpoint, client in [(e, browser) for e in pages] + [(e, api_client) for e in api]:
        for values in [{}] if not object_kwargs(endpoint) else list(combos(a, endpoint, {}))[:2]:
            url = fill(endpoint, a, values)
            if url is None:
                continue
            # Plain, htmx fragment, and searched for B's marker (search indexes are another way to leak).
            variants = [(url, {}), (url, {"HX-Request": "true"}), (f"{url}?q={MARKER}&search={MARKER}", {})]
            for target, headers in variants if client is browser else variants[::2]:
                response = client.get(target, headers=headers)
                if response.status_code != 200 or response.get("Content-Type", "").startswith(
                    "application/zip"
                ):
                    continue
                checked += 1
                body = response.content.decode(errors="replace").lower()
                leaks[target].extend(s for s in secrets if s.lower() in body)
    assert checked >= 5
    # Control: the marker does reach B's own pages, so its absence from A's means something.
    owner = Client()
    assert owner.login(username="gina", password="agora-demo")
    assert f"{MARKER}-" in owner.get(f"/t/{b.slug}/catalog/").content.decode().lower()
    assert {url: found for url, found in leaks.items() if found} == {}


def test_session_api_calls_follow_the_tenant_of_the_session_not_another(worlds):
    client = Client()
    assert client.login(username="alice", password="agora-demo")
    client.get(f"/t/{worlds.a.slug}/")
    names = {t["slug"] for t in client.get("/api/v1/teams/").json()["results"]}
    with tenant_context(worlds.b):
        from portal.accounts.models import Team

        b_only = set(Team.objects.values_list("slug", flat=True)) - names
    assert names and b_only
    assert client.get(f"/api/v1/teams/{sorted(b_only)[0]}/").status_code == 404
    # Asking for tenant B explicitly is refused like a missing tenant.
    assert client.get("/api/v1/teams/", headers={"X-Agora-Tenant": worlds.b.slug}).status_code == 404


def test_a_token_of_tenant_a_cannot_be_replayed_as_tenant_b(worlds):
    token = worlds.tokens["alice"]
    forged = token.replace(f"agora.{worlds.a.slug}.", f"agora.{worlds.b.slug}.")
    client = Client(headers={"Authorization": f"Bearer {forged}"})
    assert client.get("/api/v1/teams/").status_code == 401
