"""Helpers shared by the board's views: resolving requests and comments, answering htmx and plain posts."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from portal.plugins.api import tenant_reverse
from requests_app import ratelimit, selectors
from requests_app.models import Comment, FeatureRequest


def request_or_404(request: HttpRequest, number: int) -> FeatureRequest:
    """The request as the member may see it (card annotations included), or 404: another tenant's
    request and one on a capability the member cannot see look exactly like a missing one."""
    feature_request = selectors.request_detail(request.membership, number=number)
    if feature_request is None:
        raise Http404("No such request.")
    return feature_request


def comment_or_404(request: HttpRequest, feature_request: FeatureRequest, comment_pk: int) -> Comment:
    comment = selectors.comment_of(request.membership, feature_request, comment_pk)
    if comment is None:
        raise Http404("No such comment.")
    return comment


def query_param(request: HttpRequest, name: str, max_length: int) -> str:
    """A free-text query parameter, cut to size and without NUL bytes (PostgreSQL refuses them in text)."""
    return request.GET.get(name, "")[:max_length].replace("\x00", "")


def detail_url(feature_request: FeatureRequest) -> str:
    return tenant_reverse("requests_app:detail", number=feature_request.number)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where to go back to after a plain form post: the posted `next` when it is a path of this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and target.isprintable()
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return target
    return fallback


def redirect_back(request: HttpRequest, fallback: str, message: str) -> HttpResponse:
    """POST/redirect/GET for plain form posts, with the success message on the next page."""
    messages.success(request, message)
    return HttpResponseRedirect(safe_next(request, fallback))


def error_status(request: HttpRequest) -> int:
    # htmx gets 422: with DEBUG on, django-htmx's helper script replaces the whole document with any
    # 400/403/404/500 answer to an htmx request (to show tracebacks), which would wipe the page.
    return 422 if request.htmx else 400


def consume(request: HttpRequest, action: str) -> ratelimit.RateLimited | None:
    """Count one `action` against the person's hourly limit; the refusal when over it (nothing written)."""
    try:
        ratelimit.consume(action, tenant_id=request.tenant.pk, user_id=request.user.pk)
    except ratelimit.RateLimited as exc:
        return exc
    return None


def too_many(response: HttpResponse, limited: ratelimit.RateLimited) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(limited.retry_after)
    return response


def error_text(error) -> str:
    """One readable sentence of a service's ValidationError (per-field or not)."""
    if hasattr(error, "error_dict"):
        return " ".join(m for messages_ in error.message_dict.values() for m in messages_)
    return " ".join(error.messages)
