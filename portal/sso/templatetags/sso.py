"""`{% sso_login_options as sso %}` for the login page: which "Continue with" button to show, if any.

The login view stays Django's (django-axes throttles it); this tag only reads `?tenant=<slug>` (a company's
login link, or where the "work email" step sent you) and `?sso=none` (that domain has no SSO).
"""

from __future__ import annotations

from typing import Any

from django import template

from portal.sso import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def sso_login_options(context: Any) -> dict[str, Any]:
    request = context.get("request")
    if request is None:
        return {}
    slug = (request.GET.get("tenant") or "").strip()[:63]
    email = (request.GET.get("email") or "").strip()[:254]
    options: dict[str, Any] = {"email": email, "no_sso": request.GET.get("sso") == "none"}
    found = selectors.enabled_provider(slug) if slug else None
    if found is not None:
        tenant, provider = found
        options.update(
            tenant=tenant,
            display_name=provider.display_name,
            passwords_allowed=provider.local_passwords_allowed,
        )
    return options
