"""Tenant administration pages under /t/<tenant>/admin/: teams, members, invitations, audit.

Thin adapters: forms parse, services check rights, write and audit, selectors read. Tenant admins see every
page; a team maintainer sees their own team's member page only. Everything else answers 403 (the tenant is
the user's own, so nothing is revealed); an object of another tenant is a 404 like a missing one.
Every htmx action also works as a plain form post: htmx gets the changed fragment, a plain post a redirect.
Errors answer 400 (422 for htmx, which django-htmx's debug script would otherwise replace the page for).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from portal.accounts import selectors, services
from portal.accounts.forms import (
    TEAM_ROLES,
    TENANT_ROLES,
    AuditFilterForm,
    InvitationForm,
    MemberAddForm,
    RoleForm,
    TeamCreateForm,
    TeamUpdateForm,
)
from portal.accounts.models import Invitation, Team, TeamMembership
from portal.accounts.permissions import is_tenant_admin
from portal.tenancy.models import Membership
from portal.ui.responses import redirect_after_write
from portal.ui.urls import tenant_reverse

AUDIT_PAGE_SIZE = 50


def tenant_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_tenant_admin(request.membership):
            raise PermissionDenied("Only tenant admins can open the administration pages.")
        return view(request, *args, **kwargs)

    return wrapper


def _error_status(request: HttpRequest) -> int:
    return 422 if request.htmx else 400


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    response = TemplateResponse(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _service(form, call: Callable[[], Any]) -> bool:
    """Run a service; on its ValidationError show the messages on `form`. PermissionDenied propagates."""
    try:
        call()
    except ValidationError as exc:
        form.apply_service_errors(exc)
        return False
    return True


# Teams -------------------------------------------------------------------------------------------------


@tenant_admin_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created: list[Team] = []
        if _service(
            form, lambda: created.append(services.team_create(actor=request.membership, **form.cleaned_data))
        ):
            messages.success(request, f"Team {created[0].name} created.")
            return redirect_after_write(request, tenant_reverse("admin_team", slug=created[0].slug))
    status = _error_status(request) if form.is_bound else 200
    template = "accounts/admin/team_list.html" + ("#create" if request.htmx and form.is_bound else "")
    return _render(request, template, {"teams": selectors.team_admin_list(), "form": form}, status=status)


def _team_for(request: HttpRequest, slug: str) -> Team:
    team = get_object_or_404(Team, slug=slug)
    if not services.may_manage_team(request.membership, team):
        raise PermissionDenied("Only tenant admins and this team's maintainers can manage its members.")
    return team


def _team_page(
    request: HttpRequest,
    team: Team,
    *,
    add_form: MemberAddForm | None = None,
    update_form: TeamUpdateForm | None = None,
    errors: list[str] | None = None,
    partial: str = "",
    status: int = 200,
) -> HttpResponse:
    admin = is_tenant_admin(request.membership)
    context = {
        "team": team,
        "members": selectors.team_members(team),
        "is_admin": admin,
        "add_form": add_form or MemberAddForm(roles=TEAM_ROLES),
        "update_form": update_form
        or TeamUpdateForm(
            initial={"name": team.name, "description": team.description, "chat_channel": team.chat_channel}
        ),
        "team_roles": TEAM_ROLES,
        "errors": errors or [],
    }
    template = "accounts/admin/team_detail.html" + (f"#{partial}" if partial and request.htmx else "")
    return _render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The team's members (admins and the team's maintainers); POST renames it (admins)."""
    team = _team_for(request, slug)
    if request.method == "GET":
        return _team_page(request, team)
    if not is_tenant_admin(request.membership):
        raise PermissionDenied("Only tenant admins can rename a team.")
    form = TeamUpdateForm(request.POST)
    if form.is_valid() and _service(
        form, lambda: services.team_update(team=team, actor=request.membership, **form.cleaned_data)
    ):
        messages.success(request, "Team saved.")
        return redirect_after_write(request, tenant_reverse("admin_team", slug=team.slug))
    return _team_page(request, team, update_form=form, partial="settings", status=_error_status(request))


