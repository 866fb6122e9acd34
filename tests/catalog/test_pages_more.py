"""Catalog pages: the role matrix, htmx history, escaping of every shown field, edits keep what is unseen."""

from __future__ import annotations

import re

import pytest

from catalog import services
from catalog.models import Capability, CapabilityDependency
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.factories import add_member, make_team, make_user

pytestmark = pytest.mark.django_db
BASE = "/t/alpha/catalog/"
HTMX = {"HX-Request": "true", "HX-Target": "capability-results", "HX-Current-URL": "http://testserver" + BASE}


@pytest.fixture
def ours(world_a):
    return make_capability(world_a.tenant, world_a.team, name="Ours", lifecycle="beta")


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [("admin", 200, 200), ("maintainer", 200, 200), ("member", 200, 403), ("viewer", 200, 403)],
)
def test_role_matrix_on_a_visible_capability(world_a, login, ours, role, read, write):
    client = login(getattr(world_a, role))
    assert client.get(BASE + "ours/").status_code == read
    assert client.get(BASE + "ours/edit/").status_code == write
    form = {"name": "Renamed", "slug": "ours", "owner_team": world_a.team.slug, "lifecycle": "ga",
            "visibility": "tenant"}  # fmt: skip
    edit = client.post(BASE + "ours/edit/", form)
    assert edit.status_code == (302 if write == 200 else 403)
    archive = client.post(BASE + "ours/archive/")
    assert archive.status_code == (302 if write == 200 else 403)
    with tenant_context(world_a.tenant):
        cap = Capability.objects.get(pk=ours.pk)
        assert (cap.name == "Renamed" and cap.archived) is (write == 200)


def test_maintainer_of_another_team_gets_403_and_edit_buttons_are_hidden(world_a, login, ours):
    other_maintainer = make_user()
    add_member(world_a.tenant, other_maintainer)
    make_team(world_a.tenant, "theirs", maintainers=[other_maintainer])
    client = login(other_maintainer)
    assert client.get(BASE + "new/").status_code == 200  # they may add capabilities for their own team
    assert client.get(BASE + "ours/edit/").status_code == 403
    page = client.get(BASE + "ours/").text
    assert "/ours/edit/" not in page and "/ours/archive/" not in page
    assert "/ours/edit/" in login(world_a.maintainer).get(BASE + "ours/").text


def test_what_you_cannot_see_is_404_on_every_page(world_a, world_b, login):
    secret = make_team(world_a.tenant, "secret")
    make_capability(world_a.tenant, secret, name="Hush", visibility="teams", visible_to_teams=[secret])
    make_capability(world_b.tenant, world_b.team, name="Elsewhere")
    client = login(world_a.maintainer)  # maintainer, but not of `secret`
    for url in ("hush/", "hush/edit/", "elsewhere/", "elsewhere/edit/"):
        assert client.get(BASE + url).status_code == 404, url
    assert client.post(BASE + "hush/archive/").status_code == 404
    assert client.post(BASE + "hush/edit/", {"name": "x"}).status_code == 404
    assert client.get("/t/beta/catalog/elsewhere/").status_code == 404  # not a member of beta at all


def test_unseen_dependencies_survive_a_form_edit(world_a, login):
    secret = make_team(world_a.tenant, "secret")
    hidden = make_capability(
        world_a.tenant, secret, name="Hidden", visibility="teams", visible_to_teams=[secret]
    )
    retired = make_capability(world_a.tenant, world_a.team, name="Retired One")
    app = make_capability(world_a.tenant, world_a.team, name="App", dependencies=[hidden, retired])
    with tenant_context(world_a.tenant):
        services.capability_archive(capability=retired)
    client = login(world_a.maintainer)
    assert "Hidden" not in client.get(BASE + "app/").text
    response = client.post(BASE + "app/edit/", {"name": "App", "owner_team": world_a.team.slug,
                                                "lifecycle": "ga", "visibility": "tenant"})  # fmt: skip
    assert response.status_code == 302
    with tenant_context(world_a.tenant):
        kept = set(
            CapabilityDependency.objects.filter(capability=app).values_list("depends_on__slug", flat=True)
        )
    assert kept == {"hidden", "retired-one"}


