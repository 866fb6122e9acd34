"""Core pages: the landing redirect, the tenant home and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache

from portal.accounts.selectors import teams_of_user
from portal.tenancy.selectors import memberships_of
from portal.ui.panels import render_home_panels
from portal.ui.urls import tenant_reverse


@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """Send the user to their last tenant, their only tenant, or let them choose."""
    memberships = memberships_of(request.user.pk)
    slugs = [m.tenant.slug for m in memberships]
    last = request.session.get("agora_tenant")
    if last in slugs:
        return redirect(tenant_reverse("tenant_home", tenant_slug=last))
    if len(slugs) == 1:
        return redirect(tenant_reverse("tenant_home", tenant_slug=slugs[0]))
    return TemplateResponse(request, "ui/choose_tenant.html", {"memberships": memberships})


@login_required
def tenant_home(request: HttpRequest) -> HttpResponse:
    """What is new and what needs me, from every plugin's home panels (constant queries per panel)."""
    panels = render_home_panels(request)
    context = {
        "my_teams": teams_of_user(request.user.pk),
        "main_panels": [p for p in panels if p.column != "side"],
        "side_panels": [p for p in panels if p.column == "side"],
    }
    return TemplateResponse(request, "ui/tenant_home.html", context)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
