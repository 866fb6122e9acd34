"""Votes (the vote button of the board and the request page) and triage: status, merge, recorded votes.

htmx gets the swapped fragment (the vote button and its count; the whole request for triage); a plain form
post is redirected back with a message (POST/redirect/GET). Refusals: a service's ValidationError shows
inline (422 for htmx, 400 without), PermissionDenied is a 403, an over-limit vote a 429 with Retry-After.
A merge target the member may not triage is a refusal the member can correct in the form: the error shows
by the `into` field with a 403 (422 for htmx, which swaps no 403 into the page).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from requests_app import selectors, services, workflow
from requests_app.forms import MergeForm, StatusForm, VoteRecordForm
from requests_app.models import FeatureRequest
from requests_app.permissions import can_participate, can_triage
from requests_app.services.merge import merge_target_refusal
from requests_app.views.common import (
    consume,
    detail_url,
    error_status,
    error_text,
    redirect_back,
    request_or_404,
    safe_next,
    too_many,
)
from requests_app.views.pages import colleague_suggest_url, detail_response, merge_suggest_url

VOTE_FRAGMENT = "requests_app/_vote.html#swap"
TRIAGE_ONLY = "Only maintainers of the owning team (or tenant admins) can do that."


def _done(request: HttpRequest, number: int, message: str) -> HttpResponse:
    """After a triage write: htmx gets the refreshed request (with the message), a plain post a redirect."""
    feature_request = request_or_404(request, number)
    if request.htmx:
        return detail_response(request, feature_request, flash=message)
    return redirect_back(request, detail_url(feature_request), message)


def _require_triage(request: HttpRequest, feature_request: FeatureRequest) -> None:
    if not can_triage(request.membership, feature_request):
        raise PermissionDenied(TRIAGE_ONLY)


@login_required
@require_POST
def vote(request: HttpRequest, number: int) -> HttpResponse:
    """`action=vote` or `action=unvote` (explicit, so a repeated post never flips a vote back)."""
    feature_request = request_or_404(request, number)
    membership = request.membership
    if not can_participate(membership):
        raise PermissionDenied("Viewers cannot vote.")
    action = request.POST.get("action", "")
    error, status, limited, changed = "", 200, None, False
    if action not in ("vote", "unvote"):
        error, status = "Choose to vote or to take your vote back.", error_status(request)
    elif (limited := consume(request, "vote")) is not None:
        error, status = str(limited), 429
    else:
        try:
            if action == "vote":
                changed = services.vote_add(membership=membership, feature_request=feature_request)
            else:
                changed = services.vote_remove(membership=membership, feature_request=feature_request)
        except ValidationError as exc:
            error, status = error_text(exc), error_status(request)
    fresh = request_or_404(request, number)  # the exact count, and whether I vote now
    here = safe_next(request, detail_url(fresh))
    if request.htmx:
        context = {"r": fresh, "may_vote": True, "here": here, "vote_error": error}
        response = TemplateResponse(request, VOTE_FRAGMENT, context, status=status)
        return too_many(response, limited) if limited is not None else response
    if error:
        response = detail_response(request, fresh, status=status, error=error)
        return too_many(response, limited) if limited is not None else response
    if action == "vote":
        message = (
            f"You voted for #{fresh.number}." if changed else f"You had already voted for #{fresh.number}."
        )
    else:
        message = f"You took back your vote for #{fresh.number}." if changed else "You had not voted for it."
    return redirect_back(request, here, message)


@login_required
@require_POST
def status_change(request: HttpRequest, number: int) -> HttpResponse:
    feature_request = request_or_404(request, number)
    _require_triage(request, feature_request)
    form = StatusForm(request.POST, current=feature_request.status)
    if form.is_valid():
        try:
            services.request_set_status(
                membership=request.membership,
                feature_request=feature_request,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            label = workflow.LABELS[form.cleaned_data["status"]].lower()
            return _done(request, number, f"#{number} is now {label}; its followers are told.")
    return detail_response(request, feature_request, status=error_status(request), status_form=form)


@login_required
@require_POST
def merge(request: HttpRequest, number: int) -> HttpResponse:
    """Close this request as a duplicate of another (`into`), moving its votes and followers there."""
    feature_request = request_or_404(request, number)
    _require_triage(request, feature_request)
    form = MergeForm(request.POST, suggest_url=merge_suggest_url(feature_request))
    if form.is_valid():
        into = form.cleaned_data["into"]
        target = selectors.request_detail(request.membership, number=into)
        if target is None:
            form.add_error("into", f"There is no request #{into}.")
        elif not can_triage(request.membership, target):
            form.add_error("into", merge_target_refusal(target))
            status = 422 if request.htmx else 403
            return detail_response(request, feature_request, status=status, merge_form=form)
        else:
            try:
                services.request_merge(
                    membership=request.membership,
                    source=feature_request,
                    target=target,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                message = f"Merged into #{target.number}: its votes and followers moved there."
                return _done(request, number, message)
    return detail_response(request, feature_request, status=error_status(request), merge_form=form)


@login_required
@require_POST
def vote_record(request: HttpRequest, number: int) -> HttpResponse:
    """A maintainer records a colleague's vote (heard in a meeting); shown as recorded on their behalf."""
    feature_request = request_or_404(request, number)
    _require_triage(request, feature_request)
    form = VoteRecordForm(request.POST, suggest_url=colleague_suggest_url(feature_request))
    if form.is_valid():
        username = form.cleaned_data["username"].strip()
        try:
            added = services.vote_record(
                membership=request.membership,
                feature_request=feature_request,
                username=username,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            message = f"Recorded a vote for {username}." if added else f"{username} had already voted."
            return _done(request, number, message)
    return detail_response(request, feature_request, status=error_status(request), record_form=form)
