"""A team channel's route names its capability with a picker, not a database id.

The core imports no catalog code: the catalog registers a `choices(membership)` hook with the topic
registry, which lists only what that member may see (grouped by owning team). A posted id is still
checked by the service: a hidden or foreign one answers 404 (tests/security/test_follow_topics.py).
"""

from __future__ import annotations

import re

import pytest

from catalog import services as catalog_services
from portal.notifications import services, topics
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.catalog.factories import make_capability
from tests.factories import make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(world_a):
    with tenant_context(world_a.tenant):
        return services.endpoint_create(
            team=world_a.team,
            kind="teams",
            name="r",
            url="https://prod-00.westus.logic.azure.com/workflows/r",
        )[0]


@pytest.fixture
def capabilities(world_a, world_b):
    make_capability(world_a.tenant, world_a.team, name="Kafka Topics", slug="kafka-topics")
    dns = make_team(world_a.tenant, "dns-team")
    make_capability(world_a.tenant, dns, name="Managed DNS", slug="managed-dns")
    secret = make_team(world_a.tenant, "secret-team")
    make_capability(world_a.tenant, secret, name="Secret Beta", slug="secret-beta",
                    visibility="teams", visible_to_teams=[secret])  # fmt: skip
    old = make_capability(world_a.tenant, world_a.team, name="Old Thing", slug="old-thing")
    with tenant_context(world_a.tenant):
        catalog_services.capability_archive(capability=old, archived=True)
    make_capability(world_b.tenant, world_b.team, name="Beta Kafka", slug="beta-kafka")


def test_the_route_form_offers_the_capabilities_the_member_sees_grouped_by_team(
    world_a, capabilities, endpoint, login
):
    page = login(world_a.maintainer).get(f"/t/alpha/notifications/endpoints/{endpoint.pk}/").text
    select = re.search(r'<select name="topic_id".*?</select>', page, re.S)
    assert select, "the capability is chosen from a list, not typed as an id"
    html = select.group(0)
    assert '<optgroup label="Alpha Team">' in html and '<optgroup label="Dns Team">' in html
    assert ">Kafka Topics</option>" in html and ">Managed DNS</option>" in html
    assert "Secret Beta" not in page and "Beta Kafka" not in page and "Old Thing" not in html
    assert 'for="id_topic_id"' in page


def test_the_choices_hook_filters_by_member(world_a, capabilities):
    with tenant_context(world_a.tenant):
        admin = Membership.objects.get(user=world_a.admin)
        member = Membership.objects.get(user=world_a.member)
        names = {m: [label for _, items in topics.choices_for("capability", m) or [] for _, label in items]
                 for m in (admin, member)}  # fmt: skip
    assert "Secret Beta" in names[admin] and "Secret Beta" not in names[member]
    assert "Kafka Topics" in names[member]


def test_a_capability_chosen_in_the_picker_is_routed(world_a, capabilities, endpoint, login):
    with tenant_context(world_a.tenant):
        from catalog.models import Capability

        kafka = Capability.objects.get(slug="kafka-topics")
    posted = login(world_a.maintainer).post(
        f"/t/alpha/notifications/endpoints/{endpoint.pk}/routes/",
        {"topic_kind": "capability", "topic_id": str(kafka.pk), "releases": "on"},
    )
    assert posted.status_code == 303
    page = login(world_a.maintainer).get(f"/t/alpha/notifications/endpoints/{endpoint.pk}/").text
    assert "Kafka Topics: releases" in page
