"""Local passwords turned off per tenant: a session a password opened does not enter such a tenant.

Runs after TenantMiddleware (request.tenant is known). A session enters a tenant that turned passwords off
only if that tenant's own provider logged it in (recorded at login, portal.sso.signals). Superusers keep
password access (the operator's way in when an IdP is down). API bearer tokens are not sessions and are not
affected: an admin revokes them on the tokens page. The switch is cached (portal.sso.selectors).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode

from portal.sso.adapter import SESSION_KEY
from portal.sso.selectors import passwords_allowed


class LocalPasswordsSwitchMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        if (
            tenant is not None
            and user is not None
            and user.is_authenticated
            and not user.is_superuser
            and request.session.get(SESSION_KEY) != tenant.slug
            and not passwords_allowed(tenant)
        ):
            if request.path_info.startswith("/api/"):
                detail = f"{tenant.name} requires single sign-on: log in with it."
                return JsonResponse({"detail": detail, "code": "sso_required"}, status=403)
            query = urlencode({"tenant": tenant.slug, "next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('login')}?{query}")
        return self.get_response(request)
