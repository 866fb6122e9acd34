"""Catalog services: validation (nothing written on bad input), relations, events, archive, status."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.models import Capability, CapabilityLink
from portal.events.models import Event
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability

pytestmark = pytest.mark.django_db


def test_create_with_everything_and_an_event(world_a):
    cap = make_capability(
        world_a.tenant, world_a.team, name="Kafka Topics", tags=["Kafka", "messaging", "kafka"],
        links=[("docs", "Handbook", "https://docs.example.com/kafka")], slo_target="99.95",
        contact_email="streaming@example.com", oncall_url="https://oncall.example.com/k",
    )  # fmt: skip
    with tenant_context(world_a.tenant):
        assert cap.slug == "kafka-topics"
        assert sorted(cap.tags.values_list("name", flat=True)) == ["kafka", "messaging"]
        assert cap.links.get().url == "https://docs.example.com/kafka"
        assert float(cap.slo_target) == 99.95
        assert (
            Event.objects.filter(name="catalog.capability_created", payload__slug="kafka-topics").count() == 1
        )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"lifecycle": "immortal"}, "lifecycle"),
        ({"links": [("docs", "x", "javascript:alert(1)")]}, "links"),
        ({"links": [("docs", "x", "JaVaScRiPt:alert(1)")]}, "links"),
        ({"links": [("docs", "x", "data:text/html,<script>x</script>")]}, "links"),
        ({"links": [("docs", "x", "/relative/path")]}, "links"),
        ({"links": [("nonsense", "x", "https://ok.example.com")]}, "links"),
        ({"oncall_url": "javascript:alert(1)"}, "oncall_url"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"slo_target": "101"}, "slo_target"),
        ({"slo_target": "ninety"}, "slo_target"),
        ({"slug": "new"}, "slug"),
        ({"visibility": "teams", "visible_to_teams": []}, "visible_to_teams"),
    ],
)
def test_bad_input_is_refused_per_field_and_writes_nothing(world_a, data, field):
    with tenant_context(world_a.tenant):
        before = (Capability.objects.count(), CapabilityLink.objects.count(), Event.objects.count())
        with pytest.raises(ValidationError) as exc:
            services.capability_create(owner_team=world_a.team, **({"name": "Valid name"} | data))
        assert field in exc.value.message_dict
        assert (Capability.objects.count(), CapabilityLink.objects.count(), Event.objects.count()) == before


def test_slug_is_unique_per_tenant_only(world_a, world_b):
    make_capability(world_a.tenant, world_a.team, name="Global DNS")
    make_capability(world_b.tenant, world_b.team, name="Global DNS")  # another tenant: fine
    with pytest.raises(ValidationError, match="already uses the slug"):
        make_capability(world_a.tenant, world_a.team, name="Global  DNS")


def test_dependencies_refuse_self_and_cycles(world_a):
    a = make_capability(world_a.tenant, world_a.team, name="A")
    b = make_capability(world_a.tenant, world_a.team, name="B")
    c = make_capability(world_a.tenant, world_a.team, name="C")
    with tenant_context(world_a.tenant):
        services.capability_update(capability=a, dependencies=[b])
        services.capability_update(capability=b, dependencies=[c])
        with pytest.raises(ValidationError, match="itself"):
            services.capability_update(capability=a, dependencies=[a])
        with pytest.raises(ValidationError, match="cycle"):
            services.capability_update(capability=c, dependencies=[a])
        assert list(c.dependencies.all()) == []
        assert list(a.dependants.all()) == []
        assert [d.slug for d in b.dependants.all()] == ["a"]


def test_update_touches_only_given_keys_and_reports_changes(world_a):
    cap = make_capability(world_a.tenant, world_a.team, name="Vault", tags=["secrets"], summary="old")
    with tenant_context(world_a.tenant):
        services.capability_update(capability=cap, summary="new one-liner")
        cap.refresh_from_db()
        assert cap.summary == "new one-liner" and list(cap.tags.values_list("name", flat=True)) == ["secrets"]
        event = Event.objects.filter(name="catalog.capability_updated").latest("id")
        assert event.payload["changed"] == ["summary"]


def test_archive_hides_and_restores(world_a):
    cap = make_capability(world_a.tenant, world_a.team, name="Old thing")
    with tenant_context(world_a.tenant):
        services.capability_archive(capability=cap)
        assert Capability.objects.get(pk=cap.pk).archived
        services.capability_archive(capability=cap, archived=False)
        assert not Capability.objects.get(pk=cap.pk).archived


def test_status_change_is_validated(world_a):
    cap = make_capability(world_a.tenant, world_a.team)
    with tenant_context(world_a.tenant):
        with pytest.raises(ValidationError):
            services.capability_set_status(capability=cap, status="on-fire")
        services.capability_set_status(capability=cap, status="degraded", message="Slow")
        cap.refresh_from_db()
        assert cap.status == "degraded" and cap.status_changed_at is not None
