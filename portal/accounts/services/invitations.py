"""Invitations by email: a signed, expiring, single-use link into the tenant (and optionally a team).

The link is `/invite/<token>/`, outside `/t/<tenant>/` because the invitee is not a member yet. The token is
`(tenant id, invitation id, nonce)` signed by a TimestampSigner with its own salt: tampering fails the
signature, age past INVITATION_MAX_AGE fails `max_age`, the nonce binds it to one row, and the row's
`accepted_at` / `revoked_at` make it single use.

Mail: the notifications engine delivers to *users* (Delivery rows per recipient user and their channel
preferences); an invitee usually has no account yet, so the invitation goes out through Django's mail
(the project's EMAIL_URL / DEFAULT_FROM_EMAIL settings) after the transaction commits. A failed send is
logged and leaves the invitation pending; the admin can revoke it and invite again.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import Invitation, Team, TeamMembership, TeamRole
from portal.accounts.services.audit import audit_record
from portal.accounts.services.memberships import membership_set
from portal.accounts.services.rights import require_admin
from portal.accounts.services.teams import team_member_set
from portal.notifications import conf
from portal.tenancy.context import require_current_tenant, tenant_context
from portal.tenancy.models import Membership, Role, Tenant

logger = logging.getLogger(__name__)
User = get_user_model()

INVITATION_SALT = "agora.accounts.invitation"
INVITATION_MAX_AGE = timedelta(days=7)
EXPIRED = "This invitation has expired. Ask an admin for a new one."
USED = "This invitation has already been used."


class InvitationInvalid(Exception):
    """The link cannot be used; the message says why in words fit for the invitee. `status` is the answer:
    404 for a link that is not genuine (like any unknown URL), 410 for a genuine one that expired, was used
    or was revoked, 403 for the wrong account."""

    def __init__(self, message: str, *, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=INVITATION_SALT)


def invitation_token(invitation: Invitation) -> str:
    return _signer().sign_object({"t": invitation.tenant_id, "i": invitation.pk, "n": invitation.nonce})


def invitation_url(token: str) -> str:
    return conf.absolute(reverse("invitation_accept", kwargs={"token": token}))


def invitation_state(invitation: Invitation) -> dict[str, Any]:
    return {
        "email": invitation.email,
        "role": invitation.role,
        "team": invitation.team.slug if invitation.team_id else None,
        "team_role": invitation.team_role or None,
        "state": invitation.state,
    }


def _send(*, tenant: Tenant, invitation: Invitation, token: str, inviter: str) -> None:
    context = {"tenant": tenant, "invitation": invitation, "url": invitation_url(token), "inviter": inviter}
    try:
        mail.send_mail(
            subject=f"You are invited to {tenant.name} on Agora",
            message=render_to_string("accounts/admin/invitation_email.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except Exception:  # SMTP down or refusing: the invitation stays pending and visible to the admin
        logger.warning(
            "invitation %s to %s could not be sent", invitation.pk, invitation.email, exc_info=True
        )


@transaction.atomic
def invitation_create(
    *,
    email: str,
    actor: Membership | None,
    role: str = Role.MEMBER,
    team: Team | None = None,
    team_role: str = "",
) -> tuple[Invitation, str]:
    """Invite `email` (tenant admins); returns the invitation and its token. The email is sent on commit."""
    require_admin(actor)
    email = (email or "").strip()
    try:
        if "\x00" in email or len(email) > 254:
            raise ValidationError("invalid")
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
    if role not in Role.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(Role.values)}."})
    if team is None and team_role:
        raise ValidationError({"team_role": "A team role needs a team."})
    if team is not None:
        team_role = team_role or TeamRole.MEMBER
        if team_role not in TeamRole.values:
            raise ValidationError({"team_role": f"Choose one of: {', '.join(TeamRole.values)}."})
        if team.archived_at is not None:
            raise ValidationError({"team": "This team is archived: it takes no new members."})
    if Membership.objects.filter(user__email__iexact=email).exists():
        raise ValidationError({"email": "Someone with this email address is already a member."})
    if Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).exists():
        raise ValidationError({"email": "A pending invitation for this address exists: revoke it first."})
    user = actor.user if actor is not None else None
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        team=team,
        team_role=team_role if team is not None else "",
        nonce=secrets.token_hex(16),
        invited_by=user,
        expires_at=timezone.now() + INVITATION_MAX_AGE,
    )
    audit_record(
        actor=actor, action="invitation.create", target=invitation, after=invitation_state(invitation)
    )
    token = invitation_token(invitation)
    tenant = require_current_tenant()
    inviter = user.get_full_name() or user.get_username() if user is not None else "An administrator"
    transaction.on_commit(lambda: _send(tenant=tenant, invitation=invitation, token=token, inviter=inviter))
    return invitation, token


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Membership | None) -> Invitation:
    """Revoke a pending invitation (tenant admins): its link stops working. Accepted ones stay as they are."""
    require_admin(actor)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError({"invitation": "This invitation was already accepted."})
    if invitation.revoked_at is not None:
        return invitation
    before = invitation_state(invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor, action="invitation.revoke", target=invitation, before=before,
        after=invitation_state(invitation),
    )  # fmt: skip
    return invitation


def invitation_resolve(token: str) -> tuple[Tenant, Invitation]:
    """The tenant and pending invitation a link names, or InvitationInvalid saying why. No tenant context is
    needed: the signed token names the tenant, and the invitation is read inside it."""
    try:
        data = _signer().unsign_object(token, max_age=INVITATION_MAX_AGE)
        tenant_id, pk, nonce = int(data["t"]), int(data["i"]), str(data["n"])
    except signing.SignatureExpired:
        raise InvitationInvalid(EXPIRED, status=410) from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvitationInvalid("This invitation link is not valid.") from None
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        raise InvitationInvalid("This invitation link is not valid.")
    with tenant_context(tenant):
        invitation = Invitation.objects.select_related("team").filter(pk=pk, nonce=nonce).first()
    if invitation is None:
        raise InvitationInvalid("This invitation link is not valid.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid(USED, status=410)
    if invitation.revoked_at is not None:
        raise InvitationInvalid("This invitation was revoked.", status=410)
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid(EXPIRED, status=410)
    return tenant, invitation


def invitation_accept(*, token: str, user: Any) -> Membership:
    """Accept the invitation `token` names as `user`, whose email must be the invited address (the link
    proves access to that mailbox, not to someone else's account). Creates the membership (and team
    membership); the invitation cannot be used again."""
    tenant, invitation = invitation_resolve(token)
    if (user.email or "").strip().lower() != invitation.email.lower():
        raise InvitationInvalid(
            f"This invitation is for {invitation.email}; you are logged in as {user.get_username()}.",
            status=403,
        )
    with tenant_context(tenant, user_id=user.pk), transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None or locked.revoked_at is not None:
            raise InvitationInvalid(USED, status=410)
        before = invitation_state(locked)
        existing = Membership.objects.filter(user=user).first()
        membership = existing or membership_set(user=user, role=locked.role, actor=None)
        team = locked.team if locked.team_id is not None else None
        if (
            team is not None
            and team.archived_at is None
            and not TeamMembership.objects.filter(team=team, user=user).exists()
        ):
            team_member_set(team=locked.team, user=user, role=locked.team_role, actor=None)
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(
            actor=user, action="invitation.accept", target=locked, before=before,
            after=invitation_state(locked),
        )  # fmt: skip
    return membership


@transaction.atomic
def invitation_accept_new_user(*, token: str, username: str, password: str, first_name: str = "") -> Any:
    """Create the account for an invited address that has none, then accept as it. The caller validated the
    username and password (Django's password validators); the email is the invited one, never user input."""
    _tenant, invitation = invitation_resolve(token)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationInvalid("An account with this email address exists: log in to accept.", status=403)
    user = User.objects.create_user(
        username=username, email=invitation.email, password=password, first_name=first_name
    )
    invitation_accept(token=token, user=user)
    return user
