"""django-allauth adapter: apps from each tenant's configuration, the guarded HTTP session, and provisioning.

allauth does the protocol (state bound to the provider id in the session, PKCE S256, code exchange, ID
token signature, issuer, audience and expiry; `portal.sso.oidc` adds the nonce); this adapter decides who
that person is in Agora. The provider id is the tenant's slug, so a login started for tenant A can only be
completed at A's callback with A's client, and `pre_social_login` provisions into A only.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.http import HttpRequest
from django.template.response import TemplateResponse

from portal.sso import selectors
from portal.sso.http import guarded_session
from portal.sso.oidc import NonceOIDCProvider
from portal.sso.services import SsoRefused, sso_login_provision

logger = logging.getLogger(__name__)
SESSION_KEY = "agora_sso_tenant"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def login_claims(extra_data: dict[str, Any]) -> dict[str, Any]:
    """ID token claims, overlaid with userinfo's (fresher, and where some IdPs put groups)."""
    claims = dict(extra_data.get("id_token") or {})
    claims.update(extra_data.get("userinfo") or {})
    return claims


def refuse(request: HttpRequest, message: str, *, status: int = 403) -> ImmediateHttpResponse:
    response = TemplateResponse(
        request, "socialaccount/authentication_error.html", {"sso_message": message}, status=status
    )
    return ImmediateHttpResponse(response.render())


class AgoraSocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_requests_session(self):
        return guarded_session()

    def get_provider(self, request: HttpRequest, provider: str, client_id: str | None = None):
        """A tenant's provider (`provider` = its slug) is allauth's OpenID Connect provider plus a nonce."""
        found = super().get_provider(request, provider, client_id=client_id)
        if isinstance(found, OpenIDConnectProvider) and not isinstance(found, NonceOIDCProvider):
            return NonceOIDCProvider(request, app=found.app)
        return found

    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ):
        """Only apps built from a tenant's configuration; `provider` is the tenant slug (the provider id)."""
        if not provider or provider == "openid_connect":
            return []
        app = selectors.social_app_for(provider)
        if app is None or (client_id is not None and app.client_id != client_id):
            return []
        return [app]

    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        return False  # accounts are created by pre_social_login only, never by allauth's signup form

    def pre_social_login(self, request: HttpRequest, sociallogin) -> None:
        slug = sociallogin.account.provider
        found = selectors.enabled_provider(slug)
        if found is None:
            raise refuse(request, "Single sign-on is not available for this organisation.", status=404)
        tenant, _provider = found
        claims = login_claims(sociallogin.account.extra_data or {})
        existing = sociallogin.user if sociallogin.is_existing else None
        try:
            user = sso_login_provision(
                tenant=tenant, subject=str(sociallogin.account.uid), claims=claims, user=existing
            )
        except SsoRefused as exc:
            logger.warning("SSO login refused for tenant %s: %s", slug, exc)
            raise refuse(request, str(exc)) from None
        if existing is None:
            sociallogin.user = user
            sociallogin.save(request)  # the SocialAccount (provider = tenant slug, uid = sub)
        sociallogin.user.backend = BACKEND
        request.agora_sso_tenant = tenant.slug

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        logger.warning(
            "SSO authentication failed for %s: %s %r", getattr(provider, "sub_id", "?"), error, exception
        )
