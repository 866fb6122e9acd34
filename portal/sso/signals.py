"""Remember in the session how it logged in: the tenant whose provider did it, or nothing (a password).

The password switch (portal.sso.middleware) lets a session into a tenant that turned local passwords off
only when that tenant's own provider logged it in.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from portal.sso.adapter import SESSION_KEY


@receiver(user_logged_in, dispatch_uid="agora-sso-login-method")
def remember_login_method(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    slug = getattr(request, "agora_sso_tenant", None)
    if slug:
        request.session[SESSION_KEY] = slug
    else:
        request.session.pop(SESSION_KEY, None)
