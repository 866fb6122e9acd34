"""Catalog pages. Thin: forms parse, services write, selectors read; htmx gets fragments of the same template.

Every page works as plain HTML (GET forms, POST forms); with htmx the list updates in place as you type and
the URL follows (hx-push-url), so a search is shareable and the back button works.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from catalog import selectors, services
from catalog.forms import CapabilityFilterForm, CapabilityForm
from catalog.models import Capability
from catalog.releases.feeds import capability_feed_links
from portal.plugins.api import (
    Team,
    TeamMembership,
    can_maintain,
    is_tenant_admin,
    list_window,
    maintained_team_ids,
    redirect_after_write,
    render_capability_panels,
    tenant_reverse,
)

PAGE_SIZE = 50


def _may_create(request: HttpRequest) -> bool:
    return is_tenant_admin(request.membership) or bool(maintained_team_ids(request.membership))


def _list_page(
    request: HttpRequest, *, title: str, team_ids: list[int] | None, url_name: str
) -> HttpResponse:
    form = CapabilityFilterForm(request.GET)
    values = form.values()
    capabilities = selectors.capability_list(
        request.membership, q=values["q"], filters=values, sort=values["sort"], team_ids=team_ids
    )
    facets = selectors.facets(request.membership)
    # The exact facet counts give the total of the plain list and of a single filter; a search or a
    # combination pages without one (no COUNT(*) over the tenant's capabilities per view).
    known = None if values["q"].strip() or team_ids is not None else facets.count_for(values)
    page = list_window(capabilities, values["page"], PAGE_SIZE, count=known)
    # The query string without empty fields: what the pager links and the pushed history entry carry.
    shown = {key: value for key in form.fields if key != "page" and (value := request.GET.get(key))}
    list_url = tenant_reverse(url_name)
    context = {
        "title": title,
        "form": form,
        "values": values,
        "page": page,
        "capabilities": page.object_list,
        "facets": facets,
        "may_create": _may_create(request),
        "list_url": list_url,
        "query": urlencode(shown),
        "filtered": any(values[k] for k in ("q", *selectors.FILTER_KEYS)),
        "mine": team_ids is not None,
        "no_teams": team_ids == [],
    }
    template = "catalog/capability_list.html"
    if request.htmx and request.htmx.target == "capability-results":
        template += "#results"
    response = TemplateResponse(request, template, context)
    if request.htmx and not request.htmx.history_restore_request:
        # Overrides the form's hx-push-url="true", which would push every empty field (`?q=dns&tag=&...`).
        pushed = urlencode(shown | ({"page": page.number} if page.number > 1 else {}))
        response["HX-Push-Url"] = f"{list_url}?{pushed}" if pushed else list_url
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
def capability_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, title="Catalog", team_ids=None, url_name="catalog:list")


@login_required
def capability_mine(request: HttpRequest) -> HttpResponse:
    team_ids = list(TeamMembership.objects.filter(user_id=request.user.pk).values_list("team_id", flat=True))
    return _list_page(request, title="My team's capabilities", team_ids=team_ids, url_name="catalog:mine")


def _get_visible(request: HttpRequest, slug: str) -> Capability:
    capability = selectors.capability_detail(request.membership, slug=slug)
    if capability is None:
        raise Http404("No such capability.")
    return capability


@login_required
def capability_detail(request: HttpRequest, slug: str) -> HttpResponse:
    capability = _get_visible(request, slug)
    return TemplateResponse(
        request,
        "catalog/capability_detail.html",
        {
            "capability": capability,
            "panels": render_capability_panels(request, capability),
            "may_edit": can_maintain(request.membership, capability.owner_team_id),
            "transfer_teams": _transfer_teams(request, capability),
            **capability_feed_links(request, capability),
        },
    )


def _transfer_teams(request: HttpRequest, capability: Capability) -> list[Team] | None:
    """The teams a tenant admin may give the capability to (active ones but its owner); None for others."""
    if not is_tenant_admin(request.membership):
        return None
    return list(
        Team.objects.filter(archived_at__isnull=True).exclude(pk=capability.owner_team_id).order_by("name")
    )


@login_required
@require_POST
def capability_transfer(request: HttpRequest, slug: str) -> HttpResponse:
    """Tenant admins give a capability to another team (POST `team=<slug>`)."""
    capability = _get_visible(request, slug)
    if not is_tenant_admin(request.membership):
        raise PermissionDenied("Only tenant admins can transfer a capability to another team.")
    slug_given = request.POST.get("team", "")
    team = None if "\x00" in slug_given else Team.objects.filter(slug=slug_given).first()
    try:
        services.capability_transfer(capability=capability, team=team, actor=request.membership)
    except ValidationError as exc:
        context = {
            "capability": capability,
            "panels": render_capability_panels(request, capability),
            "may_edit": True,
            "transfer_teams": _transfer_teams(request, capability),
            "transfer_error": " ".join(exc.messages),
            **capability_feed_links(request, capability),
        }
        return TemplateResponse(request, "catalog/capability_detail.html", context, status=400)
    return _saved(request, capability, f"Transferred to {team.name}.")


def _form_response(request: HttpRequest, form: CapabilityForm, capability: Capability | None) -> HttpResponse:
    template = "catalog/capability_form.html"
    if request.htmx:
        template += "#form"
    status = 200
    if form.is_bound and (form.errors or form.links.total_error_count()):
        # htmx gets 422: with DEBUG on, django-htmx's helper script replaces the whole document with any
        # 400/403/404/500 answer to an htmx request (to show tracebacks), which would wipe the page.
        status = 422 if request.htmx else 400
    response = TemplateResponse(request, template, {"form": form, "capability": capability}, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _saved(request: HttpRequest, capability: Capability, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect_after_write(request, tenant_reverse("catalog:detail", slug=capability.slug))


@login_required
@require_http_methods(["GET", "POST"])
def capability_create(request: HttpRequest) -> HttpResponse:
    if not _may_create(request):
        raise PermissionDenied("Only maintainers of a team (or tenant admins) can add capabilities.")
    visible = selectors.visible_capabilities(request.membership)
    if request.method == "GET":
        return _form_response(request, CapabilityForm(membership=request.membership, visible=visible), None)
    form = CapabilityForm(request.POST, membership=request.membership, visible=visible)
    if form.adding_link:
        return _form_response(request, form.without_errors(), None)
    if form.is_valid():
        data = form.service_data()
        try:
            capability = services.capability_create(**data)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            return _saved(request, capability, f"{capability.name} is in the catalog.")
    else:
        form.check_parsed_fields()
    return _form_response(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def capability_edit(request: HttpRequest, slug: str) -> HttpResponse:
    capability = _get_visible(request, slug)
    if not can_maintain(request.membership, capability.owner_team_id):
        raise PermissionDenied("Only maintainers of the owning team (or tenant admins) can edit it.")
    visible = selectors.visible_capabilities(request.membership)
    kwargs = {"membership": request.membership, "capability": capability, "visible": visible}
    if request.method == "GET":
        form = CapabilityForm(initial=CapabilityForm.initial_for(capability), **kwargs)
        return _form_response(request, form, capability)
    form = CapabilityForm(request.POST, **kwargs)
    if form.adding_link:
        return _form_response(request, form.without_errors(), capability)
    if form.is_valid():
        data = form.service_data()
        data["dependencies"] = selectors.with_unseen_dependencies(
            request.membership, capability, data["dependencies"]
        )
        try:
            services.capability_update(capability=capability, **data)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            return _saved(request, capability, "Saved.")
    else:
        form.check_parsed_fields()
    return _form_response(request, form, capability)


@login_required
@require_POST
def capability_archive(request: HttpRequest, slug: str) -> HttpResponse:
    capability = _get_visible(request, slug)
    if not can_maintain(request.membership, capability.owner_team_id):
        raise PermissionDenied("Only maintainers of the owning team (or tenant admins) can archive it.")
    archive = request.POST.get("archived", "1") != "0"
    services.capability_archive(capability=capability, archived=archive)
    return _saved(request, capability, "Archived: it no longer shows in lists." if archive else "Restored.")
