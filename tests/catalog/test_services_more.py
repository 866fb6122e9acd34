"""Services: every use case emits its event, references never cross tenants, duplicates collapse."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.models import Capability, CapabilityDependency, CapabilityVisibility
from portal.events.models import Event
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.factories import make_team

pytestmark = pytest.mark.django_db


def events(tenant) -> list[str]:
    with tenant_context(tenant):
        return list(
            Event.objects.filter(name__startswith="catalog.").order_by("id").values_list("name", flat=True)
        )


def test_every_use_case_emits_one_event(world_a):
    cap = make_capability(world_a.tenant, world_a.team, name="Eventful")
    with tenant_context(world_a.tenant):
        services.capability_update(capability=cap, summary="changed")
        services.capability_set_tags(capability=cap, tags=["one", "two"])
        services.capability_set_status(capability=cap, status="maintenance", message="Upgrade")
        services.capability_archive(capability=cap)
        services.capability_archive(capability=cap)  # already archived: nothing happens, no event
        services.capability_archive(capability=cap, archived=False)
        tag_event = Event.objects.filter(name="catalog.capability_updated").latest("id")
        assert tag_event.payload["changed"] == ["tags"]
    assert events(world_a.tenant) == [
        "catalog.capability_created",
        "catalog.capability_updated",
        "catalog.capability_updated",
        "catalog.status_changed",
        "catalog.capability_archived",
        "catalog.capability_unarchived",
    ]


def test_update_event_names_the_relations_it_replaced(world_a):
    cap = make_capability(world_a.tenant, world_a.team, name="Rel")
    with tenant_context(world_a.tenant):
        services.capability_update(
            capability=cap, name="Rel 2", links=[("docs", "D", "https://d.example.com")]
        )
        assert Event.objects.latest("id").payload["changed"] == ["links", "name"]


def test_references_from_another_tenant_are_refused(world_a, world_b):
    foreign_cap = make_capability(world_b.tenant, world_b.team, name="Foreign")
    cap = make_capability(world_a.tenant, world_a.team, name="Local")
    with tenant_context(world_a.tenant):
        before = Event.objects.count()
        with pytest.raises(ValidationError) as exc:
            services.capability_create(owner_team=world_b.team, name="Smuggled")
        assert "owner_team" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            services.capability_update(capability=cap, dependencies=[foreign_cap])
        assert "dependencies" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            services.capability_update(capability=cap, visibility="teams", visible_to_teams=[world_b.team])
        assert "visible_to_teams" in exc.value.message_dict
        assert not CapabilityDependency.objects.exists() and not CapabilityVisibility.objects.exists()
        assert Event.objects.count() == before
        assert not Capability.objects.filter(name="Smuggled").exists()


def test_duplicates_collapse(world_a):
    dep = make_capability(world_a.tenant, world_a.team, name="Dep")
    early = make_team(world_a.tenant, "early")
    cap = make_capability(
        world_a.tenant, world_a.team, name="Dup", dependencies=[dep, dep], tags=["X", "x", " x "],
        visibility="teams", visible_to_teams=[early, early],
    )  # fmt: skip
    with tenant_context(world_a.tenant):
        assert [d.slug for d in cap.dependencies.all()] == ["dep"]
        assert list(cap.tags.values_list("name", flat=True)) == ["x"]
        assert cap.visibility_grants.count() == 1


def test_team_visibility_needs_a_listed_team_but_later_edits_need_not_repeat_it(world_a):
    early = make_team(world_a.tenant, "early")
    with tenant_context(world_a.tenant), pytest.raises(ValidationError, match="at least one team"):
        services.capability_create(owner_team=world_a.team, name="Beta", visibility="teams")
    cap = make_capability(
        world_a.tenant, world_a.team, name="Beta", visibility="teams", visible_to_teams=[early]
    )
    with tenant_context(world_a.tenant):
        services.capability_update(capability=cap, summary="still early access")
        services.capability_update(capability=cap, visibility="teams")  # keeps its listed team
        with pytest.raises(ValidationError, match="at least one team"):
            services.capability_update(capability=cap, visible_to_teams=[])
        services.capability_update(capability=cap, visibility="tenant", visible_to_teams=[])
        assert Capability.objects.get(pk=cap.pk).visibility == "tenant"


def test_invalid_update_changes_nothing_even_when_it_fails_late(world_a):
    """The cycle check runs after the row is saved; the transaction must take the save back."""
    a = make_capability(world_a.tenant, world_a.team, name="A")
    b = make_capability(world_a.tenant, world_a.team, name="B", dependencies=[a])
    with tenant_context(world_a.tenant):
        before = Event.objects.count()
        with pytest.raises(ValidationError, match="cycle"):
            services.capability_update(capability=a, name="A renamed", tags=["t"], dependencies=[b])
        fresh = Capability.objects.get(pk=a.pk)
        assert fresh.name == "A" and not fresh.tags.exists() and Event.objects.count() == before


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "ftp://files.example.com/x",
        "//evil.example.com/x",
        "https://",
        "http://exa mple.com",
    ],
)
def test_only_http_links_are_stored(world_a, url):
    cap = make_capability(world_a.tenant, world_a.team, name="Linked")
    with tenant_context(world_a.tenant):
        with pytest.raises(ValidationError) as exc:
            services.capability_update(capability=cap, links=[("docs", "x", url)])
        assert "links" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            services.capability_update(capability=cap, oncall_url=url)
        assert "oncall_url" in exc.value.message_dict
        assert not cap.links.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"category": "c" * 101}, "category"),
        ({"support_channel": "#" * 201}, "support_channel"),
        ({"slo_text": "s" * 5001}, "slo_text"),
        ({"links": [("docs", "long", "https://example.com/" + "a" * 490)]}, "links"),
        ({"links": [("docs", f"L{i}", f"https://example.com/{i}") for i in range(51)]}, "links"),
        ({"oncall_url": "https://example.com/" + "a" * 490}, "oncall_url"),
    ],
)
def test_values_longer_than_their_columns_are_refused_not_500(world_a, data, field):
    with tenant_context(world_a.tenant), pytest.raises(ValidationError) as exc:
        services.capability_create(owner_team=world_a.team, name="Long", **data)
    assert field in exc.value.message_dict