def test_htmx_results_push_a_clean_url_and_history_restore_gets_the_full_page(world_a, login, ours):
    client = login(world_a.member)
    part = client.get(BASE, {"q": "ours", "tag": "", "lifecycle": "beta", "sort": ""}, headers=HTMX)
    assert part["HX-Push-Url"] == BASE + "?q=ours&lifecycle=beta"
    assert "<html" not in part.text and "Ours" in part.text
    assert client.get(BASE, {"q": ""}, headers=HTMX)["HX-Push-Url"] == BASE
    restore = client.get(
        BASE, {"q": "ours"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text and "HX-Push-Url" not in restore
    full = client.get(BASE, {"q": "ours"})
    assert {"HX-Request", "HX-Target"} <= {v.strip() for v in full["Vary"].split(",")}


def test_list_works_as_a_plain_get_form(world_a, login, ours):
    page = login(world_a.viewer).get(BASE).text
    form = re.search(r'<form class="filters" method="get" action="([^"]+)"', page)
    assert form and form.group(1) == BASE
    for name in ("q", "category", "lifecycle", "team", "tag", "status", "sort"):
        assert f'name="{name}"' in page
    assert "<noscript><button" in page  # a submit button for browsers without JavaScript


def test_pager_keeps_the_query(world_a, login):
    for i in range(52):
        make_capability(world_a.tenant, world_a.team, name=f"Paged {i:02d}", category="Bulk")
    page = login(world_a.member).get(BASE, {"category": "Bulk", "team": ""}).text
    assert 'href="?category=Bulk&amp;page=2"' in page  # empty fields dropped, filters kept
    second = login(world_a.member).get(BASE, {"category": "Bulk", "page": "2"}).text
    assert second.count("capability-card") == 2 and "Page 2 of 2" in second


def test_mine_explains_itself_to_someone_without_a_team(world_a, login, ours):
    loner = make_user()
    add_member(world_a.tenant, loner)
    page = login(loner).get(BASE + "mine/").text
    assert "not in a team yet" in page and "Ours" not in page


HOSTILE = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'


def test_every_displayed_field_is_escaped(world_a, login):
    team = make_team(world_a.tenant, "hostile")
    with tenant_context(world_a.tenant):
        team.name = HOSTILE
        team.save()
    make_capability(
        world_a.tenant, team, name=f"Evil {HOSTILE}", slug="evil", summary=HOSTILE, category=HOSTILE,
        support_channel=HOSTILE, slo_text=HOSTILE, slo_target="99.5", description=HOSTILE,
        links=[("docs", HOSTILE, 'https://docs.example.com/"><script>alert(3)</script>')],
    )  # fmt: skip
    with tenant_context(world_a.tenant):
        services.capability_set_status(capability=Capability.objects.get(slug="evil"), status="degraded",
                                       message=HOSTILE)  # fmt: skip
    client = login(world_a.admin)
    for url in (BASE + "evil/", BASE, BASE + "?q=evil", BASE + "evil/edit/"):
        html = client.get(url).text.lower()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        tags_only = re.sub(r'"[^"]*"', '""', html)  # escaped text inside attribute values is inert
        assert not re.search(r"<[a-z]+[^>]*\son[a-z]+\s*=", tags_only), url


def test_form_errors_are_wired_for_screen_readers(world_a, login):
    client = login(world_a.maintainer)
    response = client.post(BASE + "new/", {"name": "", "owner_team": world_a.team.slug, "lifecycle": "ga",
                                           "visibility": "tenant"})  # fmt: skip
    assert response.status_code == 400
    html = response.text
    for target in set(re.findall(r'aria-describedby="([^"]+)"', html)):
        for element_id in target.split():
            assert f'id="{element_id}"' in html, element_id


def test_htmx_form_post_swaps_only_the_form_with_a_422(world_a, login):
    client = login(world_a.maintainer)
    response = client.post(BASE + "new/", {"name": "x", "owner_team": world_a.team.slug, "lifecycle": "ga",
                                           "visibility": "tenant", "oncall_url": "javascript:alert(1)"},
                           headers={"HX-Request": "true"})  # fmt: skip
    assert response.status_code == 422  # not 400: see views._form_response
    assert response.text.lstrip().startswith('<form id="capability-form"')
    assert "http" in response.text and "<html" not in response.text


def test_detail_shows_slo_links_in_kind_order_and_restricted_badge(world_a, login):
    early = make_team(world_a.tenant, "early")
    links = [("dashboard", "Board", "https://b.example.com"), ("docs", "Handbook", "https://d.example.com")]
    make_capability(world_a.tenant, world_a.team, name="Rich", slo_target="99.950", visibility="teams",
                    visible_to_teams=[early], links=links)  # fmt: skip
    html = login(world_a.member).get(BASE + "rich/").text
    assert "99.95%" in html and "99.950" not in html
    assert html.index("Handbook") < html.index("Board")
    assert "Early access" in html and early.name in html


def test_one_round_shows_form_and_service_errors_together(world_a, login):
    """A number out of range (the form's check) and a javascript: URL (the service's) in one answer."""
    client = login(world_a.maintainer)
    response = client.post(BASE + "new/", {"name": "", "owner_team": world_a.team.slug, "lifecycle": "ga",
                                           "visibility": "tenant", "slo_target": "120",
                                           "oncall_url": "javascript:alert(1)",
                                           "contact_email": "nope"})  # fmt: skip
    assert response.status_code == 400
    errors = re.findall(r'<div class="field has-error">\s*<label for="id_(\w+)"', response.text)
    assert errors == ["name", "oncall_url", "contact_email", "slo_target"]
    assert "Give a slug" not in response.text  # derived from the (missing) name: not a second complaint
    with tenant_context(world_a.tenant):
        assert not Capability.objects.exists()


def test_mine_for_a_team_that_owns_nothing_says_so(world_a, login):
    make_capability(world_a.tenant, make_team(world_a.tenant, "others"), name="Theirs")
    page = login(world_a.member).get(BASE + "mine/").text
    assert "Your teams do not own a capability yet" in page and "Theirs" not in page
    assert "Nothing matches" in login(world_a.member).get(BASE + "mine/", {"q": "zzz"}).text
