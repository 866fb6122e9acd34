"""The request page (everything about one request, and the triage forms), filing and editing a request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_safe

from catalog.selectors import visible_capabilities
from portal.plugins.api import redirect_after_write, tenant_reverse
from requests_app import selectors, services, workflow
from requests_app.forms import CommentForm, MergeForm, RequestForm, StatusForm, VoteRecordForm
from requests_app.models import Comment, FeatureRequest, RequestStatus
from requests_app.permissions import (
    can_delete_comment,
    can_edit_comment,
    can_edit_request,
    can_participate,
    triage_checker,
)
from requests_app.ratelimit import RateLimited
from requests_app.views.common import (
    consume,
    detail_url,
    error_status,
    query_param,
    request_or_404,
    too_many,
)

DETAIL_TEMPLATE = "requests_app/request_detail.html"


# --- the request page -------------------------------------------------------------------------------------
def _safe_link(url: str) -> str:
    """`shipped_in_url` comes from a release event; link it only when it is http(s) or a path of the site."""
    if url.startswith(("https://", "http://")) or (url.startswith("/") and not url.startswith("//")):
        return url
    return ""


def decorate_comment(
    membership, comment: Comment, *, page_pk: int, from_visible: bool = True, triages: bool | None = None
) -> Comment:
    """What the comment partial needs: may the member edit/delete it, and is it from a merged duplicate."""
    comment.may_edit = can_edit_comment(membership, comment)
    comment.may_delete = can_delete_comment(membership, comment, comment.request, triages=triages)
    comment.from_number = comment.request.number if comment.request_id != page_pk else None
    comment.from_visible = from_visible
    return comment


def _comments(
    membership, feature_request: FeatureRequest, visible: set, may_triage: Callable[[FeatureRequest], bool]
) -> list[Comment]:
    """The comments the member may see (`selectors.comments_for`), with what the comment partial needs."""
    return [
        decorate_comment(
            membership,
            comment,
            page_pk=feature_request.pk,
            from_visible=comment.request_id == feature_request.pk or comment.request_id in visible,
            triages=may_triage(comment.request),
        )
        for comment in selectors.comments_for(membership, feature_request)
    ]


def merge_suggest_url(feature_request: FeatureRequest) -> str:
    return tenant_reverse("requests_app:merge_targets", number=feature_request.number)


def colleague_suggest_url(feature_request: FeatureRequest) -> str:
    return tenant_reverse("requests_app:colleagues", number=feature_request.number)


def detail_context(request: HttpRequest, feature_request: FeatureRequest, **extra: Any) -> dict[str, Any]:
    """Everything the request page shows; `extra` carries bound forms with errors, `flash`, `error`."""
    membership = request.membership
    triage_of = triage_checker(membership)  # one query for this request, its duplicates and their comments
    may_triage = triage_of(feature_request)
    may_participate = can_participate(membership)
    history = selectors.history_of(feature_request)
    duplicates = selectors.duplicates_of(feature_request)
    # Requests this one points to or is pointed at by: linked only when the member may see them.
    related = {h.related_id for h in history if h.related_id} | {d.pk for d in duplicates}
    if feature_request.duplicate_of_id:
        related.add(feature_request.duplicate_of_id)
    visible = (
        set(selectors.visible_requests(membership).filter(pk__in=related).values_list("pk", flat=True))
        if related
        else set()
    )
    status = feature_request.status
    voters = selectors.voters_of(feature_request)
    context = {
        "fr": feature_request,
        "here": detail_url(feature_request),
        "may_triage": may_triage,
        "may_vote": may_participate,
        "may_participate": may_participate,
        "may_edit": can_edit_request(membership, feature_request, triages=may_triage),
        "history": history,
        "duplicates": [d for d in duplicates if d.pk in visible],
        "hidden_duplicates": sum(1 for d in duplicates if d.pk not in visible),
        "visible_related": visible,
        "comments": _comments(membership, feature_request, visible, triage_of),
        "voters": voters,
        "more_voters": max(0, feature_request.vote_count - len(voters)),
        "demand": selectors.demand_by_team(feature_request) if may_triage else [],
        "shipped_url": _safe_link(feature_request.shipped_in_url),
        "comment_form": CommentForm(may_triage=may_triage) if may_participate else None,
        "status_form": (StatusForm(current=status) if may_triage and workflow.allowed_next(status) else None),
        "merge_form": (
            MergeForm(suggest_url=merge_suggest_url(feature_request))
            if may_triage and status != RequestStatus.DUPLICATE
            else None
        ),
        "record_form": (
            VoteRecordForm(suggest_url=colleague_suggest_url(feature_request))
            if may_triage and feature_request.is_open
            else None
        ),
    }
    context.update(extra)
    return context


def detail_response(
    request: HttpRequest,
    feature_request: FeatureRequest,
    *,
    status: int = 200,
    partial: str = "page",
    limited: RateLimited | None = None,
    **extra: Any,
) -> HttpResponse:
    """The request page; htmx gets the `partial` of it (`page`: the whole request, `comments`). The caller
    puts a refusal's message where it belongs (`error` at the top, `comments_error` by the comment form)."""
    template = DETAIL_TEMPLATE + (f"#{partial}" if request.htmx else "")
    response = TemplateResponse(request, template, detail_context(request, feature_request, **extra))
    response.status_code = status
    if limited is not None:
        too_many(response, limited)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_safe
