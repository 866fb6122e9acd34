"""Catalog pages: list with filters and htmx fragments, detail, visibility, permissions, XSS."""

from __future__ import annotations

import re

import pytest

from catalog.models import Capability
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.factories import make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(world_a):
    make_capability(
        world_a.tenant,
        world_a.team,
        name="Kafka Topics",
        lifecycle="ga",
        category="Messaging",
        tags=["kafka"],
    )
    make_capability(world_a.tenant, world_a.team, name="Helm Charts", lifecycle="beta", category="Compute")
    return world_a


def test_list_filters_and_search_keep_state_in_the_query(catalog, login):
    client = login(catalog.member)
    page = client.get("/t/alpha/catalog/", {"lifecycle": "beta"})
    assert "Helm Charts" in page.text and "Kafka Topics" not in page.text
    assert 'value="beta" selected' in page.text
    page = client.get("/t/alpha/catalog/", {"q": "kafka"})
    assert "Kafka Topics" in page.text and "Helm Charts" not in page.text
    assert client.get("/t/alpha/catalog/", {"tag": "kafka"}).text.count("capability-card") == 1
    assert client.get("/t/alpha/catalog/", {"category": "Compute"}).text.count("capability-card") == 1


def test_htmx_gets_only_the_results_fragment(catalog, login):
    client = login(catalog.member)
    full = client.get("/t/alpha/catalog/", {"q": "helm"})
    part = client.get(
        "/t/alpha/catalog/", {"q": "helm"}, headers={"HX-Request": "true", "HX-Target": "capability-results"}
    )
    assert "<html" in full.text and "<html" not in part.text
    assert part.text.strip().startswith('<section id="capability-results"')
    assert "Helm Charts" in part.text
    assert "HX-Request" in part["Vary"]


def test_bad_filter_values_are_ignored_not_500(catalog, login):
    client = login(catalog.member)
    assert (
        client.get("/t/alpha/catalog/", {"lifecycle": "zzz", "page": "-3", "sort": "drop table"}).status_code
        == 200
    )


def test_team_restricted_capability_is_invisible_to_others(world_a, login):
    early = make_team(world_a.tenant, "early-birds", members=[world_a.viewer])
    make_capability(
        world_a.tenant, world_a.team, name="Secret Beta", visibility="teams", visible_to_teams=[early]
    )
    # the member is in world_a.team (the owner) -> sees it; a member of no listed team does not
    outsider = login(world_a.viewer)
    assert outsider.get("/t/alpha/catalog/secret-beta/").status_code == 200  # listed team
    from tests.factories import add_member, make_user

    stranger = make_user()
    add_member(world_a.tenant, stranger)
    client = login(stranger)
    assert client.get("/t/alpha/catalog/secret-beta/").status_code == 404
    assert "Secret Beta" not in client.get("/t/alpha/catalog/").text
    assert "Secret Beta" not in client.get("/t/alpha/catalog/", {"q": "secret"}).text
    assert login(world_a.admin).get("/t/alpha/catalog/secret-beta/").status_code == 200


def test_only_maintainers_and_admins_may_create_and_edit(catalog, login):
    for user, expected in [
        (catalog.member, 403),
        (catalog.viewer, 403),
        (catalog.maintainer, 200),
        (catalog.admin, 200),
    ]:
        assert login(user).get("/t/alpha/catalog/new/").status_code == expected
        assert login(user).get("/t/alpha/catalog/kafka-topics/edit/").status_code == expected


def link_rows(*rows: tuple[str, str, str]) -> dict[str, str]:
    """The link editor's formset fields for `rows` of (kind, title, url)."""
    data = {"links-TOTAL_FORMS": str(len(rows)), "links-INITIAL_FORMS": "0"}
    for i, (kind, title, url) in enumerate(rows):
        data |= {f"links-{i}-kind": kind, f"links-{i}-title": title, f"links-{i}-url": url}
    return data


def test_create_via_form_and_inline_errors(catalog, login):
    client = login(catalog.maintainer)
    bad = client.post(
        "/t/alpha/catalog/new/",
        {
            "name": "Kafka Topics",
            "owner_team": catalog.team.slug,
            "lifecycle": "ga",
            "visibility": "tenant",
            **link_rows(("docs", "x", "javascript:alert(1)")),
        },
    )
    assert bad.status_code == 400
    assert "already uses the slug" in bad.text and "http" in bad.text
    good = client.post(
        "/t/alpha/catalog/new/",
        {
            "name": "Tracing",
            "owner_team": catalog.team.slug,
            "lifecycle": "beta",
            "visibility": "tenant",
            "tags": "otel, tracing",
            **link_rows(("docs", "Guide", "https://docs.example.com/t")),
        },
    )
    assert good.status_code == 302 and good["Location"] == "/t/alpha/catalog/tracing/"
    htmx = client.post(
        "/t/alpha/catalog/new/",
        {"name": "Profiling", "owner_team": catalog.team.slug, "lifecycle": "beta", "visibility": "tenant"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 204 and htmx["HX-Redirect"] == "/t/alpha/catalog/profiling/"


def test_archive_hides_from_list_but_keeps_the_page(catalog, login):
    client = login(catalog.maintainer)
    assert client.post("/t/alpha/catalog/helm-charts/archive/").status_code == 302
    assert "Helm Charts" not in client.get("/t/alpha/catalog/").text
    assert "Archived" in client.get("/t/alpha/catalog/helm-charts/").text
    assert login(catalog.member).post("/t/alpha/catalog/kafka-topics/archive/").status_code == 403


XSS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>",
]


@pytest.mark.parametrize("payload", XSS)
def test_description_markdown_is_sanitised_on_the_page(world_a, login, payload):
    make_capability(
        world_a.tenant, world_a.team, name="Evil", description=f"Hello {payload}", summary=payload
    )
    html = login(world_a.member).get("/t/alpha/catalog/evil/").text.lower()
    assert "<script>alert" not in html
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+\s*=", html), "an element with an event handler"
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", html)
    assert "hello" in html


def test_detail_shows_dependencies_dependants_and_contacts(world_a, login):
    base = make_capability(world_a.tenant, world_a.team, name="Namespaces")
    make_capability(
        world_a.tenant,
        world_a.team,
        name="Charts",
        dependencies=[base],
        support_channel="#k8s",
        contact_email="k8s@example.com",
    )
    client = login(world_a.member)
    charts = client.get("/t/alpha/catalog/charts/").text
    assert (
        'href="/t/alpha/catalog/namespaces/"' in charts and "#k8s" in charts and "k8s@example.com" in charts
    )
    assert 'href="/t/alpha/catalog/charts/"' in client.get("/t/alpha/catalog/namespaces/").text


def test_my_teams_view_lists_only_my_teams_capabilities(world_a, login):
    other = make_team(world_a.tenant, "others")
    make_capability(world_a.tenant, world_a.team, name="Ours")
    make_capability(world_a.tenant, other, name="Theirs")
    page = login(world_a.member).get("/t/alpha/catalog/mine/").text
    assert "Ours" in page and "Theirs" not in page
    with tenant_context(world_a.tenant):
        assert Capability.objects.count() == 2


def test_tag_filter_with_an_unknown_name_shows_no_cards_and_a_nul_is_ignored(catalog, login):
    client = login(catalog.member)
    page = client.get("/t/alpha/catalog/", {"tag": "nope"})
    assert page.status_code == 200 and page.text.count("capability-card") == 0
    page = client.get("/t/alpha/catalog/", {"tag": "kaf\x00ka"})  # the form drops the invalid field
    assert page.status_code == 200 and page.text.count("capability-card") == 2
