"""Invitation links: valid, expired, tampered, reused, revoked; accepting signed in or by signing up."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.test import Client

from portal.accounts import services
from portal.accounts.models import Invitation, TeamMembership
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.accounts.admin.conftest import audit, browser, membership
from tests.factories import make_user

pytestmark = pytest.mark.django_db


class _SignerFrom(signing.TimestampSigner):
    """The real signer with its clock set `offset` seconds back: a link created that long ago."""

    def __init__(self, *args, offset: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.offset = offset

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - self.offset)


def invite(w, email="invitee@example.org", **kwargs):
    with tenant_context(w.tenant):
        return services.invitation_create(email=email, actor=membership(w, w.admin), **kwargs)


def test_invitation_email_carries_the_link(w, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _inv, token = invite(w)
    assert len(mailoutbox) == 1
    assert services.invitation_url(token) in mailoutbox[0].body
    assert w.tenant.name in mailoutbox[0].subject


def test_sign_up_through_a_valid_link_creates_user_membership_and_team_role(w):
    inv, token = invite(w, team=w.team, team_role="maintainer")
    client = Client()
    url = f"/invite/{token}/"
    page = client.get(url)
    assert page.status_code == 200 and "Create your account" in page.content.decode()
    weak = client.post(url, {"username": "newbie", "password1": "123", "password2": "123"})
    assert weak.status_code == 400
    response = client.post(
        url,
        {
            "username": "newbie",
            "first_name": "New",
            "password1": "S3cure-pass-99",
            "password2": "S3cure-pass-99",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/t/{w.tenant.slug}/"
    assert client.get(f"/t/{w.tenant.slug}/").status_code == 200  # logged in, and a member
    with tenant_context(w.tenant):
        m = Membership.objects.select_related("user").get(user__username="newbie")
        assert m.role == "member" and m.user.email == "invitee@example.org"
        assert TeamMembership.objects.get(user=m.user, team=w.team).role == "maintainer"
        assert Invitation.objects.get(pk=inv.pk).accepted_by_id == m.user_id
    assert [e.action for e in audit(w, target_id=str(inv.pk), target_type="accounts.invitation")] == [
        "invitation.create",
        "invitation.accept",
    ]
    # Reused: refused, nothing more created.
    again = Client().post(
        url, {"username": "twice", "password1": "S3cure-pass-99", "password2": "S3cure-pass-99"}
    )
    assert again.status_code == 410 and "already been used" in again.content.decode()
    with tenant_context(w.tenant):
        assert not Membership.objects.filter(user__username="twice").exists()


def test_logged_in_user_with_the_invited_email_accepts(w, world_b):
    user = world_b.member  # an account elsewhere, email beta-member@example.com
    _inv, token = invite(w, email=user.email, role="viewer")
    client = browser(user)
    assert "Accept as" in client.get(f"/invite/{token}/").content.decode()
    assert client.post(f"/invite/{token}/").status_code == 302
    with tenant_context(w.tenant):
        assert Membership.objects.get(user=user).role == "viewer"


def test_a_logged_in_user_with_another_email_cannot_take_the_invitation(w):
    _inv, token = invite(w)
    outsider = make_user("outsider")
    client = browser(outsider)
    assert "Log out and accept" in client.get(f"/invite/{token}/").content.decode()
    assert client.post(f"/invite/{token}/").status_code == 403
    with tenant_context(w.tenant):
        assert not Membership.objects.filter(user=outsider).exists()


def test_an_existing_account_is_asked_to_log_in_not_to_sign_up(w):
    make_user("known")  # known@example.com
    _inv, token = invite(w, email="KNOWN@example.com")
    page = Client().get(f"/invite/{token}/").content.decode()
    assert "Log in" in page and "Create your account" not in page
    response = Client().post(
        f"/invite/{token}/",
        {"username": "hijack", "password1": "S3cure-pass-99", "password2": "S3cure-pass-99"},
    )
    assert response.status_code in (200, 400)
    assert not get_user("hijack")


def get_user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username).exists()


def test_expired_link_is_refused(w):
    inv, _token = invite(w)
    old = _SignerFrom(salt=services.INVITATION_SALT, offset=8 * 24 * 3600).sign_object(
        {"t": inv.tenant_id, "i": inv.pk, "n": inv.nonce}
    )
    response = Client().get(f"/invite/{old}/")
    assert response.status_code == 410 and "expired" in response.content.decode()
    recent = _SignerFrom(salt=services.INVITATION_SALT, offset=6 * 24 * 3600).sign_object(
        {"t": inv.tenant_id, "i": inv.pk, "n": inv.nonce}
    )
    assert Client().get(f"/invite/{recent}/").status_code == 200  # within the 7 days


@pytest.mark.parametrize("mutate", ["signature", "payload", "salt", "nonce"])
def test_tampered_links_are_refused(w, mutate):
    inv, token = invite(w)
    if mutate == "signature":
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif mutate == "payload":
        forged = signing.TimestampSigner(salt=services.INVITATION_SALT).sign_object(
            {"t": 1, "i": 1, "n": "x"}
        )
        forged = forged.split(":")[0] + token[token.index(":") :]
    elif mutate == "salt":
        forged = signing.TimestampSigner(salt="other").sign_object(
            {"t": inv.tenant_id, "i": inv.pk, "n": inv.nonce}
        )
    else:
        forged = signing.TimestampSigner(salt=services.INVITATION_SALT).sign_object(
            {"t": inv.tenant_id, "i": inv.pk, "n": "0" * 32}
        )
    response = Client().get(f"/invite/{forged}/")
    assert response.status_code == 404 and "not valid" in response.content.decode()


def test_revoked_invitation_link_stops_working(w):
    inv, token = invite(w)
    with tenant_context(w.tenant):
        services.invitation_revoke(invitation=inv, actor=membership(w, w.admin))
    response = Client().get(f"/invite/{token}/")
    assert response.status_code == 410 and "revoked" in response.content.decode()
    entry = audit(w, action="invitation.revoke")[0]
    assert (entry.before["state"], entry.after["state"]) == ("pending", "revoked")


def test_invitation_pages_create_and_revoke(w, mailoutbox, django_capture_on_commit_callbacks):
    client = browser(w.admin)
    url = f"/t/{w.tenant.slug}/admin/invitations/"
    assert client.post(url, {"email": "bad", "role": "member"}).status_code == 400
    assert client.post(url, {"email": w.member.email, "role": "member"}).status_code == 400  # already in
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client.post(url, {"email": "p@example.org", "role": "viewer", "team": w.team.slug}).status_code
            == 302
        )
    assert len(mailoutbox) == 1
    with tenant_context(w.tenant):
        inv = Invitation.objects.get(email="p@example.org")
    assert inv.team_id == w.team.pk and inv.team_role == "member"
    assert "p@example.org" in client.get(url).content.decode()
    assert browser(w.member).post(f"{url}{inv.pk}/revoke/").status_code == 403
    assert client.post(f"{url}{inv.pk}/revoke/").status_code == 302
    with tenant_context(w.tenant):
        assert Invitation.objects.get(pk=inv.pk).revoked_at is not None
