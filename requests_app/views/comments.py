"""Comments on a request: post (htmx swaps the comment section), edit in place, soft delete.

A comment is addressed under the request it was written on (`<number>/comments/<comment_pk>/`), so it is
resolved through that request; comments of merged duplicates show on the target's page but keep their own
address. Internal notes do not exist for those who may not read them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from requests_app import services
from requests_app.forms import CommentEditForm, CommentForm
from requests_app.models import Comment, FeatureRequest
from requests_app.permissions import can_edit_comment, can_participate, can_triage
from requests_app.views.common import (
    comment_or_404,
    consume,
    detail_url,
    error_status,
    error_text,
    request_or_404,
    safe_next,
)
from requests_app.views.pages import decorate_comment, detail_response


def _anchored(url: str, comment: Comment) -> str:
    return url if "#" in url else f"{url}#comment-{comment.pk}"


def _comment_fragment(
    request: HttpRequest, comment: Comment, *, here: str, status: int = 200, error: str = ""
):
    """One comment as the request page shows it (after an in-place edit or delete)."""
    feature_request = comment.request
    # Shown on the page of the request it was merged into, if any: "From #N" there.
    page_pk = feature_request.duplicate_of_id or feature_request.pk
    decorate_comment(request.membership, comment, page_pk=page_pk)
    context = {"c": comment, "here": here, "comment_error": error}
    return TemplateResponse(request, "requests_app/_comment.html", context, status=status)


@login_required
@require_POST
def comment_create(request: HttpRequest, number: int) -> HttpResponse:
    feature_request = request_or_404(request, number)
    membership = request.membership
    if not can_participate(membership):
        raise PermissionDenied("Viewers cannot comment.")
    form = CommentForm(request.POST, may_triage=can_triage(membership, feature_request))
    if form.is_valid():
        limited = consume(request, "comment")
        if limited is not None:
            return detail_response(
                request, feature_request, status=429, partial="comments", limited=limited,
                comment_form=form, comments_error=str(limited),
            )  # fmt: skip
        data = form.cleaned_data
        try:
            comment = services.comment_create(
                membership=membership,
                feature_request=feature_request,
                body=data["body"],
                official=data.get("official", False),
                internal=data.get("internal", False),
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            kind = (
                "Official response"
                if comment.official
                else "Internal note"
                if comment.internal
                else "Comment"
            )
            message = f"{kind} posted."
            if request.htmx:
                fresh = request_or_404(request, number)
                return detail_response(request, fresh, partial="comments", comments_flash=message)
            messages.success(request, message)
            return HttpResponseRedirect(_anchored(detail_url(feature_request), comment))
    return detail_response(
        request, feature_request, status=error_status(request), partial="comments", comment_form=form
    )


def _edit_page(
    request: HttpRequest,
    feature_request: FeatureRequest,
    comment: Comment,
    form,
    here: str,
    status: int = 200,
) -> HttpResponse:
    template = "requests_app/comment_edit.html" + ("#form" if request.htmx else "")
    context = {"fr": feature_request, "c": comment, "form": form, "here": here}
    response = TemplateResponse(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_edit(request: HttpRequest, number: int, comment_pk: int) -> HttpResponse:
    feature_request = request_or_404(request, number)
    comment = comment_or_404(request, feature_request, comment_pk)
    if not can_edit_comment(request.membership, comment):
        raise PermissionDenied("You can only edit your own comments.")
    here = safe_next(request, detail_url(feature_request))
    if request.method != "POST":
        form = CommentEditForm(initial={"body": comment.body}, auto_id=f"edit-{comment.pk}-%s")
        return _edit_page(request, feature_request, comment, form, here)
    form = CommentEditForm(request.POST, auto_id=f"edit-{comment.pk}-%s")
    if form.is_valid():
        try:
            services.comment_edit(
                membership=request.membership, comment=comment, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            if request.htmx:
                return _comment_fragment(request, comment, here=here)
            messages.success(request, "Comment saved.")
            return HttpResponseRedirect(_anchored(here, comment))
    return _edit_page(request, feature_request, comment, form, here, status=error_status(request))


@login_required
@require_POST
def comment_delete(request: HttpRequest, number: int, comment_pk: int) -> HttpResponse:
    """Soft delete: the text goes, "Comment deleted by X on D" stays where it was."""
    feature_request = request_or_404(request, number)
    comment = comment_or_404(request, feature_request, comment_pk)
    here = safe_next(request, detail_url(feature_request))
    try:
        services.comment_delete(membership=request.membership, comment=comment)
    except ValidationError as exc:
        comment.refresh_from_db()
        comment.request = feature_request
        if request.htmx:
            return _comment_fragment(request, comment, here=here, status=422, error=error_text(exc))
        return detail_response(request, feature_request, status=400, error=error_text(exc))
    if request.htmx:
        return _comment_fragment(request, comment, here=here)
    messages.success(request, "Comment deleted.")
    return HttpResponseRedirect(_anchored(here, comment))
