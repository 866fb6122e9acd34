"""API authentication: bearer tokens bound to one tenant membership, and the browser session.

Both enter the tenant context for the rest of the request, so every query after authentication is scoped
(and, on PostgreSQL, row-level secured) to that tenant.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from portal.accounts.models import ApiToken
from portal.accounts.services import api_token_touch
from portal.accounts.tokens import parse_token
from portal.tenancy.context import activate, tenant_context
from portal.tenancy.models import Tenant
from portal.tenancy.selectors import membership_for

TENANT_HEADER = "HTTP_X_AGORA_TENANT"


def _bind(request, membership) -> None:
    django_request = getattr(request, "_request", request)
    django_request.tenant = membership.tenant
    django_request.membership = membership
    activate(membership.tenant, user_id=membership.user_id)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"
    invalid = _("Invalid, revoked or expired API token.")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization header must be 'Bearer <token>'."))
        try:
            parsed = parse_token(header[1].decode())
        except UnicodeError:
            parsed = None
        if parsed is None:
            raise exceptions.AuthenticationFailed(self.invalid)
        tenant = Tenant.objects.filter(slug=parsed.tenant_slug).first()
        if tenant is None:
            raise exceptions.AuthenticationFailed(self.invalid)
        with tenant_context(tenant):
            token = (
                ApiToken.objects.select_related("membership__user", "membership__tenant")
                .filter(key_hash=parsed.key_hash, revoked_at__isnull=True)
                .first()
            )
            if token is None or not token.membership.user.is_active:
                raise exceptions.AuthenticationFailed(self.invalid)
            api_token_touch(token=token)
        _bind(request, token.membership)
        return token.membership.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class TenantSessionAuthentication(authentication.SessionAuthentication):
    """Session auth (CSRF-checked) for the browser; tenant from `X-Agora-Tenant` or the last one visited."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _auth = result
        slug = request.META.get(TENANT_HEADER)
        if slug:
            membership = membership_for(slug=slug, user_id=user.pk)
            if membership is None:
                raise exceptions.NotFound(_("No such tenant."))
            _bind(request, membership)
        return result
