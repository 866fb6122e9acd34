"""Writes for SSO: the tenant's provider configuration, group mappings, and just-in-time provisioning.

Configuration services take `actor` (a tenant admin's Membership, or None for the system) and audit every
change through `audit_record` in their transaction. `sso_login_provision` runs at each SSO login, as the
system inside the provider's tenant: it creates the user and membership on first login and re-applies the
group mappings every time, through the same membership and team services the admin pages use (so those
changes are audited as well), plus one `sso.login` entry with the groups seen.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.accounts.models import Team, TeamMembership, TeamRole
from portal.accounts.services import (
    audit_record,
    membership_set,
    membership_set_role,
    require_admin,
    team_member_remove,
    team_member_set,
)
from portal.notifications.crypto import encrypt
from portal.security import outbound
from portal.sso.http import allow_http
from portal.sso.models import (
    DEFAULT_SCOPES,
    SsoDomainRoute,
    SsoGroupMapping,
    SsoIdentity,
    SsoProvider,
    SsoTeamGrant,
)
from portal.sso.selectors import PASSWORDS_CACHE_KEY
from portal.tenancy.context import require_current_tenant, tenant_context, user_context
from portal.tenancy.models import Membership, Role, Tenant

User = get_user_model()
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2}
TEAM_RANK = {TeamRole.MEMBER: 0, TeamRole.MAINTAINER: 1}


class SsoRefused(Exception):
    """The provider authenticated someone this tenant does not accept; `str()` is shown to them."""


def provider_state(provider: SsoProvider) -> dict[str, Any]:
    """What the audit log keeps of a configuration (never the secret, only whether one is set)."""
    return {
        "display_name": provider.display_name,
        "issuer_url": provider.issuer_url,
        "client_id": provider.client_id,
        "client_secret": "set" if provider.client_secret_encrypted else "",
        "email_domains": list(provider.email_domains),
        "scopes": provider.scopes,
        "groups_claim": provider.groups_claim,
        "default_role": provider.default_role,
        "enabled": provider.enabled,
        "local_passwords_allowed": provider.local_passwords_allowed,
    }


def _text(value: str, field: str, *, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError({field: "Must not contain NUL characters."})
    if required and not value:
        raise ValidationError({field: "This field is required."})
    if len(value) > max_length:
        raise ValidationError({field: f"At most {max_length} characters."})
    return value


def _issuer(url: str) -> str:
    url = _text(url, "issuer_url", max_length=500, required=True).rstrip("/")
    if "/.well-known/" in url:
        raise ValidationError(
            {"issuer_url": "Give the issuer (without /.well-known/...): discovery adds it."}
        )
    if "?" in url or "#" in url:
        raise ValidationError({"issuer_url": "The issuer URL takes no query or fragment."})
    try:
        outbound.check_url(url, allow_http=allow_http())
    except outbound.OutboundRefused as exc:
        raise ValidationError({"issuer_url": str(exc)}) from None
    return url


def _domains(domains: list[str] | str) -> list[str]:
    if isinstance(domains, str):
        domains = re.split(r"[\s,]+", domains)
    cleaned = sorted({d.strip().lower().lstrip("@") for d in domains if d and d.strip()})
    for domain in cleaned:
        if not DOMAIN.match(domain):
            raise ValidationError({"email_domains": f"'{domain[:80]}' is not a domain such as acme.com."})
    if len(cleaned) > 50:
        raise ValidationError({"email_domains": "At most 50 domains."})
    return cleaned


def _scopes(scopes: str) -> str:
    parts = _text(scopes or DEFAULT_SCOPES, "scopes", max_length=500).split()
    if "openid" not in parts:
        raise ValidationError({"scopes": "The scopes must include openid."})
    if any(not re.fullmatch(r"[\x21\x23-\x5b\x5d-\x7e]+", p) for p in parts):
        raise ValidationError({"scopes": "Scopes are space-separated words."})
    return " ".join(dict.fromkeys(parts))


@transaction.atomic
def sso_provider_save(
    *,
    actor: Membership | None,
    display_name: str,
    issuer_url: str,
    client_id: str,
    client_secret: str | None = None,
    email_domains: list[str] | str = (),
    scopes: str = DEFAULT_SCOPES,
    groups_claim: str = "groups",
    default_role: str = Role.MEMBER,
    enabled: bool = False,
    local_passwords_allowed: bool = True,
) -> SsoProvider:
    """Create or update the current tenant's provider (tenant admins). `client_secret` None keeps the stored
    one. Email domains are claimed for this tenant alone; one another tenant routes is refused."""
    require_admin(actor)
    tenant = require_current_tenant()
    provider = SsoProvider.objects.select_for_update().filter(tenant=tenant).first()
    before = provider_state(provider) if provider else None
    provider = provider or SsoProvider(tenant=tenant)
    provider.display_name = _text(display_name, "display_name", max_length=100, required=True)
    provider.issuer_url = _issuer(issuer_url)
    provider.client_id = _text(client_id, "client_id", max_length=255, required=True)
    if client_secret is not None:
        provider.client_secret_encrypted = encrypt(_text(client_secret, "client_secret", max_length=2000))
    provider.email_domains = _domains(email_domains)
    provider.scopes = _scopes(scopes)
    provider.groups_claim = _text(groups_claim, "groups_claim", max_length=100)
    if default_role not in Role.values or default_role == Role.ADMIN:
        raise ValidationError({"default_role": "Choose viewer or member (admins come from a group mapping)."})
    provider.default_role = default_role
    provider.enabled = bool(enabled)
    provider.local_passwords_allowed = bool(local_passwords_allowed)
    if provider.enabled and not provider.email_domains:
        raise ValidationError({"email_domains": "Name the email domains this provider may log in."})
    if provider.enabled and not provider.client_secret_encrypted:
        raise ValidationError({"client_secret": "Give the client secret."})
    taken = SsoDomainRoute.objects.filter(domain__in=provider.email_domains).exclude(routes_to=tenant)
    if taken.exists():
        names = ", ".join(sorted(taken.values_list("domain", flat=True)))
        raise ValidationError({"email_domains": f"Already used by another tenant: {names}."})
    provider.save()
    SsoDomainRoute.objects.filter(routes_to=tenant).exclude(domain__in=provider.email_domains).delete()
    for domain in provider.email_domains:
        SsoDomainRoute.objects.get_or_create(domain=domain, defaults={"routes_to": tenant})
    after = provider_state(provider)
    if client_secret is not None and before is not None:
        after["client_secret"] = "changed"
    if after != before:
        action = "sso.create" if before is None else "sso.update"
        audit_record(actor=actor, action=action, target=provider, before=before, after=after)
    transaction.on_commit(lambda: cache.delete(PASSWORDS_CACHE_KEY.format(tenant.pk)))
    return provider


def _mapping_state(mapping: SsoGroupMapping) -> dict[str, Any]:
    return {
        "idp_group": mapping.idp_group,
        "team": mapping.team.slug if mapping.team_id else None,
        "team_role": mapping.team_role,
        "tenant_role": mapping.tenant_role,
    }


@transaction.atomic
def sso_mapping_add(
    *,
    actor: Membership | None,
    idp_group: str,
    team: Team | None = None,
    team_role: str = "",
    tenant_role: str = "",
) -> SsoGroupMapping:
    """Map an IdP group to a team (with a team role) or to a tenant role (tenant admins)."""
    require_admin(actor)
    provider = SsoProvider.objects.filter(tenant=require_current_tenant()).first()
    if provider is None:
        raise ValidationError({"idp_group": "Configure the provider first."})
    idp_group = _text(idp_group, "idp_group", max_length=255, required=True)
    if team is not None:
        if team_role not in TeamRole.values:
            raise ValidationError({"team_role": "Choose maintainer or member."})
        if tenant_role:
            raise ValidationError({"tenant_role": "Map a group to a team or to a tenant role, not both."})
        if team.archived_at is not None:
            raise ValidationError({"team": "This team is archived."})
    elif tenant_role not in Role.values:
        raise ValidationError({"tenant_role": "Choose a team, or a tenant role (viewer, member, admin)."})
    else:
        team_role = ""
    duplicate = SsoGroupMapping.objects.filter(
        idp_group=idp_group, team=team, tenant_role=tenant_role if team is None else ""
    )
    if duplicate.exists():
        raise ValidationError({"idp_group": "This mapping exists already."})
    mapping = SsoGroupMapping.objects.create(
        provider=provider, idp_group=idp_group, team=team, team_role=team_role, tenant_role=tenant_role
    )
    audit_record(actor=actor, action="sso.mapping.add", target=mapping, after=_mapping_state(mapping))
    return mapping


@transaction.atomic
def sso_mapping_remove(*, actor: Membership | None, mapping: SsoGroupMapping) -> None:
    """Remove a mapping. Memberships it granted go at each user's next login (when their groups re-sync)."""
    require_admin(actor)
    audit_record(actor=actor, action="sso.mapping.remove", target=mapping, before=_mapping_state(mapping))
    mapping.delete()


