"""SSO configuration: admin-only, secret write-only and encrypted, issuer behind the outbound guard, one
tenant per email domain, and the local-passwords switch on the login form. No provider needed here."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.accounts.models import AuditEntry
from portal.sso import services as sso
from portal.sso.models import SsoProvider
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.factories import PASSWORD

ISSUER = "https://idp.example.com/realms/acme"  # example.com resolves to public addresses (or not at all)


def configure(tenant, actor=None, **extra):
    values = dict(
        display_name="Acme", issuer_url=ISSUER, client_id="agora", client_secret="s3cret",
        email_domains=[f"{tenant.slug}.test"], enabled=True,
    )  # fmt: skip
    values.update(extra)
    with tenant_context(tenant):
        return sso.sso_provider_save(actor=actor, **values)


def test_only_admins_configure(world_a):
    with tenant_context(world_a.tenant):
        member = Membership.objects.get(user=world_a.member)
    with pytest.raises(PermissionDenied):
        configure(world_a.tenant, actor=member)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000", "https://10.1.2.3/realms/x", "https://[::1]/"])
def test_an_internal_issuer_is_refused_at_save(world_a, url, settings):
    settings.SSO_ALLOW_HTTP = True
    with pytest.raises(ValidationError) as error:
        configure(world_a.tenant, issuer_url=url)
    assert "issuer_url" in error.value.message_dict
    with tenant_context(world_a.tenant):
        assert not SsoProvider.objects.exists()


def test_the_secret_is_encrypted_and_never_audited(world_a):
    provider = configure(world_a.tenant)
    assert "s3cret" not in provider.client_secret_encrypted
    with tenant_context(world_a.tenant):
        entry = AuditEntry.objects.get(action="sso.create")
    assert "s3cret" not in str(entry.after) and entry.after["client_secret"] == "set"


def test_a_domain_belongs_to_one_tenant(world_a, world_b):
    configure(world_a.tenant, email_domains=["shared.test"])
    with pytest.raises(ValidationError) as error:
        configure(world_b.tenant, email_domains=["shared.test"])
    assert "email_domains" in error.value.message_dict


def test_api_is_admin_only_and_the_secret_write_only(client, world_a, login):
    login(world_a.member)
    client.get(f"/t/{world_a.tenant.slug}/")  # enter the tenant (session)
    assert client.get("/api/v1/sso/").status_code == 403
    client.logout()
    login(world_a.admin)
    client.get(f"/t/{world_a.tenant.slug}/")
    body = {
        "display_name": "Acme", "issuer_url": ISSUER, "client_id": "agora", "client_secret": "s3cret",
        "email_domains": ["alpha.test"], "enabled": True,
    }  # fmt: skip
    answer = client.put("/api/v1/sso/", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert "client_secret" not in answer.json() and answer.json()["client_secret_set"] is True
    bad = client.put(
        "/api/v1/sso/", {**body, "issuer_url": "https://127.0.0.1/"}, content_type="application/json"
    )
    assert bad.status_code == 400


def test_passwords_off_refuses_a_correct_password_of_an_sso_only_user(client, world_a):
    configure(world_a.tenant, local_passwords_allowed=False)
    answer = client.post("/accounts/login/", {"username": world_a.member.username, "password": PASSWORD})
    assert answer.status_code == 200 and "single sign-on" in answer.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_page_shows_the_redirect_uri(client, world_a, login):
    configure(world_a.tenant)
    login(world_a.admin)
    page = client.get(f"/t/{world_a.tenant.slug}/admin/sso/")
    assert page.status_code == 200
    assert f"/accounts/oidc/{world_a.tenant.slug}/login/callback/" in page.content.decode()
    login(world_a.member)
    assert client.get(f"/t/{world_a.tenant.slug}/admin/sso/").status_code == 403


def test_a_nul_in_the_team_slug_is_a_400_not_a_500(client, world_a, login):
    """Found by the API fuzzer: the slug reached PostgreSQL, which refuses NUL bytes (a 500)."""
    configure(world_a.tenant)
    login(world_a.admin)
    client.get(f"/t/{world_a.tenant.slug}/")
    body = {"idp_group": "platform", "team": "a\x00b", "team_role": "member"}
    answer = client.post("/api/v1/sso/mappings/", body, content_type="application/json")
    assert answer.status_code == 400
