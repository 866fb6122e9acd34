"""Archiving a team that owns active capabilities is refused (the catalog answers the core's hook) until they
are transferred; the transfer is a tenant admin's action on the capability page and in the API, audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from catalog import services as catalog_services
from catalog.models import Capability
from portal.accounts import services
from portal.accounts.models import Team
from portal.tenancy.context import tenant_context
from tests.accounts.admin.conftest import api, audit, browser, membership
from tests.catalog.factories import make_capability
from tests.factories import make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(w):
    target = make_team(w.tenant, "new-owner")
    cap = make_capability(w.tenant, w.team, name="Kafka Topics")
    return target, cap


def test_archive_refused_while_the_team_owns_active_capabilities_then_allowed_after_transfer(w, setup):
    target, cap = setup
    actor = membership(w, w.admin)
    with tenant_context(w.tenant):
        with pytest.raises(ValidationError, match="Kafka Topics"):
            services.team_archive(team=w.team, actor=actor)
        assert Team.objects.get(pk=w.team.pk).archived_at is None
        assert not audit(w, action="team.archive")
        catalog_services.capability_transfer(capability=cap, team=target, actor=actor)
        services.team_archive(team=w.team, actor=actor)
        assert Team.objects.get(pk=w.team.pk).archived_at is not None
    entry = audit(w, action="capability.transfer")[0]
    assert (entry.before, entry.after) == ({"owner_team": w.team.slug}, {"owner_team": "new-owner"})


def test_an_archived_team_owns_nothing_new(w, setup):
    target, cap = setup
    actor = membership(w, w.admin)
    with tenant_context(w.tenant):
        services.team_archive(team=target, actor=actor)
        target = Team.objects.get(pk=target.pk)
        with pytest.raises(ValidationError):
            catalog_services.capability_transfer(capability=cap, team=target, actor=actor)
        with pytest.raises(ValidationError):
            catalog_services.capability_create(owner_team=target, name="Fresh")
        assert Capability.objects.get(pk=cap.pk).owner_team_id == w.team.pk


def test_only_admins_transfer(w, setup):
    target, cap = setup
    with tenant_context(w.tenant), pytest.raises(PermissionDenied):
        catalog_services.capability_transfer(capability=cap, team=target, actor=membership(w, w.maintainer))


def test_transfer_page_action(w, setup):
    target, cap = setup
    url = f"/t/{w.tenant.slug}/catalog/{cap.slug}/transfer/"
    assert browser(w.maintainer).post(url, {"team": "new-owner"}).status_code == 403
    page = browser(w.admin).get(f"/t/{w.tenant.slug}/catalog/{cap.slug}/").content.decode()
    assert 'name="team"' in page and "Transfer to another team" in page
    assert browser(w.admin).post(url, {"team": "no-such-team"}).status_code == 400
    assert browser(w.admin).post(url, {"team": "x\x00"}).status_code == 400
    response = browser(w.admin).post(url, {"team": "new-owner"})
    assert response.status_code == 302
    with tenant_context(w.tenant):
        assert Capability.objects.get(pk=cap.pk).owner_team_id == target.pk


def test_transfer_api_action(w, setup):
    target, cap = setup
    url = f"/api/v1/capabilities/{cap.slug}/transfer/"
    assert (
        api(w, "maintainer").post(url, {"team": "new-owner"}, content_type="application/json").status_code
        == 403
    )
    bad = api(w, "admin").post(url, {"team": "nope"}, content_type="application/json")
    assert bad.status_code == 400 and "team" in bad.json()["error"]["fields"]
    ok = api(w, "admin").post(url, {"team": "new-owner"}, content_type="application/json")
    assert ok.status_code == 200, ok.content
    with tenant_context(w.tenant):
        assert Capability.objects.get(pk=cap.pk).owner_team_id == target.pk
    again = api(w, "admin").post(url, {"team": "new-owner"}, content_type="application/json")
    assert again.status_code == 400  # already theirs