# --- just-in-time provisioning ----------------------------------------------------------------------------
def claim_groups(claims: dict[str, Any], claim: str) -> list[str]:
    """The groups claim as a list of strings (a single string counts as one group; anything else: none)."""
    value = claims.get(claim) if claim else None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return sorted({str(g)[:255] for g in value if isinstance(g, str | int) and str(g).strip()})


def _username_for(claims: dict[str, Any], subject: str) -> str:
    email = str(claims.get("email") or "")
    base = email.partition("@")[0] or str(claims.get("preferred_username") or "") or subject
    base = re.sub(r"[^\w.@+-]", "-", base)[:140] or "user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _linkable_user(tenant: Tenant, email: str, verified: bool, domains: list[str]) -> Any | None:
    """An existing local account this first SSO login may take over: same email (one account only), the IdP
    says it is verified, its domain is one of the tenant's, no staff rights, and every membership it has is in
    this tenant, so a tenant's IdP can never obtain an account that reaches another tenant."""
    if not email or not verified or email.rpartition("@")[2].lower() not in domains:
        return None
    found = list(User.objects.filter(email__iexact=email, is_active=True)[:2])
    if len(found) != 1 or found[0].is_staff or found[0].is_superuser:
        return None
    user = found[0]
    with user_context(user.pk):
        tenant_ids = set(Membership.unscoped.filter(user=user).values_list("tenant_id", flat=True))
    return user if tenant_ids <= {tenant.pk} else None


