"""Pages for teams and personal API tokens inside a tenant. Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from portal.accounts import selectors, services, throttle
from portal.accounts.forms import ApiTokenForm
from portal.accounts.models import ApiToken
from portal.ui.urls import tenant_reverse


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "accounts/team_list.html", {"teams": selectors.team_list()})


@login_required
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_detail(slug=slug)
    if team is None:
        raise Http404("No such team.")
    may_manage = services.may_manage_team(request.membership, team)
    return TemplateResponse(request, "accounts/team_detail.html", {"team": team, "may_manage": may_manage})


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    issued = None
    throttled = None
    if request.method == "POST" and form.is_valid():
        try:
            # Checked before the service: a refused creation writes nothing.
            throttle.token_create_allow(user_id=request.user.pk, address=throttle.client_address(request))
        except throttle.TokenCreateThrottled as exc:
            throttled = exc
        else:
            issued = services.api_token_create(membership=request.membership, name=form.cleaned_data["name"])
            messages.success(request, "Token created. Copy it now: it will not be shown again.")
            form = ApiTokenForm()
    status = 400 if request.method == "POST" and form.errors else 429 if throttled else 200
    response = TemplateResponse(
        request,
        "accounts/token_list.html",
        {
            "form": form,
            "issued": issued,
            "throttled": throttled,
            "tokens": selectors.tokens_of(request.membership),
        },
        status=status,
    )
    if throttled:
        response["Retry-After"] = str(throttled.retry_after)
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, membership=request.membership)
    services.api_token_revoke(token=token)
    messages.info(request, f"Token '{token.name}' revoked.")
    return redirect(tenant_reverse("tokens"))
