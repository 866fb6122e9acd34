"""Team channel pages: endpoints (Slack, Teams, webhooks) and their routes, for team maintainers.

An endpoint outside the caller's maintained teams answers 404 like one that does not exist. The URL is never
rendered back; a webhook's signing secret is shown once, right after it was created or rotated.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from portal.accounts.models import Team
from portal.accounts.permissions import is_tenant_admin, maintained_team_ids
from portal.notifications import selectors, services
from portal.notifications.forms import EndpointCreateForm, EndpointUpdateForm, RouteForm
from portal.notifications.models import ChannelRoute
from portal.notifications.services.endpoints import EndpointTestLimited
from portal.notifications.topics import UnknownTopic
from portal.ui.urls import tenant_reverse


def _teams(request: HttpRequest):
    if is_tenant_admin(request.membership):
        return Team.objects.order_by("name")
    return Team.objects.filter(pk__in=maintained_team_ids(request.membership)).order_by("name")


def _endpoint(request: HttpRequest, pk: int):
    return get_object_or_404(selectors.endpoints_for(request.membership), pk=pk)


@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    teams = _teams(request)
    form = EndpointCreateForm(request.POST or None, teams=teams)
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(
                team=form.cleaned_data["team"],
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                created_by=request.user,
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            if not secret:
                messages.success(request, f"Endpoint “{endpoint.name}” added. Now choose what it receives.")
                return HttpResponseRedirect(
                    tenant_reverse("notifications:endpoint_detail", pk=endpoint.pk), status=303
                )
            return TemplateResponse(
                request,
                "notifications/endpoint_detail.html",
                _detail_context(request, endpoint, secret=secret),
            )
    context = {
        "form": form,
        "endpoints": list(selectors.endpoints_for(request.membership)),
        "can_add": teams.exists(),
    }
    return TemplateResponse(
        request, "notifications/endpoints.html", context, status=400 if form.errors else 200
    )


def _detail_context(request, endpoint, *, secret: str = "", form=None, route_form=None) -> dict:
    return {
        "endpoint": endpoint,
        "secret": secret,
        "form": form or EndpointUpdateForm(initial={"name": endpoint.name}),
        "route_form": route_form or RouteForm(membership=request.membership),
        "routes": list(selectors.routes_of(endpoint)),
        "failures": list(selectors.recent_failures(endpoint)),
    }


@login_required
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows health, routes and recent failures.

    POST `action` = update | enable | rotate | test | delete.
    """
    endpoint = _endpoint(request, pk)
    action = request.POST.get("action", "update") if request.method == "POST" else None
    if action == "delete":
        services.endpoint_delete(endpoint=endpoint)
        messages.info(request, f"Endpoint “{endpoint.name}” deleted.")
        return HttpResponseRedirect(tenant_reverse("notifications:endpoints"), status=303)
    if action == "enable":
        services.endpoint_enable(endpoint=endpoint)
        messages.success(request, "Endpoint switched back on.")
        return HttpResponseRedirect(
            tenant_reverse("notifications:endpoint_detail", pk=endpoint.pk), status=303
        )
    if action == "test":
        return _send_test(request, endpoint)
    if action == "rotate":
        try:
            secret = services.endpoint_rotate_secret(endpoint=endpoint)
        except ValidationError as exc:
            return HttpResponse("; ".join(exc.messages), status=400, content_type="text/plain")
        return TemplateResponse(
            request, "notifications/endpoint_detail.html", _detail_context(request, endpoint, secret=secret)
        )
    form = EndpointUpdateForm(request.POST or None, initial={"name": endpoint.name})
    if action == "update" and form.is_valid():
        try:
            services.endpoint_update(
                endpoint=endpoint, name=form.cleaned_data["name"], url=form.cleaned_data["url"]
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, "Endpoint saved.")
            return HttpResponseRedirect(
                tenant_reverse("notifications:endpoint_detail", pk=endpoint.pk), status=303
            )
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request,
        "notifications/endpoint_detail.html",
        _detail_context(request, endpoint, form=form),
        status=status,
    )


def _send_test(request: HttpRequest, endpoint) -> HttpResponse:
    """Post a test message now and show its outcome on the page (429 with Retry-After past the limit)."""
    try:
        result = services.endpoint_send_test(endpoint=endpoint, actor=request.membership)
    except EndpointTestLimited as exc:
        context = _detail_context(request, endpoint) | {"test_error": str(exc)}
        response = TemplateResponse(request, "notifications/endpoint_detail.html", context, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    context = _detail_context(request, endpoint) | {"test_result": result}
    return TemplateResponse(request, "notifications/endpoint_detail.html", context)


@login_required
@require_POST
def route_add(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    form = RouteForm(request.POST, membership=request.membership)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.route_add(
                endpoint=endpoint,
                topic_kind=data["topic_kind"],
                topic_id=data.get("topic_id"),
                topic_label=data.get("topic_label", ""),
                releases=data["releases"],
                status=data["status"],
                membership=request.membership,
            )
        except UnknownTopic as exc:  # missing, another tenant's or hidden: said by the field, as a 404
            form.add_error("topic_id", str(exc))
            status = 404
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, "Route added.")
            return HttpResponseRedirect(
                tenant_reverse("notifications:endpoint_detail", pk=endpoint.pk), status=303
            )
    return TemplateResponse(
        request,
        "notifications/endpoint_detail.html",
        _detail_context(request, endpoint, route_form=form),
        status=status,
    )


@login_required
@require_POST
def route_delete(request: HttpRequest, pk: int) -> HttpResponse:
    route = get_object_or_404(
        ChannelRoute.objects.select_related("endpoint"),
        pk=pk,
        endpoint__in=selectors.endpoints_for(request.membership),
    )
    services.route_delete(route=route)
    if request.htmx:
        return HttpResponse("")
    return HttpResponseRedirect(
        tenant_reverse("notifications:endpoint_detail", pk=route.endpoint_id), status=303
    )
