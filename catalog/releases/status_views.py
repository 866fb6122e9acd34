"""Status pages: the tenant status page, a capability's status history with the update form, and the page
where a member gets (or revokes) their private Atom feed URL."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods

from catalog.releases import feedtokens, selectors, services
from catalog.releases.forms import StatusUpdateForm
from catalog.releases.views import capability_or_404
from portal.plugins.api import can_maintain, redirect_after_write, tenant_reverse

HISTORY_PAGE = 20


@login_required
def status_page(request: HttpRequest) -> HttpResponse:
    board = selectors.status_page(request.membership)
    return TemplateResponse(request, "catalog/releases/status_page.html", {"board": board})


@login_required
@require_http_methods(["GET", "POST"])
def capability_status(request: HttpRequest, slug: str) -> HttpResponse:
    """History of a capability's incidents; maintainers post updates here (htmx swaps the board)."""
    capability = capability_or_404(request, slug)
    may_write = can_maintain(request.membership, capability.owner_team_id)
    form = StatusUpdateForm()
    status = 200
    posted = ""
    if request.method == "POST":
        if not may_write:
            raise PermissionDenied(
                "Only maintainers of the owning team (or tenant admins) post status updates."
            )
        form = StatusUpdateForm(request.POST)
        if form.is_valid():
            try:
                update = services.status_update_post(
                    capability=capability,
                    status=form.cleaned_data["status"] or None,
                    message=form.cleaned_data["message"],
                    resolved=form.cleaned_data["resolved"],
                    user=request.user,
                    submission_key=form.cleaned_data["submission_key"],
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                # The same words for a repeated post of the same form: it is the one update already posted.
                posted = "Posted: the incident is resolved." if update.resolved else "Posted."
                if not request.htmx:
                    _say_once(request, posted)
                    return redirect_after_write(
                        request, tenant_reverse("catalog:releases:capability_status", slug=capability.slug)
                    )
                form = StatusUpdateForm()
        status = 400 if form.errors else 200
    history = selectors.incidents(request.membership, capability=capability)
    page = Paginator(history, HISTORY_PAGE).get_page(request.GET.get("page") or 1)
    open_incident = next((i for i in page.object_list if i.is_open), None) if page.number == 1 else None
    template = "catalog/releases/capability_status.html"
    if request.htmx and request.method == "POST":
        template += "#board"
    context = {
        "capability": capability,
        "page": page,
        "incidents": page.object_list,
        "open_incident": open_incident,
        "form": form,
        "may_write": may_write,
        "posted": posted,  # htmx: the confirmation shown inside the swapped board
    }
    response = TemplateResponse(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _say_once(request: HttpRequest, text: str) -> None:
    """Queue a success message unless the same one is waiting already: after a double click the first
    answer never reached the browser, and its "Posted." is still pending in the session."""
    pending = messages.get_messages(request)
    waiting = any(str(message) == text for message in pending)
    pending.used = False  # only looked at: they are still shown on the next page
    if not waiting:
        messages.success(request, text)


@login_required
@require_http_methods(["GET", "POST"])
def feed_link(request: HttpRequest) -> HttpResponse:
    """Your private Atom feed URLs: create, replace or revoke them. Viewers may have one too (read only)."""
    membership = request.membership
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "issue":
            feedtokens.feed_token_issue(membership=membership)
            messages.success(request, "New feed link created; links you used before no longer work.")
        elif action == "revoke":
            feedtokens.feed_token_revoke(membership=membership)
            messages.success(request, "Feed link revoked: feed readers using it get 404 now.")
        else:
            return HttpResponse("Unknown action.", status=400, content_type="text/plain")
        return redirect_after_write(request, request.get_full_path())
    token = feedtokens.active_token(membership)
    text = feedtokens.text_of(token, request.tenant) if token else ""
    capability = None
    if text and request.GET.get("capability"):
        capability = capability_or_404(request, request.GET["capability"])
    context = {
        "token": token,
        "tenant_feed_url": _absolute(request, "catalog_public:tenant_feed", token=text) if text else "",
        "capability": capability,
        "capability_feed_url": (
            _absolute(request, "catalog_public:capability_feed", token=text, slug=capability.slug)
            if capability
            else ""
        ),
    }
    return TemplateResponse(request, "catalog/releases/feed_link.html", context)


def _absolute(request: HttpRequest, name: str, **kwargs: str) -> str:
    return request.build_absolute_uri(reverse(name, kwargs=kwargs))
