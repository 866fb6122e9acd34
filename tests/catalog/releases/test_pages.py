"""Release and status pages: who may read and write, forms, htmx fragments, filters, conflicts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import services as catalog_services
from catalog.releases import services
from catalog.releases.models import Release, ReleaseState, StatusUpdate
from portal.events.models import Event
from portal.tenancy.context import tenant_context
from tests.catalog.releases.factories import capability_of, make_release, requests_up_to
from tests.factories import make_team

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def cap(world_a):
    return capability_of(world_a, name="Kafka Topics", slug="kafka")


def url(world, path: str) -> str:
    return f"/t/{world.tenant.slug}/catalog/{path}"


def events(world, name="catalog.release_published") -> int:
    with tenant_context(world.tenant):
        return Event.objects.filter(name=name).count()


def fetch(world, release) -> Release:
    with tenant_context(world.tenant):
        return Release.objects.get(pk=release.pk)


def test_everybody_reads_published_releases_but_only_maintainers_see_drafts(world_a, cap, client):
    published = make_release(world_a.tenant, cap, version="1.0", title="Shiny thing", publish=True)
    draft = make_release(world_a.tenant, cap, version="2.0", title="Secret plan")
    for user, sees_draft in [
        (world_a.viewer, False),
        (world_a.member, False),
        (world_a.maintainer, True),
        (world_a.admin, True),
    ]:
        client.force_login(user)
        for page in ("changelog/", "kafka/changelog/"):
            body = client.get(url(world_a, page)).content.decode()
            assert "Shiny thing" in body
            assert ("Secret plan" in body) is sees_draft, (user, page)
        assert client.get(url(world_a, f"releases/{published.pk}/")).status_code == 200
        assert client.get(url(world_a, f"releases/{draft.pk}/")).status_code == (200 if sees_draft else 404)


def test_releases_of_a_team_restricted_capability_do_not_exist_for_others(world_a, client):
    other_team = make_team(world_a.tenant, "insiders")
    with tenant_context(world_a.tenant):
        hidden = catalog_services.capability_create(
            owner_team=other_team, name="Hidden Beta", visibility="teams", visible_to_teams=[other_team]
        )
    release = make_release(world_a.tenant, hidden, title="Beta goodies", publish=True)
    client.force_login(world_a.member)
    assert "Beta goodies" not in client.get(url(world_a, "changelog/")).content.decode()
    assert client.get(url(world_a, f"releases/{release.pk}/")).status_code == 404
    assert client.get(url(world_a, f"{hidden.slug}/changelog/")).status_code == 404
    assert client.get(url(world_a, f"{hidden.slug}/status/")).status_code == 404
    client.force_login(world_a.admin)
    assert client.get(url(world_a, f"releases/{release.pk}/")).status_code == 200


def test_only_maintainers_and_admins_may_open_the_release_form(world_a, cap, client):
    for user, expected in [
        (world_a.viewer, 403),
        (world_a.member, 403),
        (world_a.maintainer, 200),
        (world_a.admin, 200),
    ]:
        client.force_login(user)
        assert client.get(url(world_a, "releases/new/?capability=kafka")).status_code == expected, user
    body = client.get(url(world_a, "releases/new/?capability=kafka")).content.decode()
    assert '<option value="kafka" selected>' in body


def form(**data):
    return {
        "capability": "kafka",
        "version": "1.4.0",
        "title": "Faster produce",
        "kind": "feature",
        "notes": "",
        "upgrade_notes": "",
        "ships": "",
    } | data


def test_save_a_draft_then_publish_it(world_a, cap, client):
    requests_up_to(world_a, 15)
    client.force_login(world_a.maintainer)
    response = client.post(url(world_a, "releases/new/"), form(ships="#12, 15 #12", action="draft"))
    assert response.status_code == 302
    with tenant_context(world_a.tenant):
        release = Release.objects.get()
    assert response["Location"] == url(world_a, f"releases/{release.pk}/")
    assert (release.state, release.ships_request_numbers, release.created_by) == (
        "draft",
        [12, 15],
        world_a.maintainer,
    )
    assert events(world_a) == 0
    assert client.post(url(world_a, f"releases/{release.pk}/publish/")).status_code == 302
    assert fetch(world_a, release).state == ReleaseState.PUBLISHED
    again = client.post(url(world_a, f"releases/{release.pk}/publish/"))
    assert again.status_code == 409 and "already published" in again.content.decode()
    assert events(world_a) == 1


def test_publish_now_from_the_form(world_a, cap, client):
    client.force_login(world_a.admin)
    assert client.post(url(world_a, "releases/new/"), form(action="publish")).status_code == 302
    with tenant_context(world_a.tenant):
        assert Release.objects.get().state == ReleaseState.PUBLISHED
    assert events(world_a) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "breaking"}, "needs upgrade notes"),
        ({"version": "1 . 0"}, "Letters, digits"),
        ({"ships": "#12, #abc"}, "is not a request number"),
        ({"ships": "#0"}, "is not a request number"),
        ({"capability": "no-such"}, "Select a valid choice"),
        ({"title": ""}, "This field is required"),
    ],
)
def test_bad_form_input_answers_400_with_the_reason_and_writes_nothing(world_a, cap, client, data, message):
    client.force_login(world_a.maintainer)
    response = client.post(url(world_a, "releases/new/"), form(action="publish", **data))
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_context(world_a.tenant):
        assert not Release.objects.exists()
    assert events(world_a) == 0


def test_htmx_form_errors_swap_only_the_form_and_success_redirects(world_a, cap, client):
    client.force_login(world_a.maintainer)
    bad = client.post(url(world_a, "releases/new/"), form(kind="breaking"), headers=HTMX)
    assert bad.status_code == 400
    assert b"<html" not in bad.content and b'id="release-form"' in bad.content
    ok = client.post(url(world_a, "releases/new/"), form(), headers=HTMX)
    assert ok.status_code == 204 and ok["HX-Redirect"].startswith(url(world_a, "releases/"))


def test_readers_cannot_change_releases(world_a, cap, client):
    release = make_release(world_a.tenant, cap, publish=True)
    draft = make_release(world_a.tenant, cap)
    client.force_login(world_a.member)
    assert client.post(url(world_a, f"releases/{release.pk}/edit/"), {"title": "Hacked"}).status_code == 403
    client.force_login(world_a.viewer)
    assert client.post(url(world_a, f"releases/{release.pk}/publish/")).status_code == 403
    # A draft the reader cannot see is missing, not forbidden.
    assert client.post(url(world_a, f"releases/{draft.pk}/publish/")).status_code == 404
    assert client.post(url(world_a, f"releases/{draft.pk}/delete/")).status_code == 404
    assert fetch(world_a, release).title != "Hacked" and fetch(world_a, draft).state == "draft"


def test_schedule_unschedule_and_delete_from_the_release_page(world_a, cap, client):
    release = make_release(world_a.tenant, cap)
    client.force_login(world_a.maintainer)
    past = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(url(world_a, f"releases/{release.pk}/schedule/"), {"scheduled_for": past})
    assert bad.status_code == 400 and "in the future" in bad.content.decode()
    future = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert (
        client.post(url(world_a, f"releases/{release.pk}/schedule/"), {"scheduled_for": future}).status_code
        == 302
    )
    scheduled = fetch(world_a, release)
    assert scheduled.state == "scheduled" and scheduled.scheduled_for.strftime("%Y-%m-%dT%H:%M") == future
    assert "Scheduled for" in client.get(url(world_a, "kafka/changelog/")).content.decode()
    assert client.post(url(world_a, f"releases/{release.pk}/unschedule/")).status_code == 302
    assert fetch(world_a, release).state == "draft"
    assert client.post(url(world_a, f"releases/{release.pk}/unschedule/")).status_code == 409
    assert client.post(url(world_a, f"releases/{release.pk}/delete/")).status_code == 302
    with tenant_context(world_a.tenant):
        assert not Release.objects.filter(pk=release.pk).exists()
    published = make_release(world_a.tenant, cap, publish=True)
    assert client.post(url(world_a, f"releases/{published.pk}/delete/")).status_code == 409
    assert client.get(url(world_a, f"releases/{published.pk}/schedule/")).status_code == 405


def test_editing_a_published_release_changes_only_the_wording(world_a, cap, client):
    release = make_release(world_a.tenant, cap, version="3.0", publish=True)
    client.force_login(world_a.maintainer)
    page = client.get(url(world_a, f"releases/{release.pk}/edit/")).content.decode()
    assert 'name="title"' in page and 'name="version"' not in page and 'name="ships"' not in page
    response = client.post(
        url(world_a, f"releases/{release.pk}/edit/"),
        {"title": "Typo fixed", "notes": "Better", "version": "9.9", "upgrade_notes": ""},
    )
    assert response.status_code == 302
    fresh = fetch(world_a, release)
    assert (fresh.title, fresh.notes, fresh.version) == ("Typo fixed", "Better", "3.0")


def test_changelog_filters_by_kind_with_the_state_in_the_url(world_a, cap, client):
    make_release(
        world_a.tenant, cap, title="Breaking thing", kind="breaking", upgrade_notes="Do it.", publish=True
    )
    make_release(world_a.tenant, cap, title="Security thing", kind="security", publish=True)
    make_release(world_a.tenant, cap, title="Feature thing", kind="feature", publish=True)
    client.force_login(world_a.viewer)
    body = client.get(url(world_a, "changelog/?kind=breaking&kind=security")).content.decode()
    assert "Breaking thing" in body and "Security thing" in body and "Feature thing" not in body
    assert 'value="breaking" checked' in body and 'value="feature" checked' not in body
    bad = client.get(url(world_a, "changelog/?kind=nonsense&page=abc"))
    assert bad.status_code == 200 and "Feature thing" in bad.content.decode()
    partial = client.get(
        url(world_a, "kafka/changelog/?kind=feature"), headers=HTMX | {"HX-Target": "changelog-results"}
    )
    assert partial.status_code == 200 and b"<html" not in partial.content
    assert b"Feature thing" in partial.content and b"Breaking thing" not in partial.content
    assert partial["HX-Push-Url"] == url(world_a, "kafka/changelog/?kind=feature")
    assert "HX-Request" in partial["Vary"]


def test_release_text_is_sanitised(world_a, cap, client):
    release = make_release(
        world_a.tenant, cap, publish=True, title="<img src=x onerror=alert(1)>",
        notes="<script>alert('x')</script>[click](javascript:alert(1)) **ok**",
    )  # fmt: skip
    client.force_login(world_a.member)
    for page in (f"releases/{release.pk}/", "changelog/", "kafka/changelog/", "kafka/"):
        body = client.get(url(world_a, page)).content.decode()
        assert "<script>alert" not in body and "javascript:" not in body and "<img src=x" not in body, page


def test_capability_page_shows_status_and_release_panels_and_the_nav_links(world_a, cap, client):
    make_release(world_a.tenant, cap, title="Panel release", publish=True)
    with tenant_context(world_a.tenant):
        services.status_update_post(capability=cap, status="degraded", message="Panel incident")
    client.force_login(world_a.viewer)
    body = client.get(url(world_a, "kafka/")).content.decode()
    assert 'data-panel="releases"' in body and "Panel release" in body
    assert 'data-panel="status"' in body and "Panel incident" in body
    assert url(world_a, "changelog/") in body and url(world_a, "status/") in body
    assert "New release" not in body and "Post a status update" not in body
    client.force_login(world_a.maintainer)
    body = client.get(url(world_a, "kafka/")).content.decode()
    assert "New release" in body and "Post a status update" in body


# --- status ---------------------------------------------------------------------------------------
def test_maintainers_post_status_updates_and_readers_cannot(world_a, cap, client):
    for user in (world_a.viewer, world_a.member):
        client.force_login(user)
        assert client.get(url(world_a, "kafka/status/")).status_code == 200
        assert (
            client.post(url(world_a, "kafka/status/"), {"status": "degraded", "message": "x"}).status_code
            == 403
        )
    client.force_login(world_a.maintainer)
    response = client.post(url(world_a, "kafka/status/"), {"status": "degraded", "message": "Lag on eu-1"})
    assert response.status_code == 302
    htmx = client.post(
        url(world_a, "kafka/status/"), {"status": "degraded", "message": "Still lagging"}, headers=HTMX
    )
    assert htmx.status_code == 200 and b"<html" not in htmx.content and b'id="status-board"' in htmx.content
    assert b"Still lagging" in htmx.content and b"Post a follow-up" in htmx.content
    bad = client.post(url(world_a, "kafka/status/"), {"status": "", "message": "no status"}, headers=HTMX)
    assert bad.status_code == 400 and b"Choose one of" in bad.content
    assert (
        client.post(url(world_a, "kafka/status/"), {"message": "Fixed", "resolved": "on"}).status_code == 302
    )
    with tenant_context(world_a.tenant):
        assert StatusUpdate.objects.count() == 3
        assert not StatusUpdate.objects.filter(resolved_at__isnull=True, incident__isnull=True).exists()
    assert events(world_a, "catalog.status_update_posted") == 3


def test_tenant_status_page_shows_open_incidents_trouble_and_recent_history(world_a, cap, client):
    dns = capability_of(world_a, name="Global DNS")
    edge = capability_of(world_a, name="Edge LB")
    with tenant_context(world_a.tenant):
        services.status_update_post(capability=cap, status="major_outage", message="Brokers down")
        services.status_update_post(capability=dns, status="degraded", message="Slow resolution")
        services.status_update_post(capability=dns, resolved=True, message="Resolution fast again")
        catalog_services.capability_set_status(capability=edge, status="maintenance", message="Window")
    client.force_login(world_a.viewer)
    body = client.get(url(world_a, "status/")).content.decode()
    current, _, history = body.partition("Resolved in the last two weeks")
    assert "Brokers down" in current and "Edge LB" in current
    assert "Resolution fast again" in history and "Slow resolution" in history
    assert "All capabilities are operational" not in body


def test_a_draft_of_an_archived_capability_can_still_be_edited(world_a, cap, client):
    release = make_release(world_a.tenant, cap, version="1.0")
    with tenant_context(world_a.tenant):
        catalog_services.capability_archive(capability=cap)
    client.force_login(world_a.maintainer)
    response = client.post(
        url(world_a, f"releases/{release.pk}/edit/"), form(title="Still editable", version="1.0")
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert fetch(world_a, release).title == "Still editable"
    capability_of(world_a, name="Other", slug="other")
    new = client.get(url(world_a, "releases/new/"))
    assert new.status_code == 200 and b'value="other"' in new.content
    assert b'value="kafka"' not in new.content  # archived: not offered for new releases