@tenant_admin_required
@require_POST
def team_archive(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    archived = request.POST.get("archived", "1") != "0"
    try:
        services.team_archive(team=team, actor=request.membership, archived=archived)
    except ValidationError as exc:
        return _team_page(
            request, team, errors=exc.messages, partial="settings", status=_error_status(request)
        )
    messages.success(request, f"Team {team.name} {'archived' if archived else 'restored'}.")
    return redirect_after_write(request, tenant_reverse("admin_team", slug=team.slug))


@login_required
@require_POST
def team_member_add(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team_for(request, slug)
    form = MemberAddForm(request.POST, roles=TEAM_ROLES)
    if form.is_valid() and _service(
        form,
        lambda: services.team_member_set(
            team=team,
            user=services.user_lookup(form.cleaned_data["user"]),
            role=form.cleaned_data["role"],
            actor=request.membership,
        ),
    ):
        return _after_member_change(request, team, "Member added.")
    return _team_page(request, team, add_form=form, partial="members", status=_error_status(request))


@login_required
@require_POST
def team_member_change(request: HttpRequest, slug: str, teammembership_pk: int) -> HttpResponse:
    """POST `role` to change a member's team role, or `remove` to take them out of the team."""
    team = _team_for(request, slug)
    tm = get_object_or_404(
        TeamMembership.objects.select_related("user", "team"), pk=teammembership_pk, team=team
    )
    if "remove" in request.POST:
        services.team_member_remove(team_membership=tm, actor=request.membership)
        return _after_member_change(request, team, f"{tm.user.get_username()} removed from the team.")
    form = RoleForm(request.POST, roles=TEAM_ROLES)
    if form.is_valid() and _service(
        form,
        lambda: services.team_member_set(
            team=team, user=tm.user, role=form.cleaned_data["role"], actor=request.membership
        ),
    ):
        return _after_member_change(request, team, "Role changed.")
    errors = [e for errs in form.errors.values() for e in errs]
    return _team_page(request, team, errors=errors, partial="members", status=_error_status(request))


def _after_member_change(request: HttpRequest, team: Team, message: str) -> HttpResponse:
    if request.htmx:
        return _team_page(request, team, partial="members")
    messages.success(request, message)
    return redirect_after_write(request, tenant_reverse("admin_team", slug=team.slug))


# Tenant members ----------------------------------------------------------------------------------------


def _members_page(
    request: HttpRequest,
    *,
    form: MemberAddForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    template = "accounts/admin/member_list.html" + (
        "#members" if request.htmx and request.method == "POST" else ""
    )
    context = {
        "members": selectors.tenant_members(),
        "form": form or MemberAddForm(roles=TENANT_ROLES),
        "tenant_roles": TENANT_ROLES,
        "errors": errors or [],
    }
    return _render(request, template, context, status=status)


@tenant_admin_required
@require_http_methods(["GET", "POST"])
def member_list(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _members_page(request)
    form = MemberAddForm(request.POST, roles=TENANT_ROLES)
    if form.is_valid() and _service(
        form,
        lambda: services.membership_add(
            user=services.user_lookup(form.cleaned_data["user"]),
            role=form.cleaned_data["role"],
            actor=request.membership,
        ),
    ):
        return _after_tenant_member_change(request, "Member added.")
    return _members_page(request, form=form, status=_error_status(request))


@tenant_admin_required
@require_POST
def member_change(request: HttpRequest, membership_pk: int) -> HttpResponse:
    """POST `role` to change a tenant role, or `remove` to take the user out of the tenant."""
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_pk)
    try:
        if "remove" in request.POST:
            services.membership_remove(membership=membership, actor=request.membership)
            message = f"{membership.user.get_username()} removed from the tenant."
        else:
            form = RoleForm(request.POST, roles=TENANT_ROLES)
            if not form.is_valid():
                errors = [e for errs in form.errors.values() for e in errs]
                return _members_page(request, errors=errors, status=_error_status(request))
            services.membership_set_role(
                membership=membership, role=form.cleaned_data["role"], actor=request.membership
            )
            message = "Role changed."
    except ValidationError as exc:
        return _members_page(request, errors=exc.messages, status=_error_status(request))
    return _after_tenant_member_change(request, message)


def _after_tenant_member_change(request: HttpRequest, message: str) -> HttpResponse:
    if request.htmx:
        return _members_page(request)
    messages.success(request, message)
    return redirect_after_write(request, tenant_reverse("admin_members"))


# Invitations -------------------------------------------------------------------------------------------


@tenant_admin_required
@require_http_methods(["GET", "POST"])
def invitation_list(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _service(
            form,
            lambda: services.invitation_create(
                email=data["email"],
                role=data["role"],
                team=data["team"],
                team_role=data["team_role"],
                actor=request.membership,
            ),
        ):
            messages.success(request, f"Invitation sent to {data['email']}.")
            return redirect_after_write(request, tenant_reverse("admin_invitations"))
    context = {
        "form": form,
        "pending": selectors.pending_invitations(),
        "recent": selectors.recent_invitations(),
    }
    status = _error_status(request) if form.is_bound else 200
    return _render(request, "accounts/admin/invitation_list.html", context, status=status)


@tenant_admin_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_pk)
    try:
        services.invitation_revoke(invitation=invitation, actor=request.membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, f"Invitation for {invitation.email} revoked.")
    return redirect_after_write(request, tenant_reverse("admin_invitations"))


# Audit -------------------------------------------------------------------------------------------------


@tenant_admin_required
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        context = {
            "form": form,
            "page": None,
            "entries": [],
            "actions": selectors.audit_actions(),
            "query": "",
        }
        return _render(request, "accounts/admin/audit_list.html", context, status=400)
    entries = selectors.audit_entries(action=form.cleaned_data["action"], actor=form.cleaned_data["actor"])
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in form.cleaned_data.items() if v})
    context = {
        "form": form,
        "page": page,
        "entries": page.object_list,
        "actions": selectors.audit_actions(),
        "query": query,
    }
    template = "accounts/admin/audit_list.html" + ("#results" if request.htmx else "")
    return _render(request, template, context)
