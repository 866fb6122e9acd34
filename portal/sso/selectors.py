"""Reads for SSO: a tenant's provider (as an allauth app), the email-domain directory, the password switch."""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from django.core.cache import cache

from portal.notifications.crypto import DecryptionError, decrypt
from portal.sso.models import SsoDomainRoute, SsoProvider
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Tenant

PASSWORDS_CACHE_KEY = "agora:sso:passwords-allowed:{}"
PASSWORDS_CACHE_SECONDS = 300


def provider_of(tenant: Tenant) -> SsoProvider | None:
    with tenant_context(tenant):
        return SsoProvider.objects.filter(tenant=tenant).first()


def enabled_provider(slug: str) -> tuple[Tenant, SsoProvider] | None:
    """The tenant named `slug` and its provider, when it exists and is switched on."""
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        return None
    provider = provider_of(tenant)
    if provider is None or not provider.enabled:
        return None
    return tenant, provider


def social_app_for(slug: str) -> SocialApp | None:
    """An unsaved allauth SocialApp built from the tenant's configuration (allauth's "apps from settings"
    route, fed at run time): provider id = tenant slug, so URLs and allauth's state are bound to it."""
    found = enabled_provider(slug)
    if found is None:
        return None
    tenant, provider = found
    try:
        secret = decrypt(provider.client_secret_encrypted)
    except DecryptionError:
        return None
    return SocialApp(
        provider="openid_connect",
        provider_id=tenant.slug,
        name=provider.display_name,
        client_id=provider.client_id,
        secret=secret,
        settings={
            "server_url": provider.issuer_url.rstrip("/"),
            "oauth_pkce_enabled": True,
            "fetch_userinfo": True,
            "scope": provider.scopes.split(),
        },
    )


def tenant_for_email(email: str) -> Tenant | None:
    """The tenant whose provider handles `email`'s domain, if SSO is on there."""
    domain = (email or "").rpartition("@")[2].strip().lower()
    if not domain:
        return None
    route = SsoDomainRoute.objects.select_related("routes_to").filter(domain=domain).first()
    if route is None or enabled_provider(route.routes_to.slug) is None:
        return None
    return route.routes_to


def passwords_allowed(tenant: Tenant) -> bool:
    """False when the tenant turned local passwords off (with SSO on). Cached: the check runs on every page
    of the tenant; `sso_provider_save` deletes the key."""
    key = PASSWORDS_CACHE_KEY.format(tenant.pk)
    cached = cache.get(key)
    if cached is None:
        provider = provider_of(tenant)
        cached = provider is None or not provider.enabled or provider.local_passwords_allowed
        cache.set(key, cached, PASSWORDS_CACHE_SECONDS)
    return bool(cached)
