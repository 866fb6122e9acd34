"""The capability's adoption page, and the two writes on it (record a move, set the rule).

Thin: forms parse, services write, selectors read. Everybody who can see the capability reads the page;
an invisible or foreign capability is a 404, a write the member may not do a 403 (the capability exists for
them). Each write is an htmx post that swaps the page body, and also a plain form post (redirect after
success, the page with the errors and a 400 otherwise).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from catalog.insights.adoption import selectors, services
from catalog.insights.adoption.forms import MoveForm, RuleForm
from catalog.insights.models import AdoptionRule
from catalog.selectors import visible_capability
from portal.plugins.api import Team, tenant_reverse

TEMPLATE = "insights/adoption/capability.html"


def _capability_or_404(request: HttpRequest, slug: str):
    capability = visible_capability(request.membership, slug=slug)
    if capability is None:
        raise Http404("No such capability.")
    return capability


def _rule_initial(page: selectors.AdoptionPage) -> dict:
    rule = page.rule
    return {
        "eligibility": rule.eligibility if rule else AdoptionRule.Eligibility.ALL,
        "teams": [page.teams[t]["slug"] for t in page.listed_team_ids if t in page.teams],
        "environment": rule.environment if rule else "",
        "repo_topic": rule.repo_topic if rule else "",
    }


def _render(
    request: HttpRequest,
    capability,
    *,
    move_form: MoveForm | None = None,
    rule_form: RuleForm | None = None,
    status: int = 200,
    notice: str = "",
) -> HttpResponse:
    page = selectors.adoption_page(request.membership, capability)
    recordable = Team.objects.filter(pk__in=page.recordable_team_ids).order_by("name", "pk")
    if move_form is None and page.recordable_team_ids:
        move_form = MoveForm(teams=recordable)
    if rule_form is None and page.may_own:
        rule_form = RuleForm(teams=Team.objects.order_by("name", "pk"), initial=_rule_initial(page))
    context = {
        "capability": capability,
        "page": page,
        "summary": page.summary,
        "weekly": page.summary.weekly,
        "move_form": move_form if page.recordable_team_ids else None,
        "rule_form": rule_form if page.may_own else None,
        "notice": notice,
    }
    template = TEMPLATE + "#body" if request.htmx and not request.htmx.history_restore_request else TEMPLATE
    response = TemplateResponse(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _after_write(request: HttpRequest, capability, notice: str) -> HttpResponse:
    if request.htmx:
        return _render(request, capability, notice=notice)
    messages.success(request, notice)
    return HttpResponseRedirect(tenant_reverse("insights:adoption-detail", capability_slug=capability.slug))


@login_required
def adoption_detail(request: HttpRequest, capability_slug: str) -> HttpResponse:
    return _render(request, _capability_or_404(request, capability_slug))


@login_required
@require_POST
def adoption_move(request: HttpRequest, capability_slug: str) -> HttpResponse:
    capability = _capability_or_404(request, capability_slug)
    page = selectors.adoption_page(request.membership, capability)
    if not page.recordable_team_ids:
        raise PermissionDenied(
            "Only the team's maintainers, the capability's owners or tenant admins can do that."
        )
    form = MoveForm(request.POST, teams=Team.objects.filter(pk__in=page.recordable_team_ids))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.adoption_set(
                membership=request.membership,
                capability=capability,
                team=data["team"],
                state=data["state"],
                effective_at=data["effective_at"],
                note=data["note"],
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            return _after_write(request, capability, f"Recorded: {data['team'].name} {data['state']}.")
    return _render(request, capability, move_form=form, status=400)


@login_required
@require_POST
def adoption_rule(request: HttpRequest, capability_slug: str) -> HttpResponse:
    capability = _capability_or_404(request, capability_slug)
    if not services.may_own(request.membership, capability):
        raise PermissionDenied(
            "Only the capability's owners (or tenant admins) can change its adoption rule."
        )
    form = RuleForm(request.POST, teams=Team.objects.all())
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.adoption_rule_set(
                membership=request.membership,
                capability=capability,
                eligibility=data["eligibility"],
                teams=data["teams"],
                environment=data["environment"],
                repo_topic=data["repo_topic"],
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            return _after_write(request, capability, "Adoption rule saved.")
    return _render(request, capability, rule_form=form, status=400)
