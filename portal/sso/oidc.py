"""django-allauth's OpenID Connect provider, with the ID token's signature always verified.

allauth skips the signature check when it received the ID token itself from the token endpoint over TLS
(OpenID Connect Core 3.1.3.7 permits that). We do not: the check is cheap, it still runs when TLS is
terminated by a proxy we do not control, and it is what refuses an ID token altered in transit (the
browser-tier test has the provider's output tampered after signing). The check itself is allauth's
(`jwtkit.verify_and_decode`: signature against the issuer's JWKS, `iss`, `aud`, `exp`, `jti` replay);
only its `verify_signature` switch is ours. allauth's `login`/`callback` views build their adapter class
directly, so `login` and `callback` below are the same two views with this adapter, under allauth's URL
names (`openid_connect_login`, `openid_connect_callback`); state, PKCE and the rest of the flow are allauth's.
"""

from __future__ import annotations

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse


class SignatureVerifyingOIDCAdapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app, id_token: str) -> dict:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )


@login_not_required
def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Start the flow (POST; a GET shows allauth's confirmation page): state + PKCE, redirect to the IdP."""
    try:
        return OAuth2LoginView.adapter_view(SignatureVerifyingOIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404("No single sign-on here.") from None


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """The redirect URI: allauth checks the state (bound to this provider id), exchanges the code with the
    PKCE verifier, verifies the ID token; then our adapter's pre_social_login provisions and syncs."""
    try:
        return OAuth2CallbackView.adapter_view(SignatureVerifyingOIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404("No single sign-on here.") from None
