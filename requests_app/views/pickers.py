"""Suggestions for the triage forms' text fields (htmx fragments): merge targets and colleagues.

Both fields stay plain text inputs (the server validates what is posted); these answer the `<datalist>`
the browser offers while typing, plus a count for screen readers (`aria-live`). Only people who may
triage the request get them: the forms are theirs, and a colleague list is no directory for everyone.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from requests_app import selectors
from requests_app.permissions import can_triage
from requests_app.views.common import query_param, request_or_404

TEMPLATE = "requests_app/_pickers.html"


def _triaged(request: HttpRequest, number: int):
    feature_request = request_or_404(request, number)
    if not can_triage(request.membership, feature_request):
        raise PermissionDenied("Only maintainers of the owning team (or tenant admins) can do that.")
    return feature_request


@login_required
@require_safe
def merge_targets(request: HttpRequest, number: int) -> HttpResponse:
    """`?into=` (the field's own name, so htmx sends it as typed): requests this one may be merged into."""
    source = _triaged(request, number)
    q = query_param(request, "into", 200)
    found = selectors.merge_targets(request.membership, source, q) if q.strip() else []
    return TemplateResponse(request, f"{TEMPLATE}#merge_targets", {"found": found, "q": q})


@login_required
@require_safe
def colleagues(request: HttpRequest, number: int) -> HttpResponse:
    """`?username=`: members of this tenant (not viewers) whose username or name matches."""
    _triaged(request, number)
    q = query_param(request, "username", 150)
    return TemplateResponse(
        request, f"{TEMPLATE}#colleagues", {"found": selectors.colleagues(q) if q.strip() else [], "q": q}
    )
