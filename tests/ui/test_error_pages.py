"""Friendly 403 and 404 pages in the site's layout, as production (DEBUG off: pytest-django's default)
renders them."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_404_is_a_page_in_the_layout_with_a_way_home(world_a, login):
    assert settings.DEBUG is False
    response = login(world_a.member).get(f"/t/{world_a.tenant.slug}/catalog/no-such-capability/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body and 'class="site-header"' in body
    assert f'href="/t/{world_a.tenant.slug}/"' in body  # back to the tenant home
    assert "Main" in body  # the navigation is there


def test_403_explains_and_stays_in_the_layout(world_a, login):
    client = login(world_a.viewer)
    response = client.post(f"/t/{world_a.tenant.slug}/requests/new/", {"title": "Viewers cannot file"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "You cannot do that here" in body and 'class="site-header"' in body
    assert "tenant admin" in body


def test_404_outside_a_tenant_renders_too(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404 and b"Page not found" in response.content