def _sync(provider: SsoProvider, identity: SsoIdentity, groups: list[str], created_membership: bool) -> dict:
    """Apply the mappings to one user inside the current tenant; returns what changed (for the audit)."""
    user = identity.user
    mappings = list(
        SsoGroupMapping.objects.filter(provider=provider, idp_group__in=groups).select_related("team")
    )
    changes: dict[str, Any] = {}
    membership = Membership.objects.filter(user=user).first()
    tenant_roles = [m.tenant_role for m in mappings if m.tenant_role]
    wanted_role = max(tenant_roles, key=ROLE_RANK.__getitem__) if tenant_roles else provider.default_role
    if membership is None:
        membership = membership_set(user=user, role=wanted_role, actor=None)
        identity.role_managed = True
        changes["role"] = [None, wanted_role]
    elif (identity.role_managed or created_membership) and membership.role != wanted_role:
        try:
            membership_set_role(membership=membership, role=wanted_role, actor=None)
            changes["role"] = [membership.role, wanted_role]
        except ValidationError:
            changes["role_kept"] = membership.role  # the tenant's last admin stays admin
    wanted_teams: dict[int, tuple[Team, str]] = {}
    for m in mappings:
        if m.team_id and m.team.archived_at is None:
            current = wanted_teams.get(m.team_id)
            if current is None or TEAM_RANK[m.team_role] > TEAM_RANK[current[1]]:
                wanted_teams[m.team_id] = (m.team, m.team_role)
    grants = {g.team_id: g for g in SsoTeamGrant.objects.filter(user=user).select_related("team")}
    for team_id, grant in grants.items():
        if team_id not in wanted_teams:
            tm = (
                TeamMembership.objects.filter(team_id=team_id, user=user)
                .select_related("team", "user")
                .first()
            )
            if tm is not None:
                team_member_remove(team_membership=tm, actor=None)
            grant.delete()
            changes.setdefault("teams_removed", []).append(grant.team.slug)
    for team_id, (team, role) in wanted_teams.items():
        existing = TeamMembership.objects.filter(team_id=team_id, user=user).first()
        if existing is not None and team_id not in grants:
            continue  # added by an admin: not ours to manage
        if existing is None or existing.role != role:
            team_member_set(team=team, user=user, role=role, actor=None)
            changes.setdefault("teams_set", []).append([team.slug, role])
        SsoTeamGrant.objects.update_or_create(user=user, team=team, defaults={"role": role})
    return changes


def sso_login_provision(*, tenant: Tenant, subject: str, claims: dict[str, Any], user: Any | None) -> Any:
    """At each SSO login of `tenant`'s provider: find or create the user (`user` is the account allauth
    already links to this provider and subject, or None), make them a member, re-apply the group mappings.

    Raises SsoRefused (nothing changed) when the email's domain is not the tenant's or the account is off.
    """
    with tenant_context(tenant), transaction.atomic():
        provider = SsoProvider.objects.select_for_update().get(tenant=tenant)
        email = str(claims.get("email") or "").strip()
        domain = email.rpartition("@")[2].lower()
        if not email or domain not in provider.email_domains:
            raise SsoRefused(
                f"{provider.display_name} may log in addresses of {', '.join(provider.email_domains)} only."
            )
        identity = SsoIdentity.objects.select_related("user").filter(subject=subject).first()
        if user is None and identity is not None:
            user = identity.user
        verified = claims.get("email_verified") in (True, "true", "True")
        if user is None:
            user = _linkable_user(tenant, email, verified, provider.email_domains)
            linked = user is not None
            if user is None:
                user = User(username=_username_for(claims, subject), email=email)
                user.first_name = str(claims.get("given_name") or claims.get("name") or "")[:150]
                user.last_name = str(claims.get("family_name") or "")[:150]
                user.set_unusable_password()
                user.save()
        else:
            linked = False
        if not user.is_active:
            raise SsoRefused("This account is deactivated.")
        created_membership = False
        if identity is None:
            identity = SsoIdentity(user=user, subject=subject)
            with user_context(user.pk):
                created_membership = not Membership.objects.filter(user=user).exists()
        groups = claim_groups(claims, provider.groups_claim)
        with user_context(user.pk):
            changes = _sync(provider, identity, groups, created_membership)
        now = timezone.now()
        identity.email, identity.groups, identity.last_sync_at = email, groups, now
        identity.save()
        provider.last_sync_at = now
        provider.save(update_fields=["last_sync_at"])
        audit_record(
            actor=user, action="sso.login", target=identity, target_label=user.get_username(),
            after={"groups": groups, "linked_existing_account": linked, **changes},
        )  # fmt: skip
        return user
