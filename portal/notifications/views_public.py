"""The one-click unsubscribe endpoint, outside /t/ because mail clients call it without cookies.

RFC 8058: a POST with `List-Unsubscribe=One-Click` (we accept any POST) unsubscribes at once and needs no
session, hence `csrf_exempt` (the signed token is the credential; it can only mute one list). A GET, which
link scanners and prefetchers issue freely, never changes anything: it shows a confirmation button.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from portal.notifications.services import unsubscribe_by_token
from portal.notifications.tokens import read_token
from portal.tenancy.context import tenant_context
from portal.tenancy.selectors import membership_for


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    target = read_token(token)
    # A valid signature is not enough: the user may since have left the tenant or been deleted (muting
    # for them would write a row for a non-member, or fail on the foreign key at commit: a 500).
    membership = membership_for(tenant_id=target.tenant_id, user_id=target.user_id) if target else None
    if target is None or membership is None:
        return TemplateResponse(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
    tenant = membership.tenant
    context = {"tenant": tenant, "target": target, "token": token}
    if request.method == "GET":
        return TemplateResponse(request, "notifications/unsubscribe.html", context)
    with tenant_context(tenant, user_id=target.user_id):
        context["done"] = unsubscribe_by_token(target=target)
    response = TemplateResponse(request, "notifications/unsubscribe.html", context)
    response["Referrer-Policy"] = "no-referrer"
    return response
