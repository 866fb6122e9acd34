"""Resolve the tenant of an HTML request from its URL (`/t/<slug>/...`) and check membership.

A tenant that does not exist and one the user is not a member of answer the same 404, so existence is never
revealed. Anonymous users are sent to log in first. Outside `/t/`, the tenant is the one last visited
(stored in the session), used by the admin and by session-authenticated API calls.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from portal.tenancy.context import tenant_context, user_context
from portal.tenancy.selectors import membership_for, memberships_of

TENANT_PATH = re.compile(r"^/t/(?P<slug>[-a-zA-Z0-9_]+)/")
SESSION_KEY = "agora_tenant"


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None
        request.membership = None
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        match = TENANT_PATH.match(request.path_info)
        if match is None:
            membership = self._session_membership(request, user_id)
            if membership is None:
                with user_context(user_id):
                    return self.get_response(request)
            return self._serve(request, membership, user_id)
        if user_id is None:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        # All of the user's memberships in one query (a person belongs to a few tenants): the current one
        # among them, and the header's tenant switcher reads the same list instead of asking again.
        request.memberships = memberships_of(user_id)
        membership = next((m for m in request.memberships if m.tenant.slug == match["slug"]), None)
        if membership is None:
            raise Http404("No such tenant.")
        if request.session.get(SESSION_KEY) != membership.tenant.slug:
            # Written only on change: an unchanged session is not saved again, so a tenant page costs no
            # session write and its responses (the bell's polls among them) set no session cookie.
            request.session[SESSION_KEY] = membership.tenant.slug
        return self._serve(request, membership, user_id)

    def _serve(self, request: HttpRequest, membership, user_id: int | None) -> HttpResponse:
        request.tenant = membership.tenant
        request.membership = membership
        with tenant_context(membership.tenant, user_id=user_id):
            return self.get_response(request)

    @staticmethod
    def _session_membership(request: HttpRequest, user_id: int | None):
        if user_id is None or not hasattr(request, "session"):
            return None
        slug = request.session.get(SESSION_KEY)
        return membership_for(slug=slug, user_id=user_id) if slug else None

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Views under /t/<tenant_slug>/ read request.tenant; the slug kwarg is consumed here.
        view_kwargs.pop("tenant_slug", None)
        return None
