"""Text PostgreSQL cannot store or look up (a NUL character) is refused cleanly, never a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalog import selectors
from catalog.models import Capability
from catalog.releases import feedtokens
from portal.plugins.api import Membership, tenant_context
from tests.catalog.backstage_helpers import snapshot
from tests.catalog.releases.factories import capability_of

pytestmark = pytest.mark.django_db

COMPONENT = b"""apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: nul-title
  title: "Kafka\\0Topics"
spec:
  type: service
  lifecycle: production
  owner: team-x
"""
GROUP = b"""apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: nul-group
  description: "x\\0y"
spec:
  type: team
  children: []
"""


@pytest.mark.parametrize("content", [COMPONENT, GROUP], ids=["component-title", "group-description"])
def test_backstage_yaml_with_a_nul_escape_is_a_400_and_writes_nothing(world_a, content):
    before = snapshot(world_a.tenant)
    client = Client(headers={"Authorization": f"Bearer {world_a.tokens['admin']}"})
    upload = SimpleUploadedFile("catalog-info.yaml", content, content_type="application/yaml")
    response = client.post("/api/v1/backstage/import/", {"files": [upload]})
    assert response.status_code == 400, response.content
    assert "NUL" in response.json()["error"]["detail"]
    assert snapshot(world_a.tenant) == before


def test_backstage_page_refuses_a_nul_escape(world_a, client):
    client.force_login(world_a.admin)
    upload = SimpleUploadedFile("catalog-info.yaml", COMPONENT, content_type="application/yaml")
    response = client.post(f"/t/{world_a.tenant.slug}/catalog/import/", {"files": [upload]})
    assert response.status_code == 422 and b"NUL" in response.content


def test_capability_slug_from_a_query_string_with_nul(world_a, client):
    capability_of(world_a, name="Kafka Topics", slug="kafka")
    with tenant_context(world_a.tenant):
        membership = Membership.objects.get(user=world_a.maintainer)
        feedtokens.feed_token_issue(membership=membership)
        assert selectors.visible_capability(membership, slug="kafka\x00") is None
        assert selectors.visible_capability(membership, slug="kafka").slug == "kafka"
    client.force_login(world_a.maintainer)
    base = f"/t/{world_a.tenant.slug}/catalog/"
    assert client.get(base + "releases/new/?capability=kafka%00").status_code == 200
    posted = client.post(
        base + "releases/new/?capability=%00", {"capability": "kafka\x00", "version": "1", "title": "T"}
    )
    assert posted.status_code == 400
    assert client.get(base + "feeds/?capability=kafka%00").status_code == 404


def test_facets_list_each_value_once(world_a):
    for i in range(3):
        capability_of(world_a, name=f"Cap {i}", slug=f"cap-{i}", category="Data", tags=["shared", f"t{i}"])
    with tenant_context(world_a.tenant):
        membership = Membership.objects.get(user=world_a.admin)
        facets = selectors.facets(membership)
        assert Capability.objects.count() == 3
    assert [(o.value, o.count) for o in facets.categories] == [("Data", 3)]
    assert [(o.value, o.count) for o in facets.tags] == [("shared", 3), ("t0", 1), ("t1", 1), ("t2", 1)]
