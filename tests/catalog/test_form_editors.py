"""The capability form's link rows (a formset, no pipe-separated text) and its category picker.

Both work without JavaScript: "Add a link" posts the form back with one more empty row (nothing saved),
"Remove" drops a row on save; the category is one in use or, explicitly, a new one.
"""

from __future__ import annotations

import re

import pytest

from catalog.models import Capability
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.factories import make_team

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def catalog(world_a):
    links = [("docs", "Handbook", "https://d.example.com"), ("runbook", "Pager", "https://r.example.com")]
    make_capability(
        world_a.tenant,
        world_a.team,
        name="Kafka Topics",
        slug="kafka-topics",
        category="Messaging",
        links=links,
    )
    make_capability(world_a.tenant, world_a.team, name="Helm Charts", category="Compute")
    secret = make_team(world_a.tenant, "secret-team")
    make_capability(world_a.tenant, secret, name="Hidden", category="Secret Stuff",
                    visibility="teams", visible_to_teams=[secret])  # fmt: skip
    return world_a


def base(world, **extra: str) -> dict[str, str]:
    data = {"name": "Tracing", "owner_team": world.team.slug, "lifecycle": "beta", "visibility": "tenant"}
    return data | extra


def rows(*links: tuple[str, str, str], delete: tuple[int, ...] = ()) -> dict[str, str]:
    data = {"links-TOTAL_FORMS": str(len(links)), "links-INITIAL_FORMS": "0"}
    for i, (kind, title, url) in enumerate(links):
        data |= {f"links-{i}-kind": kind, f"links-{i}-title": title, f"links-{i}-url": url}
        if i in delete:
            data[f"links-{i}-DELETE"] = "on"
    return data


def links_of(world, slug: str) -> list[tuple[str, str, str]]:
    with tenant_context(world.tenant):
        return sorted(Capability.objects.get(slug=slug).links.values_list("kind", "title", "url"))


def test_the_edit_form_shows_one_row_per_link_with_a_kind_select_and_no_textarea(catalog, login):
    page = login(catalog.maintainer).get("/t/alpha/catalog/kafka-topics/edit/").text
    assert 'name="links"' not in page and "kind | title | URL" not in page
    assert 'name="links-TOTAL_FORMS" value="3"' in page  # two links and one empty row
    assert re.search(r'<select name="links-1-kind"[^>]*>.*?<option value="runbook" selected>', page, re.S)
    assert 'name="links-0-url" value="https://d.example.com"' in page
    assert 'for="id_links-0-title"' in page and 'name="links-add"' in page


def test_add_a_link_posts_back_one_more_row_and_saves_nothing(catalog, login):
    client = login(catalog.maintainer)
    for headers in ({}, HTMX):
        data = base(catalog, **{"links-add": "1"}) | rows(("docs", "", ""))
        answer = client.post("/t/alpha/catalog/new/", data, headers=headers)
        assert answer.status_code == 200
        assert 'name="links-TOTAL_FORMS" value="2"' in answer.text and 'id="id_links-1-url"' in answer.text
        assert 'role="alert"' not in answer.text  # nothing was submitted: no error messages
    with tenant_context(catalog.tenant):
        assert not Capability.objects.filter(slug="tracing").exists()


def test_rows_save_skip_empty_ones_and_remove_ticked_ones(catalog, login):
    client = login(catalog.maintainer)
    data = base(catalog, name="Kafka Topics", category="Messaging") | rows(
        ("docs", "Handbook", "https://d.example.com"),
        ("runbook", "Pager", "https://r.example.com"),
        ("dashboard", "Board", "https://b.example.com"),
        ("docs", "", ""),
        delete=(1,),
    )
    assert client.post("/t/alpha/catalog/kafka-topics/edit/", data).status_code == 302
    assert links_of(catalog, "kafka-topics") == [
        ("dashboard", "Board", "https://b.example.com"),
        ("docs", "Handbook", "https://d.example.com"),
    ]


def test_bad_rows_are_refused_next_to_the_row_and_nothing_changes(catalog, login):
    client = login(catalog.maintainer)
    before = links_of(catalog, "kafka-topics")
    bad = base(catalog, name="Kafka Topics") | rows(
        ("docs", "Evil", "javascript:alert(1)"), ("runbook", "", "https://x.example.com"), ("nope", "T", "https://t.example.com")
    )  # fmt: skip
    answer = client.post("/t/alpha/catalog/kafka-topics/edit/", bad)
    assert answer.status_code == 400
    assert "http" in answer.text and "Give the link a title." in answer.text and "valid choice" in answer.text
    assert links_of(catalog, "kafka-topics") == before


def test_category_is_chosen_from_those_in_use_the_member_can_see(catalog, login):
    page = login(catalog.maintainer).get("/t/alpha/catalog/new/").text
    select = re.search(r'<select name="category".*?</select>', page, re.S).group(0)
    assert '<option value="Compute">' in select and '<option value="Messaging">' in select
    assert "Secret Stuff" not in page  # a hidden capability's category is not shown
    assert '<option value="__new__">New category…</option>' in select
    assert 'name="new_category"' in page and 'for="id_new_category"' in page


def test_category_new_must_be_named_and_is_created_explicitly(catalog, login):
    client = login(catalog.maintainer)
    missing = client.post("/t/alpha/catalog/new/", base(catalog, category="__new__"))
    assert missing.status_code == 400 and "Name the new category" in missing.text
    stray = client.post(
        "/t/alpha/catalog/new/", base(catalog, category="Compute", new_category="Observability")
    )
    assert stray.status_code == 400 and "Choose “New category…”" in stray.text
    unknown = client.post("/t/alpha/catalog/new/", base(catalog, category="Typo Land"))
    assert unknown.status_code == 400 and "Choose a category from the list" in unknown.text
    with tenant_context(catalog.tenant):
        assert not Capability.objects.filter(slug="tracing").exists()
    created = base(catalog, category="__new__", new_category="Observability")
    assert client.post("/t/alpha/catalog/new/", created).status_code == 302
    joined = base(catalog, name="Logs", category="__new__", new_category="compute")
    assert client.post("/t/alpha/catalog/new/", joined).status_code == 302
    with tenant_context(catalog.tenant):
        assert Capability.objects.get(slug="tracing").category == "Observability"
        assert Capability.objects.get(slug="logs").category == "Compute"  # joins the existing one
