"""`/api/v1/releases/` and `/api/v1/status-updates/`: same rules as the pages, 400 for bad input, 409 for
illegal state changes, cursor pagination and filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from catalog.releases.models import Release
from portal.events.models import Event
from portal.tenancy.context import tenant_context
from tests.catalog.releases.factories import capability_of, make_release, requests_up_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap(world_a):
    return capability_of(world_a, name="Kafka Topics", slug="kafka")


def api(world, role: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def published_events(world) -> int:
    with tenant_context(world.tenant):
        return Event.objects.filter(name="catalog.release_published").count()


def test_readers_list_published_releases_maintainers_also_drafts(world_a, cap):
    published = make_release(world_a.tenant, cap, publish=True)
    draft = make_release(world_a.tenant, cap)
    for role, expected in [
        ("viewer", {published.pk}),
        ("member", {published.pk}),
        ("maintainer", {published.pk, draft.pk}),
    ]:
        response = api(world_a, role).get("/api/v1/releases/")
        assert response.status_code == 200
        assert {r["id"] for r in response.json()["results"]} == expected, role
    assert api(world_a, "member").get(f"/api/v1/releases/{draft.pk}/").status_code == 404
    body = api(world_a, "member").get(f"/api/v1/releases/{published.pk}/").json()
    assert body["capability"] == "kafka" and body["state"] == "published"
    assert isinstance(body["ships_request_numbers"], list)


def test_filters_and_cursor_pagination(world_a, cap):
    other = capability_of(world_a, name="Other", slug="other")
    for kind in ("feature", "fix", "security", "fix"):
        make_release(world_a.tenant, cap, kind=kind, publish=True)
    make_release(world_a.tenant, other, kind="fix", publish=True)
    make_release(world_a.tenant, cap, kind="fix")
    client = api(world_a, "maintainer")
    fixes = client.get("/api/v1/releases/?capability=kafka&kind=fix&state=published").json()["results"]
    assert len(fixes) == 2 and {r["kind"] for r in fixes} == {"fix"}
    assert len(client.get("/api/v1/releases/?kind=fix&kind=security").json()["results"]) == 5
    assert len(client.get("/api/v1/releases/?state=draft").json()["results"]) == 1
    assert client.get("/api/v1/releases/?kind=nonsense").status_code == 400
    seen, url = [], "/api/v1/releases/?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 6


def test_create_publish_and_the_conflicts(world_a, cap):
    requests_up_to(world_a, 15)
    client = api(world_a, "maintainer")
    created = client.post(
        "/api/v1/releases/",
        {
            "capability": "kafka",
            "version": "1.4.0",
            "title": "Faster",
            "kind": "fix",
            "ships_request_numbers": [12, 15],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    release = created.json()
    assert (release["state"], release["ships_request_numbers"]) == ("draft", [12, 15])
    publish = f"/api/v1/releases/{release['id']}/publish/"
    assert client.post(publish).json()["state"] == "published"
    again = client.post(publish)
    assert again.status_code == 409
    assert (
        again.json()["error"]["code"] == "conflict" and "already published" in again.json()["error"]["detail"]
    )
    assert published_events(world_a) == 1
    detail = f"/api/v1/releases/{release['id']}/"
    frozen = client.patch(detail, {"version": "9.9"}, content_type="application/json")
    assert frozen.status_code == 409
    fixed = client.patch(detail, {"title": "Much faster"}, content_type="application/json")
    assert fixed.status_code == 200 and fixed.json()["title"] == "Much faster"
    assert client.delete(detail).status_code == 409
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert (
        client.post(
            f"{detail}schedule/", {"scheduled_for": future}, content_type="application/json"
        ).status_code
        == 409
    )


def test_schedule_unschedule_delete(world_a, cap):
    client = api(world_a, "admin")
    release = make_release(world_a.tenant, cap)
    detail = f"/api/v1/releases/{release.pk}/"
    assert client.post(f"{detail}unschedule/").status_code == 409
    past = (timezone.now() - timedelta(minutes=5)).isoformat()
    bad = client.post(f"{detail}schedule/", {"scheduled_for": past}, content_type="application/json")
    assert bad.status_code == 400 and "scheduled_for" in bad.json()["error"]["fields"]
    assert (
        client.post(
            f"{detail}schedule/", {"scheduled_for": "tomorrow"}, content_type="application/json"
        ).status_code
        == 400
    )
    future = (timezone.now() + timedelta(days=1)).isoformat()
    scheduled = client.post(f"{detail}schedule/", {"scheduled_for": future}, content_type="application/json")
    assert scheduled.status_code == 200 and scheduled.json()["state"] == "scheduled"
    assert client.post(f"{detail}unschedule/").json()["state"] == "draft"
    assert client.delete(detail).status_code == 204
    with tenant_context(world_a.tenant):
        assert not Release.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "breaking"}, "upgrade_notes"),
        ({"version": "1 0"}, "version"),
        ({"ships_request_numbers": [0]}, "ships_request_numbers"),
        ({"ships_request_numbers": "12"}, "ships_request_numbers"),
        ({"capability": "no-such"}, "capability"),
        ({"capability": "kafka\x00"}, "capability"),  # PostgreSQL refuses NUL even in a lookup: not a 500
        ({"kind": "major"}, "kind"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_input_is_400_with_field_errors(world_a, cap, data, field):
    body = {"capability": "kafka", "version": "2.0", "title": "T"} | data
    response = api(world_a, "maintainer").post("/api/v1/releases/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    with tenant_context(world_a.tenant):
        assert not Release.objects.exists()


def test_duplicate_version_is_400(world_a, cap):
    make_release(world_a.tenant, cap, version="1.0")
    body = {"capability": "kafka", "version": "V1.0", "title": "Again"}
    response = api(world_a, "maintainer").post("/api/v1/releases/", body, content_type="application/json")
    assert response.status_code == 400 and "version" in response.json()["error"]["fields"]


def test_readers_cannot_write(world_a, cap):
    published = make_release(world_a.tenant, cap, publish=True)
    body = {"capability": "kafka", "version": "3.0", "title": "Nope"}
    for role in ("member", "viewer"):
        client = api(world_a, role)
        assert client.post("/api/v1/releases/", body, content_type="application/json").status_code == 403
        assert (
            client.patch(
                f"/api/v1/releases/{published.pk}/", {"title": "x"}, content_type="application/json"
            ).status_code
            == 403
        )
        status = {"capability": "kafka", "status": "degraded", "message": "x"}
        assert (
            client.post("/api/v1/status-updates/", status, content_type="application/json").status_code == 403
        )


def test_status_updates_api(world_a, cap):
    client = api(world_a, "maintainer")
    opened = client.post(
        "/api/v1/status-updates/",
        {"capability": "kafka", "status": "degraded", "message": "Lag"},
        content_type="application/json",
    )
    assert opened.status_code == 201 and opened.json()["incident"] is None
    follow = client.post(
        "/api/v1/status-updates/",
        {"capability": "kafka", "status": "degraded", "message": "Still"},
        content_type="application/json",
    )
    assert follow.json()["incident"] == opened.json()["id"]
    resolved = client.post(
        "/api/v1/status-updates/",
        {"capability": "kafka", "resolved": True, "message": "Fixed"},
        content_type="application/json",
    )
    assert (
        resolved.status_code == 201
        and resolved.json()["status"] == "operational"
        and resolved.json()["resolved"]
    )
    bad = client.post(
        "/api/v1/status-updates/",
        {"capability": "kafka", "message": "no status"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]
    nul = client.post(
        "/api/v1/status-updates/",
        {"capability": "kafka\x00", "status": "degraded", "message": "Lag"},
        content_type="application/json",
    )
    assert nul.status_code == 400 and "capability" in nul.json()["error"]["fields"]
    reader = api(world_a, "viewer")
    assert len(reader.get("/api/v1/status-updates/?capability=kafka").json()["results"]) == 3
    assert [u["message"] for u in reader.get("/api/v1/status-updates/?resolved=true").json()["results"]] == [
        "Fixed"
    ]
    assert reader.get(f"/api/v1/status-updates/{opened.json()['id']}/").json()["resolved_at"] is not None
    assert api(world_a, "member").get("/api/v1/capabilities/kafka/").json()["status"] == "operational"


def test_non_numeric_ids_are_404(world_a, cap):
    assert api(world_a, "admin").get("/api/v1/releases/abc/").status_code == 404
    assert api(world_a, "admin").get("/api/v1/status-updates/1.5/").status_code == 404
