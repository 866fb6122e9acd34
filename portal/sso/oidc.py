"""django-allauth's OpenID Connect client, plus a `nonce` per flow and the ID token signature always checked.

Two additions to allauth (65.x), each at one of its extension points:

- **nonce.** allauth's `openid_connect` provider sends no `nonce` in the code flow. `NonceOIDCProvider` adds a
  fresh random one to each authorization request and keeps it in allauth's own state for that flow (the
  session entry keyed by `state`, bound to the provider id, single use); the callback view hands it to the
  adapter, and the adapter refuses an ID token whose `nonce` claim is absent or different (OpenID Connect
  Core 3.1.3.7 step 11). It refuses a signed ID token replayed from another flow or another session, on top
  of what PKCE already refuses (an injected code). Only that comparison is ours; the signature, `iss`,
  `aud`, `exp` and `jti` checks are allauth's (`jwtkit.verify_and_decode`).
- **signature.** allauth skips the signature check when it received the ID token itself from the token
  endpoint over TLS (OpenID Connect Core 3.1.3.7 permits that). We do not: the check is cheap, it still runs
  when TLS is terminated by a proxy we do not control, and it is what refuses an ID token altered in transit
  (the browser-tier test has the provider's output tampered after signing).

allauth's `login`/`callback` views build their adapter class directly, so `login` and `callback` below are
the same two views with these classes, under allauth's URL names (`openid_connect_login`,
`openid_connect_callback`); state, PKCE and the rest of the flow are allauth's.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse

NONCE_STATE_KEY = "agora_oidc_nonce"  # our entry in allauth's per-flow state dict


class NonceOIDCProvider(OpenIDConnectProvider):
    """allauth's provider, sending a new `nonce` with every authorization request (see the module doc)."""

    def redirect(
        self, request: HttpRequest, process, next_url=None, data=None, **kwargs: Any
    ) -> HttpResponse:
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        auth_params = dict(self.get_auth_params() if auth_params is None else auth_params)
        auth_params["nonce"] = nonce
        # allauth stores every extra keyword in this flow's state (statekit), beside the PKCE verifier.
        kwargs[NONCE_STATE_KEY] = nonce
        return super().redirect(request, process, next_url, data, auth_params=auth_params, **kwargs)


class NonceCheckingOIDCAdapter(OpenIDConnectOAuth2Adapter):
    expected_nonce: str | None = None  # set by the callback view from this flow's state

    def _decode_id_token(self, app, id_token: str) -> dict:
        claims = jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )
        received = claims.get("nonce")
        expected = self.expected_nonce
        if not (isinstance(received, str) and expected and hmac.compare_digest(received, expected)):
            raise OAuth2Error("ID token nonce does not match this login")
        return claims


class NonceCheckingCallbackView(OAuth2CallbackView):
    """allauth's callback; the state it unstashes (and deletes) carries the nonce the ID token must echo."""

    def _get_state(self, request: HttpRequest, provider):
        state, response = super()._get_state(request, provider)
        self.adapter.expected_nonce = (state or {}).get(NONCE_STATE_KEY)
        return state, response


@login_not_required
def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Start the flow (POST; a GET shows allauth's confirmation page): state, PKCE, nonce; to the IdP."""
    try:
        return OAuth2LoginView.adapter_view(NonceCheckingOIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404("No single sign-on here.") from None


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """The redirect URI: allauth checks the state (bound to this provider id), exchanges the code with the
    PKCE verifier, verifies the ID token, we check its nonce; then our adapter's pre_social_login provisions
    and syncs."""
    try:
        return NonceCheckingCallbackView.adapter_view(NonceCheckingOIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404("No single sign-on here.") from None