def request_detail(request: HttpRequest, number: int) -> HttpResponse:
    return detail_response(request, request_or_404(request, number))


# --- filing and editing -----------------------------------------------------------------------------------
def _form_page(
    request: HttpRequest,
    form: RequestForm,
    feature_request: FeatureRequest | None,
    limited: RateLimited | None = None,
) -> HttpResponse:
    template = "requests_app/request_form.html" + ("#form" if request.htmx else "")
    status = 200
    if form.is_bound and form.errors:
        status = error_status(request)
    similar = []
    if feature_request is None and form.is_bound:
        similar = selectors.similar_requests(request.membership, str(form.data.get("title", ""))[:300])
    context = {"form": form, "fr": feature_request, "similar": similar, "limited": limited}
    response = TemplateResponse(request, template, context, status=status)
    if limited is not None:
        too_many(response, limited)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    if not can_participate(membership):
        raise PermissionDenied("Viewers can read the board but not file requests.")
    capabilities = visible_capabilities(membership)
    similar_url = tenant_reverse("requests_app:similar")
    if request.method != "POST":
        slug = query_param(request, "capability", 100)
        chosen = capabilities.filter(slug=slug).first() if slug else None
        initial = {"capability": chosen.slug} if chosen else {}
        form = RequestForm(capabilities=capabilities, initial=initial, similar_url=similar_url)
        return _form_page(request, form, None)
    form = RequestForm(request.POST, capabilities=capabilities, similar_url=similar_url)
    if not form.is_valid():
        return _form_page(request, form, None)
    limited = consume(request, "request")
    if limited is not None:
        return _form_page(request, form, None, limited)
    try:
        feature_request = services.request_create(membership=membership, **form.service_data())
    except ValidationError as exc:
        form.apply_service_errors(exc)
        return _form_page(request, form, None)
    messages.success(request, f"Filed as #{feature_request.number}. You voted for it and follow it.")
    return redirect_after_write(request, detail_url(feature_request))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_edit(request: HttpRequest, number: int) -> HttpResponse:
    membership = request.membership
    feature_request = request_or_404(request, number)
    if not can_edit_request(membership, feature_request):
        raise PermissionDenied("Only the author (while the request is open) or the owning team can edit it.")
    # Visible capabilities, and the current one even when it has been archived since.
    capabilities = visible_capabilities(membership, include_archived=True).filter(
        Q(archived=False) | Q(pk=feature_request.capability_id)
    )
    if request.method != "POST":
        form = RequestForm(capabilities=capabilities, initial=RequestForm.initial_for(feature_request))
        return _form_page(request, form, feature_request)
    form = RequestForm(request.POST, capabilities=capabilities)
    if form.is_valid():
        try:
            services.request_update(
                membership=membership, feature_request=feature_request, **form.service_data()
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, "Saved.")
            return redirect_after_write(request, detail_url(feature_request))
    return _form_page(request, form, feature_request)
