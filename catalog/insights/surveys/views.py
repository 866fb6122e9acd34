"""Survey pages: rounds and results of a capability, one round's results, the answer form, owner actions.

Thin: forms parse, services write, selectors read. Results are shown to everybody in the tenant who can see
the capability (see `selectors`); owners (maintainers of the owning team, tenant admins) open, remind and
close rounds. A capability the member cannot see, or a round of another capability, is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST

from catalog.insights.models import SurveyRound
from catalog.insights.surveys import selectors, services
from catalog.insights.surveys.forms import AnswerForm, OpenRoundForm
from catalog.insights.surveys.services import SurveyStateError
from catalog.insights.surveys.stats import MIN_ANSWERS
from catalog.selectors import visible_capability
from portal.plugins.api import can_write, redirect_after_write, tenant_reverse


def _capability_or_404(request: HttpRequest, slug: str) -> Any:
    capability = visible_capability(request.membership, slug=slug)
    if capability is None:
        raise Http404("No such capability.")
    return capability


def _round_or_404(request: HttpRequest, capability: Any, pk: int) -> SurveyRound:
    round = selectors.round_detail(request.membership, pk=pk, capability=capability)
    if round is None:
        raise Http404("No such survey round.")
    return round


def _list_url(capability: Any) -> str:
    return tenant_reverse("insights:surveys-list", capability_slug=capability.slug)


def _detail_url(round: SurveyRound) -> str:
    return tenant_reverse(
        "insights:surveys-detail", capability_slug=round.capability.slug, surveyround_pk=round.pk
    )


def _list_page(
    request: HttpRequest,
    capability: Any,
    *,
    form: OpenRoundForm | None = None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    may_own = services.may_own(request.membership, capability)
    context = {
        "capability": capability,
        **selectors.capability_overview(request.membership, capability=capability),
        "may_own": may_own,
        "open_form": (form or OpenRoundForm.blank()) if may_own else None,
        "error": error,
    }
    return TemplateResponse(request, "insights/surveys/round_list.html", context, status=status)


@login_required
def survey_list(request: HttpRequest, capability_slug: str) -> HttpResponse:
    return _list_page(request, _capability_or_404(request, capability_slug))


@login_required
@require_POST
def survey_open(request: HttpRequest, capability_slug: str) -> HttpResponse:
    capability = _capability_or_404(request, capability_slug)
    if not services.may_own(request.membership, capability):
        raise PermissionDenied("Only maintainers of the owning team (or tenant admins) can open a survey.")
    form = OpenRoundForm(request.POST)
    if form.is_valid():
        try:
            round = services.survey_open(
                membership=request.membership, capability=capability, **form.cleaned_data
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except SurveyStateError as exc:
            return _list_page(request, capability, form=form, status=409, error=str(exc))
        else:
            invited = round.invitations.count()
            messages.success(request, f"Survey opened: {invited} people of onboarded teams were invited.")
            return redirect_after_write(request, _detail_url(round))
    return _list_page(request, capability, form=form, status=400)


def _detail_page(
    request: HttpRequest, round: SurveyRound, *, status: int = 200, error: str = ""
) -> HttpResponse:
    capability = round.capability
    context = {
        "capability": capability,
        "round": round,
        "results": selectors.round_results(round),
        "is_open": services.is_open(round),
        "may_own": services.may_own(request.membership, capability),
        "may_answer": can_write(request.membership),
        "my_answer": selectors.my_answer(request.membership, round=round),
        "min_answers": MIN_ANSWERS,
        "error": error,
    }
    return TemplateResponse(request, "insights/surveys/round_detail.html", context, status=status)


@login_required
def survey_detail(request: HttpRequest, capability_slug: str, surveyround_pk: int) -> HttpResponse:
    capability = _capability_or_404(request, capability_slug)
    return _detail_page(request, _round_or_404(request, capability, surveyround_pk))


@login_required
@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, capability_slug: str, surveyround_pk: int) -> HttpResponse:
    capability = _capability_or_404(request, capability_slug)
    round = _round_or_404(request, capability, surveyround_pk)
    if not can_write(request.membership):
        raise PermissionDenied("Viewers cannot answer surveys.")
    mine = selectors.my_answer(request.membership, round=round)
    status = 200
    error = ""
    if request.method == "GET":
        form = AnswerForm(capability_name=capability.name, initial=AnswerForm.initial_for(mine))
    else:
        form = AnswerForm(request.POST, capability_name=capability.name)
        if form.is_valid():
            try:
                services.survey_answer(membership=request.membership, round=round, **form.cleaned_data)
            except ValidationError as exc:
                form.apply_service_errors(exc)
            except SurveyStateError as exc:
                status, error = 409, str(exc)
            else:
                messages.success(
                    request, "Thank you: your answer was saved. You can change it until the round closes."
                )
                return redirect_after_write(request, _detail_url(round))
        if not error:
            status = 400
    context = {
        "capability": capability,
        "round": round,
        "form": form,
        "my_answer": mine,
        "is_open": services.is_open(round),
        "error": error,
    }
    return TemplateResponse(request, "insights/surveys/answer_form.html", context, status=status)


def _owner_action(request: HttpRequest, capability_slug: str, surveyround_pk: int, action) -> HttpResponse:
    capability = _capability_or_404(request, capability_slug)
    round = _round_or_404(request, capability, surveyround_pk)
    try:
        message = action(round)
    except SurveyStateError as exc:
        return _detail_page(request, round, status=409, error=str(exc))
    messages.success(request, message)
    return redirect_after_write(request, _detail_url(round))


@login_required
@require_POST
def survey_close(request: HttpRequest, capability_slug: str, surveyround_pk: int) -> HttpResponse:
    def close(round: SurveyRound) -> str:
        services.survey_close(membership=request.membership, round=round)
        return "Survey closed: no more answers are accepted."

    return _owner_action(request, capability_slug, surveyround_pk, close)


@login_required
@require_POST
def survey_remind(request: HttpRequest, capability_slug: str, surveyround_pk: int) -> HttpResponse:
    def remind(round: SurveyRound) -> str:
        already = round.reminder_sent_at is not None
        count = services.survey_remind(membership=request.membership, round=round)
        if already:
            return "The reminder was already sent: people are reminded once."
        return f"Reminder sent to {count} people who have not answered yet."

    return _owner_action(request, capability_slug, surveyround_pk, remind)
